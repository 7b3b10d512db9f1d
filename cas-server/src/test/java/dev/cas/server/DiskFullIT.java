package dev.cas.server;

import static org.assertj.core.api.Assertions.assertThat;

import build.bazel.remote.execution.v2.BatchReadBlobsRequest;
import build.bazel.remote.execution.v2.BatchUpdateBlobsRequest;
import build.bazel.remote.execution.v2.BatchUpdateBlobsResponse;
import build.bazel.remote.execution.v2.ContentAddressableStorageGrpc;
import com.google.protobuf.ByteString;
import dev.cas.store.Digest;
import io.grpc.Status;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * When eviction cannot make room (here: a file that is not the cache's fills the data directory past its bound, as a
 * log or a core dump on a shared volume would), writes are refused with RESOURCE_EXHAUSTED on gRPC and 507 on HTTP
 * (bazel-remote's hard limit), the cache is not emptied trying, reads go on, and writes come back once there is room.
 */
class DiskFullIT extends RunningServer {

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        storageAndPorts(registry);
        registry.add("cas.storage.max-size", () -> DiskBoundIT.LIMIT + "B");
        registry.add("cas.storage.max-blob-size", () -> "1MB");
    }

    ContentAddressableStorageGrpc.ContentAddressableStorageBlockingStub cas;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void stubs() {
        cas = ContentAddressableStorageGrpc.newBlockingStub(channel);
    }

    @Test
    void writesAreRefusedWhileTheDirectoryIsFullAndReadsGoOn() throws Exception {
        byte[] held = blob(1, 200 << 10);
        assertThat(put(held)).isEqualTo(Status.Code.OK);

        Path directory = storage.resolve("db");
        Path ballast = directory.resolve("not-the-cache.bin");
        // the whole bound, whatever RocksDB's own files take: filled only up to the bound, the directory had room
        // again whenever RocksDB's files shrank (a flush, a WAL dropped) before the write, and the test failed
        try (RandomAccessFile file = new RandomAccessFile(ballast.toFile(), "rw")) {
            file.write(new byte[(int) DiskBoundIT.LIMIT]); // written: no sparse file
        }
        byte[] refused = blob(2, 64 << 10);
        assertThat(put(refused)).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        HttpResponse<String> httpPut = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                + "/cas/" + Digest.of(refused).hash())).PUT(HttpRequest.BodyPublishers.ofByteArray(refused)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(httpPut.statusCode()).isEqualTo(507);
        assertThat(httpPut.body()).contains("would pass");

        assertThat(read(held)).as("reads go on, and the cache was not emptied to make room").isEqualTo(held);
        HttpResponse<byte[]> httpGet = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                + "/cas/" + Digest.of(held).hash())).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(httpGet.statusCode()).isEqualTo(200);
        assertThat(httpGet.body()).isEqualTo(held);

        Files.delete(ballast);
        assertThat(put(refused)).as("writes come back once there is room").isEqualTo(Status.Code.OK);
        assertThat(read(refused)).isEqualTo(refused);
    }

    private Status.Code put(byte[] blob) {
        BatchUpdateBlobsResponse response = cas.batchUpdateBlobs(BatchUpdateBlobsRequest.newBuilder()
                .addRequests(BatchUpdateBlobsRequest.Request.newBuilder().setDigest(DiskBoundIT.proto(Digest.of(blob)))
                        .setData(ByteString.copyFrom(blob))).build());
        return Status.fromCodeValue(response.getResponses(0).getStatus().getCode()).getCode();
    }

    private byte[] read(byte[] blob) {
        var response = cas.batchReadBlobs(BatchReadBlobsRequest.newBuilder()
                .addDigests(DiskBoundIT.proto(Digest.of(blob))).build()).getResponses(0);
        assertThat(response.getStatus().getCode()).isZero();
        return response.getData().toByteArray();
    }

    private static byte[] blob(long seed, int size) {
        byte[] blob = new byte[size];
        new SplittableRandom(seed).nextBytes(blob);
        return blob;
    }
}
