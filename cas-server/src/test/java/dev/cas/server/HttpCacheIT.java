package dev.cas.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cas.store.Digest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The HTTP cache protocol over real HTTP on loopback: Bazel's /ac and /cas paths, bad names refused, and Debian's
 * ccache (installed by bin/install-prerequisites) storing through each of its layouts and hitting remotely after its
 * local cache is wiped.
 */
class HttpCacheIT extends RunningServer {

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        storageAndPorts(registry);
        registry.add("cas.storage.max-blob-size", () -> "1MB");
    }

    @LocalServerPort
    int port;

    @TempDir
    Path work;

    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void bazelCasAndActionPaths() throws Exception {
        byte[] blob = "compiled output".getBytes(StandardCharsets.UTF_8);
        String hash = Digest.of(blob).hash();
        assertThat(send("GET", "/cache/cas/" + hash, null).statusCode()).isEqualTo(404);
        assertThat(send("PUT", "/cache/cas/" + hash, blob).statusCode()).isEqualTo(201);
        HttpResponse<byte[]> read = send("GET", "/cache/cas/" + hash, null);
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(read.body()).isEqualTo(blob);
        assertThat(send("HEAD", "/cache/cas/" + hash, null).statusCode()).isEqualTo(200);

        String other = Digest.of("other").hash();
        assertThat(send("PUT", "/cache/cas/" + other, blob).statusCode()).as("body must hash to its name")
                .isEqualTo(400);
        assertThat(send("GET", "/cache/cas/" + other, null).statusCode()).isEqualTo(404);

        byte[] actionResult = {10, 5, 1, 2, 3, 4, 5};
        String action = Digest.of("action").hash();
        assertThat(send("PUT", "/cache/ac/" + action, actionResult).statusCode()).isEqualTo(201);
        assertThat(send("GET", "/cache/ac/" + action, null).body()).isEqualTo(actionResult);
        assertThat(send("GET", "/elsewhere/ac/" + action, null).body()).as("any prefix reaches the same entries")
                .isEqualTo(actionResult);
    }

    @Test
    void aBodySentAsAFormIsStoredAsIs() throws Exception {
        // curl --data-binary labels its body application/x-www-form-urlencoded; it must not be parsed as a form.
        byte[] blob = {'%', (byte) 0xff, '=', '&', 0, 'x'};
        String path = "/cache/cas/" + Digest.of(blob).hash();
        HttpRequest put = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .PUT(HttpRequest.BodyPublishers.ofByteArray(blob)).build();
        assertThat(http.send(put, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(201);
        assertThat(send("GET", path, null).body()).isEqualTo(blob);
    }

    @Test
    void anActionResultIsServedOnlyWhileItsOutputsAreHeld() throws Exception {
        byte[] output = "linked program".getBytes(StandardCharsets.UTF_8);
        Digest outputDigest = Digest.of(output);
        byte[] result = build.bazel.remote.execution.v2.ActionResult.newBuilder()
                .addOutputFiles(build.bazel.remote.execution.v2.OutputFile.newBuilder().setPath("bin/hello")
                        .setDigest(build.bazel.remote.execution.v2.Digest.newBuilder().setHash(outputDigest.hash())
                                .setSizeBytes(outputDigest.size())))
                .build().toByteArray();
        String action = "/cache/ac/" + Digest.of("link action").hash();
        assertThat(send("PUT", action, result).statusCode()).isEqualTo(201);
        assertThat(send("GET", action, null).statusCode()).as("its output is not in the CAS").isEqualTo(404);
        assertThat(send("PUT", "/cache/cas/" + outputDigest.hash(), output).statusCode()).isEqualTo(201);
        assertThat(send("GET", action, null).body()).isEqualTo(result);
    }

    @Test
    void badNamesAndOversizedBodiesAreRefusedAndStoreNothing() throws Exception {
        for (String bad : List.of("/cache/cas/XYZ", "/cache/cas/" + "a".repeat(63), "/cache/%2e%2e/secret",
                "/cache/a%00b", "/cache//x", "/cache/.hidden")) {
            assertThat(send("PUT", bad, new byte[] {1}).statusCode()).as(bad).isEqualTo(400);
            assertThat(send("GET", bad, null).statusCode()).as(bad).isEqualTo(400);
        }
        assertThat(send("PUT", "/cache/big", new byte[(1 << 20) + 1]).statusCode()).isEqualTo(413);
        assertThat(send("GET", "/cache/big", null).statusCode()).isEqualTo(404);
        assertThat(send("GET", "/actuator/health", null).statusCode()).isEqualTo(200);
    }

    @ParameterizedTest
    @ValueSource(strings = {"subdirs", "flat", "bazel"})
    void ccacheHitsRemotelyAfterItsLocalCacheIsWiped(String layout) throws Exception {
        Path source = work.resolve("hello.c");
        Files.writeString(source, "int answer(void) { return 42 + " + layout.length() + "; }\n");
        Map<String, String> environment = Map.of(
                "CCACHE_DIR", work.resolve("ccache").toString(),
                "CCACHE_REMOTE_STORAGE", "http://127.0.0.1:" + port + "/cache|layout=" + layout,
                "CCACHE_NOHASHDIR", "1");
        ccache(environment, "gcc", "-c", "hello.c", "-o", "hello.o");
        assertThat(stat(environment, "remote_storage_miss")).isEqualTo(1);
        assertThat(stat(environment, "remote_storage_error")).isZero();

        deleteRecursively(work.resolve("ccache"));
        Files.delete(work.resolve("hello.o"));
        ccache(environment, "gcc", "-c", "hello.c", "-o", "hello.o");
        assertThat(stat(environment, "remote_storage_hit")).isEqualTo(1);
        assertThat(stat(environment, "local_storage_hit")).isZero();
        assertThat(work.resolve("hello.o")).isNotEmptyFile();
    }

    private void ccache(Map<String, String> environment, String... args) throws Exception {
        run(environment, concat("ccache", args));
    }

    private long stat(Map<String, String> environment, String name) throws Exception {
        for (String line : run(environment, "ccache", "--print-stats").split("\n")) {
            String[] fields = line.split("\t");
            if (fields[0].equals(name)) {
                return Long.parseLong(fields[1].trim());
            }
        }
        throw new AssertionError("ccache has no statistic " + name);
    }

    private String run(Map<String, String> environment, String... command) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(command).directory(work.toFile()).redirectErrorStream(true);
        builder.environment().putAll(environment);
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", command) + ": " + output).isZero();
        return output;
    }

    private HttpResponse<byte[]> send(String method, String path, byte[] body) throws IOException,
            InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    }

    private static String[] concat(String first, String... rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    private static void deleteRecursively(Path directory) throws IOException {
        try (var paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }
}
