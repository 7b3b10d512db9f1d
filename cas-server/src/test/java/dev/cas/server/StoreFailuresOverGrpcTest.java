package dev.cas.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import build.bazel.remote.execution.v2.BatchUpdateBlobsRequest;
import build.bazel.remote.execution.v2.BatchUpdateBlobsResponse;
import build.bazel.remote.execution.v2.ContentAddressableStorageGrpc;
import build.bazel.remote.execution.v2.FindMissingBlobsRequest;
import com.google.bytestream.ByteStreamGrpc;
import com.google.bytestream.ReadRequest;
import com.google.protobuf.ByteString;
import dev.cas.store.BlobStore;
import dev.cas.store.CompressingBlobStore;
import dev.cas.store.Digest;
import dev.cas.store.RocksDbDatabase;
import dev.cas.store.VerifyingBlobStore;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CAS and ByteStream services in process (no Spring, no network) over the real RocksDB stack: what a client is
 * told when the store refuses a write or finds a blob damaged, through the one translation of failures.
 */
class StoreFailuresOverGrpcTest {
    private static final long MAX_BLOB_BYTES = 64L << 20;

    @TempDir
    Path dir;
    private RocksDbDatabase database;
    private BlobStore cas;
    private ExecutorService pool;
    private Server server;
    private ManagedChannel channel;

    @BeforeEach
    void start() throws Exception {
        database = RocksDbDatabase.open(dir.resolve("db"), 1L << 30, Clock.systemUTC());
        cas = new VerifyingBlobStore(new CompressingBlobStore(database.space(RocksDbDatabase.Space.CAS), 3), d -> { });
        pool = Executors.newCachedThreadPool();
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name).directExecutor()
                .addService(new ContentAddressableStorageService(cas, 4L << 20, MAX_BLOB_BYTES))
                .addService(new ByteStreamService(cas, MAX_BLOB_BYTES, pool))
                .build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    }

    @AfterEach
    void stop() {
        channel.shutdownNow();
        server.shutdownNow();
        pool.shutdownNow();
        database.close();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static build.bazel.remote.execution.v2.Digest proto(Digest digest) {
        return Digests.toProto(digest);
    }

    @Test
    void aBatchedBlobThatDoesNotMatchItsDigestIsInvalidAloneAndNothingOfItIsKept() {
        Digest good = Digest.of("good");
        Digest claimed = Digest.of("claimed");
        BatchUpdateBlobsResponse response = ContentAddressableStorageGrpc.newBlockingStub(channel)
                .batchUpdateBlobs(BatchUpdateBlobsRequest.newBuilder()
                        .addRequests(BatchUpdateBlobsRequest.Request.newBuilder().setDigest(proto(good))
                                .setData(ByteString.copyFrom(bytes("good"))))
                        .addRequests(BatchUpdateBlobsRequest.Request.newBuilder().setDigest(proto(claimed))
                                .setData(ByteString.copyFrom(bytes("other"))))
                        .build());
        assertThat(response.getResponses(0).getStatus().getCode()).isEqualTo(Status.Code.OK.value());
        assertThat(response.getResponses(1).getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT.value());
        assertThat(response.getResponses(1).getStatus().getMessage()).contains("does not match its digest");
        assertThat(cas.contains(good)).isTrue();
        assertThat(cas.contains(claimed)).isFalse();
    }

    @Test
    void aStreamedWriteThatDoesNotMatchItsDigestIsInvalidAndLeavesNothing() {
        byte[] data = new byte[300_000];
        Digest claimed = Digest.of(bytes("something else"));
        Digest wrongSized = new Digest(claimed.hash(), data.length);
        assertThatThrownBy(() -> ByteStreamUploads.write(channel, "uploads/" + UUID.randomUUID() + "/blobs/"
                + wrongSized.hash() + "/" + wrongSized.size(), data, 64 * 1024))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).contains("does not match its digest");
                });
        assertThat(cas.contains(wrongSized)).isFalse();
    }

    @Test
    void aBlobDamagedAtRestReadsAsNotFoundAndIsRemoved() {
        byte[] value = bytes("object code ".repeat(1000));
        Digest digest = Digest.of(value);
        database.space(RocksDbDatabase.Space.CAS).put(digest, bytes("not a zstd frame")); // beneath the checks
        ReadRequest read = ReadRequest.newBuilder()
                .setResourceName("blobs/" + digest.hash() + "/" + digest.size()).build();
        assertThatThrownBy(() -> ByteStreamGrpc.newBlockingStub(channel).read(read).forEachRemaining(r -> { }))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
                    assertThat(e.getStatus().getDescription()).contains(digest.hash());
                });
        assertThat(ContentAddressableStorageGrpc.newBlockingStub(channel).findMissingBlobs(FindMissingBlobsRequest
                .newBuilder().addBlobDigests(proto(digest)).build()).getMissingBlobDigestsList())
                .containsExactly(proto(digest));
    }
}
