package dev.cas.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import build.bazel.remote.execution.v2.ActionResult;
import build.bazel.remote.execution.v2.OutputFile;
import dev.cas.store.Digest;
import dev.cas.worker.remote.RemoteCache;
import dev.cas.worker.remote.RemoteCacheException;
import dev.cas.worker.remote.RemoteSettings;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.junit.jupiter.Testcontainers;

/**
 * Starts the real cas-server image and runs real clients against it: our own REAPI client (the one cas-compile uses
 * for a shared cache) over gRPC, plain HTTP as Bazel's and ccache's HTTP caches speak it, and a second container on
 * the same volume to show that what the first acknowledged survives a restart. Skipped only where no Docker engine
 * can run at all (bin/test starts one when it can).
 */
@Testcontainers(disabledWithoutDocker = true)
class CasServerContainerIT {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static String image;
    private final String volume = "cas-it-" + UUID.randomUUID();

    @BeforeAll
    static void buildImage() throws Exception {
        image = CasServerImage.image();
    }

    @AfterEach
    void removeVolume() {
        DockerClientFactory.instance().client().removeVolumeCmd(volume).exec();
    }

    @Test
    void ourGrpcClientRoundTripsBatchedAndStreamedBlobsAndAnActionResult() {
        try (GenericContainer<?> server = CasServerImage.container(image, volume)) {
            server.start();
            Map<Digest, byte[]> blobs = blobs(20, 4096);
            byte[] large = random(6 << 20, 7); // over the 4 MiB message limit: ByteStream in chunks
            blobs.put(Digest.of(large), large);
            Digest action = Digest.of("an action in a container test");
            ActionResult result = resultNaming(blobs);

            try (RemoteCache writer = client(server, CasServerImage.WRITER_TOKEN)) {
                writer.ensureReachable();
                writer.writeBlobs(blobs);
                writer.putActionResult(action, result);
            }
            try (RemoteCache reader = client(server, CasServerImage.READER_TOKEN)) {
                reader.ensureReachable();
                assertThat(reader.updateEnabled()).as("a read-only token may not write action results").isFalse();
                assertThat(reader.getActionResults(List.of(action), "not an output")).containsEntry(action, result);
                ActionResult inlined = reader.getActionResults(List.of(action), "out/0.o").get(action);
                Digest first = new Digest(result.getOutputFiles(0).getDigest().getHash(),
                        result.getOutputFiles(0).getDigest().getSizeBytes());
                assertThat(reader.inlineBlobs(inlined)).as("the output asked for comes inline")
                        .containsOnlyKeys(first).containsEntry(first, blobs.get(first));
                assertThat(reader.findMissing(blobs.keySet())).isEmpty();
                assertThat(reader.readBlobs(blobs.keySet())).containsExactlyInAnyOrderEntriesOf(blobs);
                assertThatThrownBy(() -> reader.writeBlobs(blobs(1, 100)))
                        .isInstanceOf(RemoteCacheException.class).hasMessageContaining("PERMISSION_DENIED");
            }
        }
    }

    @Test
    void httpRoundTripsBazelAndCcacheEntriesAndRefusesWritesWithoutAToken() throws Exception {
        try (GenericContainer<?> server = CasServerImage.container(image, volume)) {
            server.start();
            byte[] blob = "int main(void) { return 0; }\n".getBytes(StandardCharsets.UTF_8);
            String casPath = "/cache/cas/" + Digest.of(blob).hash();
            String ccachePath = "/cache/3f/0d9a7c41b2e8f6a5d4c3b2a1908f7e6d5"; // ccache's subdirs layout: opaque

            assertThat(put(server, casPath, blob, null).statusCode()).isEqualTo(401);
            assertThat(get(server, casPath, CasServerImage.READER_TOKEN).statusCode()).isEqualTo(404);
            assertThat(put(server, casPath, blob, CasServerImage.WRITER_TOKEN).statusCode()).isBetween(200, 204);
            assertThat(put(server, ccachePath, blob, CasServerImage.WRITER_TOKEN).statusCode()).isBetween(200, 204);
            assertThat(put(server, "/cache/cas/" + Digest.of("other").hash(), blob, CasServerImage.WRITER_TOKEN)
                    .statusCode()).as("a CAS body that does not match its hash").isEqualTo(400);

            HttpResponse<byte[]> cas = get(server, casPath, CasServerImage.READER_TOKEN);
            assertThat(cas.statusCode()).isEqualTo(200);
            assertThat(cas.body()).isEqualTo(blob);
            assertThat(get(server, ccachePath, CasServerImage.READER_TOKEN).body()).isEqualTo(blob);
        }
    }

    @Test
    void whatOneContainerAcknowledgedIsServedByTheNextOnTheSameVolume() throws Exception {
        Map<Digest, byte[]> blobs = blobs(50, 2048);
        byte[] viaHttp = random(300_000, 11);
        String httpPath = "/cache/cas/" + Digest.of(viaHttp).hash();
        try (GenericContainer<?> first = CasServerImage.container(image, volume)) {
            first.start();
            assertThat(first.execInContainer("id", "-u").getStdout().trim()).as("runs as non-root").isEqualTo("10001");
            try (RemoteCache writer = client(first, CasServerImage.WRITER_TOKEN)) {
                writer.ensureReachable();
                writer.writeBlobs(blobs);
            }
            assertThat(put(first, httpPath, viaHttp, CasServerImage.WRITER_TOKEN).statusCode()).isBetween(200, 204);
        } // stopped (SIGTERM, graceful shutdown) and removed; the volume stays

        try (GenericContainer<?> second = CasServerImage.container(image, volume)) {
            second.start();
            try (RemoteCache reader = client(second, CasServerImage.READER_TOKEN)) {
                reader.ensureReachable();
                assertThat(reader.readBlobs(blobs.keySet())).containsExactlyInAnyOrderEntriesOf(blobs);
            }
            assertThat(get(second, httpPath, CasServerImage.READER_TOKEN).body()).isEqualTo(viaHttp);
        }
    }

    private static RemoteCache client(GenericContainer<?> server, String token) {
        return new RemoteCache(RemoteSettings.fromEnvironment(Map.of(
                RemoteSettings.REMOTE, "grpc://" + server.getHost() + ":"
                        + server.getMappedPort(CasServerImage.GRPC_PORT),
                RemoteSettings.TOKEN, token,
                RemoteSettings.CONNECT_TIMEOUT_MS, "10000")).orElseThrow());
    }

    private static HttpResponse<byte[]> put(GenericContainer<?> server, String path, byte[] body, String token)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(server, path))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    private static HttpResponse<byte[]> get(GenericContainer<?> server, String path, String token)
            throws IOException, InterruptedException {
        return HTTP.send(HttpRequest.newBuilder(uri(server, path)).header("Authorization", "Bearer " + token).build(),
                HttpResponse.BodyHandlers.ofByteArray());
    }

    private static URI uri(GenericContainer<?> server, String path) {
        return URI.create("http://" + server.getHost() + ":" + server.getMappedPort(CasServerImage.HTTP_PORT) + path);
    }

    private static ActionResult resultNaming(Map<Digest, byte[]> blobs) {
        ActionResult.Builder result = ActionResult.newBuilder().setExitCode(0);
        int i = 0;
        for (Digest digest : blobs.keySet()) {
            result.addOutputFiles(OutputFile.newBuilder().setPath("out/" + i++ + ".o").setDigest(
                    build.bazel.remote.execution.v2.Digest.newBuilder().setHash(digest.hash())
                            .setSizeBytes(digest.size())));
        }
        return result.build();
    }

    private static Map<Digest, byte[]> blobs(int count, int size) {
        Map<Digest, byte[]> blobs = new HashMap<>();
        long seed = UUID.randomUUID().getMostSignificantBits();
        for (int i = 0; i < count; i++) {
            byte[] blob = random(size, seed + i);
            blobs.put(Digest.of(blob), blob);
        }
        return blobs;
    }

    private static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
