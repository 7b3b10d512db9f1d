package dev.cas.server;

import static org.assertj.core.api.Assertions.assertThat;

import build.bazel.remote.execution.v2.BatchReadBlobsRequest;
import build.bazel.remote.execution.v2.BatchUpdateBlobsRequest;
import build.bazel.remote.execution.v2.CapabilitiesGrpc;
import build.bazel.remote.execution.v2.ContentAddressableStorageGrpc;
import build.bazel.remote.execution.v2.FindMissingBlobsRequest;
import build.bazel.remote.execution.v2.GetCapabilitiesRequest;
import com.google.bytestream.ByteStreamGrpc;
import com.google.bytestream.ReadRequest;
import com.google.bytestream.WriteRequest;
import com.google.bytestream.WriteResponse;
import com.google.protobuf.ByteString;
import dev.cas.store.Digest;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server as a real process (the packaged jar) under a write load of small batched blobs and multi-chunk
 * ByteStream uploads, killed with SIGKILL mid-load, then started again on the same directory: every blob whose write
 * was acknowledged must be there, whole and correct.
 */
class KillDashNineIT {
    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedBlobSurvivesSigkill() throws Exception {
        int port = freePort();
        Process server = start(port);
        Map<Digest, Long> acknowledged = new ConcurrentHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService writers = Executors.newFixedThreadPool(4);
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        try {
            awaitReady(channel);
            for (int w = 0; w < 4; w++) {
                long base = w * 1_000_000L;
                boolean large = w == 0;
                writers.submit(() -> writeUntilStopped(channel, base, large, acknowledged, stop));
            }
            TimeUnit.SECONDS.sleep(4);
            server.destroyForcibly(); // SIGKILL on Linux: no shutdown hook, no flush, no close
            assertThat(server.waitFor(30, TimeUnit.SECONDS)).isTrue();
            stop.set(true);
        } finally {
            writers.shutdown();
            writers.awaitTermination(30, TimeUnit.SECONDS);
            channel.shutdownNow();
        }
        assertThat(acknowledged).as("the load acknowledged writes before the kill").hasSizeGreaterThan(50);
        System.out.printf("SIGKILL after %d acknowledged blobs (%d multi-chunk)%n", acknowledged.size(),
                acknowledged.keySet().stream().filter(d -> d.size() > 1_000_000).count());

        Process restarted = start(port);
        ManagedChannel again = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext()
                .maxInboundMessageSize(64 << 20).build();
        try {
            awaitReady(again);
            var cas = ContentAddressableStorageGrpc.newBlockingStub(again);
            var missing = cas.findMissingBlobs(FindMissingBlobsRequest.newBuilder()
                    .addAllBlobDigests(acknowledged.keySet().stream().map(KillDashNineIT::proto).toList()).build());
            assertThat(missing.getMissingBlobDigestsList()).as("acknowledged but lost").isEmpty();
            for (Map.Entry<Digest, Long> blob : acknowledged.entrySet()) {
                Digest digest = blob.getKey();
                byte[] expected = content(blob.getValue(), (int) digest.size());
                byte[] actual = digest.size() > 100_000 ? readStream(again, digest)
                        : cas.batchReadBlobs(BatchReadBlobsRequest.newBuilder().addDigests(proto(digest)).build())
                                .getResponses(0).getData().toByteArray();
                assertThat(actual).as("blob %s", digest).isEqualTo(expected);
            }
        } finally {
            again.shutdownNow();
            restarted.destroy();
            restarted.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static void writeUntilStopped(ManagedChannel channel, long base, boolean large,
            Map<Digest, Long> acknowledged, AtomicBoolean stop) {
        var cas = ContentAddressableStorageGrpc.newBlockingStub(channel);
        for (long seed = base; !stop.get(); seed++) {
            try {
                if (large) {
                    byte[] blob = content(seed, 2_500_000 + (int) (seed % 1000));
                    Digest digest = Digest.of(blob);
                    writeStream(channel, digest, blob);
                    acknowledged.put(digest, seed);
                } else {
                    BatchUpdateBlobsRequest.Builder batch = BatchUpdateBlobsRequest.newBuilder();
                    List<Digest> digests = new ArrayList<>();
                    List<Long> seeds = new ArrayList<>();
                    for (int i = 0; i < 20; i++, seed++) {
                        byte[] blob = content(seed, 1000 + (int) (seed % 3000));
                        Digest digest = Digest.of(blob);
                        digests.add(digest);
                        seeds.add(seed);
                        batch.addRequests(BatchUpdateBlobsRequest.Request.newBuilder().setDigest(proto(digest))
                                .setData(ByteString.copyFrom(blob)));
                    }
                    var response = cas.batchUpdateBlobs(batch.build());
                    for (int i = 0; i < digests.size(); i++) {
                        if (response.getResponses(i).getStatus().getCode() == 0) {
                            acknowledged.put(digests.get(i), seeds.get(i));
                        }
                    }
                }
            } catch (RuntimeException e) {
                if (stop.get()) {
                    return;
                }
                try {
                    TimeUnit.MILLISECONDS.sleep(50); // the server is gone: nothing more is acknowledged
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }

    private static void writeStream(ManagedChannel channel, Digest digest, byte[] blob) {
        String name = "uploads/" + UUID.randomUUID() + "/blobs/" + digest.hash() + "/" + digest.size();
        WriteResponse response = ByteStreamUploads.write(channel, name, blob, 256 * 1024);
        assertThat(response.getCommittedSize()).isEqualTo(blob.length);
    }

    private static byte[] readStream(ManagedChannel channel, Digest digest) {
        List<ByteString> parts = new ArrayList<>();
        ByteStreamGrpc.newBlockingStub(channel).read(ReadRequest.newBuilder()
                .setResourceName("blobs/" + digest.hash() + "/" + digest.size()).build())
                .forEachRemaining(r -> parts.add(r.getData()));
        return ByteString.copyFrom(parts).toByteArray();
    }

    private Process start(int port) throws Exception {
        String jar = System.getProperty("cas.server.jar");
        assertThat(jar).as("failsafe passes the packaged jar's path").isNotNull();
        Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
        return new ProcessBuilder(java.toString(), "-Xmx512m", "-jar", jar,
                "--cas.storage.path=" + dir.resolve("db"), "--cas.grpc.port=" + port, "--server.port=0")
                .redirectErrorStream(true).redirectOutput(dir.resolve("server-" + System.nanoTime() + ".log").toFile())
                .start();
    }

    private static void awaitReady(ManagedChannel channel) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (true) {
            try {
                CapabilitiesGrpc.newBlockingStub(channel).withDeadlineAfter(2, TimeUnit.SECONDS)
                        .getCapabilities(GetCapabilitiesRequest.getDefaultInstance());
                return;
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the server did not come up", e);
                }
                TimeUnit.MILLISECONDS.sleep(200);
            }
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static byte[] content(long seed, int size) {
        byte[] blob = new byte[size];
        new Random(seed).nextBytes(blob);
        return blob;
    }

    private static build.bazel.remote.execution.v2.Digest proto(Digest digest) {
        return build.bazel.remote.execution.v2.Digest.newBuilder().setHash(digest.hash())
                .setSizeBytes(digest.size()).build();
    }
}
