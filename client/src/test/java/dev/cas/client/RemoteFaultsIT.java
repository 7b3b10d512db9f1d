package dev.cas.client;

import static org.assertj.core.api.Assertions.assertThat;

import build.bazel.remote.execution.v2.ActionCacheGrpc;
import build.bazel.remote.execution.v2.ActionResult;
import build.bazel.remote.execution.v2.BatchReadBlobsRequest;
import build.bazel.remote.execution.v2.BatchReadBlobsResponse;
import build.bazel.remote.execution.v2.CacheCapabilities;
import build.bazel.remote.execution.v2.CapabilitiesGrpc;
import build.bazel.remote.execution.v2.ContentAddressableStorageGrpc;
import build.bazel.remote.execution.v2.DigestFunction;
import build.bazel.remote.execution.v2.GetActionResultRequest;
import build.bazel.remote.execution.v2.GetCapabilitiesRequest;
import build.bazel.remote.execution.v2.ServerCapabilities;
import com.google.protobuf.ByteString;
import dev.cas.client.Launchers.Run;
import dev.cas.store.Digest;
import dev.cas.worker.cache.UnitManifest;
import dev.cas.worker.remote.ManifestResults;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cache server that is down, black-holed, failing or lying never fails a build nor changes its output: the build
 * compiles locally, waits at most about one connect timeout, prints one warning line, and the next build in the same
 * window does not ask the server again. The failing and lying servers are fakes on real gRPC: a real cas-server
 * verifies what it serves, so it cannot produce those faults.
 */
class RemoteFaultsIT {
    private static final String PROGRAM = "#include <stdio.h>\nint twice(int);\n"
            + "int main(void) { printf(\"%d\\n\", twice(VALUE)); return 0; }\n";
    private static final String LIBRARY = "int twice(int x) { return 2 * x; }\n";
    /** Room beyond one connect timeout for a loaded CI machine. */
    private static final long ROOM_MILLIS = 2_000;
    /** The default connect timeout: where the fault is the connection itself. */
    private static final long DEFAULT_CONNECT_MILLIS = 1_000;
    /**
     * Where the fault comes after the connection: room to connect on a loaded machine (bin/test runs two modules at a
     * time, and a fresh worker's first connection to a fresh server took over 1 s there), so the warning names the
     * fault, not a connect timeout.
     */
    private static final long FAULT_AFTER_CONNECT_MILLIS = 10_000;

    @TempDir
    Path dir;
    private Map<String, String> env;
    private Server fake;

    @AfterEach
    void stop() throws Exception {
        if (env != null) {
            Launchers.run(dir, env, "stop");
        }
        if (fake != null) {
            fake.shutdownNow();
        }
    }

    @Test
    void aServerThatIsDown() throws Exception {
        int closed = RemoteCacheIT.freePort();
        buildsLocallyWithOneWarning("grpc://127.0.0.1:" + closed, "UNAVAILABLE", DEFAULT_CONNECT_MILLIS);
    }

    @Test
    void aServerThatAcceptsConnectionsAndNeverAnswers() throws Exception {
        try (ServerSocket blackHole = new ServerSocket(0, 50)) {
            buildsLocallyWithOneWarning("grpc://127.0.0.1:" + blackHole.getLocalPort(), "DEADLINE_EXCEEDED",
                    DEFAULT_CONNECT_MILLIS);
        }
    }

    @Test
    void aServerThatAnswersWithErrors() throws Exception {
        fake = fakeServer(new ActionCacheGrpc.ActionCacheImplBase() {
            @Override
            public void getActionResult(GetActionResultRequest request, StreamObserver<ActionResult> observer) {
                observer.onError(Status.INTERNAL.withDescription("disk on fire").asRuntimeException());
            }
        }, new ContentAddressableStorageGrpc.ContentAddressableStorageImplBase() {
        });
        buildsLocallyWithOneWarning("grpc://127.0.0.1:" + fake.getPort(), "disk on fire", FAULT_AFTER_CONNECT_MILLIS);
    }

    @Test
    void aServerThatReturnsACorruptBlob() throws Exception {
        Digest claimed = Digest.of("the object the result names".getBytes());
        fake = fakeServer(new ActionCacheGrpc.ActionCacheImplBase() {
            @Override
            public void getActionResult(GetActionResultRequest request, StreamObserver<ActionResult> observer) {
                observer.onNext(ManifestResults.toResult(new UnitManifest(List.of(claimed), Digest.EMPTY, 1)));
                observer.onCompleted();
            }
        }, new ContentAddressableStorageGrpc.ContentAddressableStorageImplBase() {
            @Override
            public void batchReadBlobs(BatchReadBlobsRequest request,
                    StreamObserver<BatchReadBlobsResponse> observer) {
                BatchReadBlobsResponse.Builder response = BatchReadBlobsResponse.newBuilder();
                request.getDigestsList().forEach(digest -> response.addResponses(BatchReadBlobsResponse.Response
                        .newBuilder().setDigest(digest).setData(ByteString.copyFromUtf8("something else"))));
                observer.onNext(response.build());
                observer.onCompleted();
            }
        });
        buildsLocallyWithOneWarning("grpc://127.0.0.1:" + fake.getPort(), "corrupt blob", FAULT_AFTER_CONNECT_MILLIS);
    }

    @Test
    void aServerThatSendsACorruptObjectInline() throws Exception {
        Digest claimed = Digest.of("the object the result names".getBytes());
        fake = fakeServer(new ActionCacheGrpc.ActionCacheImplBase() {
            @Override
            public void getActionResult(GetActionResultRequest request, StreamObserver<ActionResult> observer) {
                ActionResult result = ManifestResults.toResult(new UnitManifest(List.of(claimed), Digest.EMPTY, 1));
                observer.onNext(result.toBuilder().setOutputFiles(0, result.getOutputFiles(0).toBuilder()
                        .setContents(ByteString.copyFromUtf8("something else"))).build());
                observer.onCompleted();
            }
        }, new ContentAddressableStorageGrpc.ContentAddressableStorageImplBase() {
        });
        buildsLocallyWithOneWarning("grpc://127.0.0.1:" + fake.getPort(), "corrupt blob", FAULT_AFTER_CONNECT_MILLIS);
    }

    /**
     * Starts the worker without a server, then builds twice with the faulty one: the first build warns once and loses at
     * most about a connect timeout; the second, inside the retry window, neither warns nor waits.
     */
    private void buildsLocallyWithOneWarning(String remote, String reason, long connectTimeoutMillis)
            throws Exception {
        env = new HashMap<>(Map.of("CAS_CACHE_DIR", dir.resolve("cache").toString(), "CAS_WORKER_IDLE_SECONDS", "120",
                "XDG_CONFIG_HOME", dir.resolve("config").toString()));
        Files.writeString(dir.resolve("warm.c"), "int warm(void) { return 1; }\n");
        Launchers.ok(dir, env, "cc", "-c", "warm.c");
        Files.writeString(dir.resolve("twice.c"), LIBRARY);
        env.put("CAS_REMOTE", remote);
        env.put("CAS_TOKEN", "some-token-0123456789abcdef");
        env.put("CAS_REMOTE_CONNECT_TIMEOUT_MS", Long.toString(connectTimeoutMillis));

        Files.writeString(dir.resolve("main.c"), PROGRAM.replace("VALUE", "21"));
        long begin = System.nanoTime();
        Run first = Launchers.ok(dir, env, "cc", "-O2", "-o", "prog", "main.c", "twice.c");
        long firstMillis = (System.nanoTime() - begin) / 1_000_000;
        assertThat(Launchers.output(dir.resolve("prog"), null)).isEqualTo("42\n");
        List<String> warnings = first.stderr().lines().filter(line -> line.contains("warning")).toList();
        assertThat(warnings).as(first.stderr()).hasSize(1);
        assertThat(warnings.get(0)).startsWith("cas-compile: warning: remote cache " + remote + " unavailable")
                .contains(reason).endsWith("compiling locally");

        Files.writeString(dir.resolve("main.c"), PROGRAM.replace("VALUE", "50"));
        begin = System.nanoTime();
        Run second = Launchers.ok(dir, env, "cc", "-O2", "-o", "prog", "main.c", "twice.c");
        long secondMillis = (System.nanoTime() - begin) / 1_000_000;
        assertThat(second.stderr()).as("the server is not asked again within the retry window").isEmpty();
        assertThat(Launchers.output(dir.resolve("prog"), null)).isEqualTo("100\n");
        assertThat(firstMillis).as("time lost to the server (second build took %d ms)", secondMillis)
                .isLessThan(secondMillis + connectTimeoutMillis + ROOM_MILLIS);
        assertThat(Launchers.ok(dir, env, "stats", "--json").stdout()).as("the failure is counted")
                .containsPattern("\"remote.errors\": [1-9]");
    }

    private static Server fakeServer(ActionCacheGrpc.ActionCacheImplBase actions,
            ContentAddressableStorageGrpc.ContentAddressableStorageImplBase cas) throws Exception {
        return NettyServerBuilder.forPort(0).addService(new CapabilitiesGrpc.CapabilitiesImplBase() {
            @Override
            public void getCapabilities(GetCapabilitiesRequest request, StreamObserver<ServerCapabilities> observer) {
                observer.onNext(ServerCapabilities.newBuilder().setCacheCapabilities(CacheCapabilities.newBuilder()
                        .addDigestFunctions(DigestFunction.Value.SHA256).setMaxBatchTotalSizeBytes(4 << 20)).build());
                observer.onCompleted();
            }
        }).addService(actions).addService(cas).build().start();
    }
}
