package dev.cas.server;

import static org.assertj.core.api.Assertions.assertThat;

import build.bazel.remote.execution.v2.BatchReadBlobsRequest;
import build.bazel.remote.execution.v2.BatchReadBlobsResponse;
import build.bazel.remote.execution.v2.BatchUpdateBlobsRequest;
import build.bazel.remote.execution.v2.ContentAddressableStorageGrpc;
import com.google.protobuf.ByteString;
import dev.cas.store.Digest;
import dev.cas.store.RocksDbDatabase;
import io.grpc.Status;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * {@code cas.storage.max-size} bounds the whole data directory (D5: with a 20 MB limit it once peaked at 107 MB: the
 * write-ahead logs, memtables and info logs were not counted). Four writers, two on gRPC and two on HTTP, write eight
 * times the limit in incompressible blobs while the directory is measured every few milliseconds: it never passes the
 * limit by more than {@link #MARGIN}, every write is acknowledged or refused with RESOURCE_EXHAUSTED / 507, and every
 * acknowledged blob reads back intact or was evicted (the newest always read back).
 */
class DiskBoundIT extends RunningServer {
    static final long LIMIT = 20L << 20;
    /**
     * The documented margin (README): what a flush or compaction under way may add before its inputs go (1.5% seen on
     * a quiet machine, 3.6% in a CI run): compaction outputs are not bounded exactly by RocksDB.
     */
    static final double MARGIN = 0.10;
    private static final long WRITTEN_PER_WRITER = 40L << 20;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        storageAndPorts(registry);
        registry.add("cas.storage.max-size", () -> LIMIT + "B");
        registry.add("cas.storage.max-blob-size", () -> "1MB");
        registry.add("cas.storage.memory-cache-size", () -> "0");
    }

    @Autowired
    RocksDbDatabase database;

    ContentAddressableStorageGrpc.ContentAddressableStorageBlockingStub cas;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void stubs() {
        cas = ContentAddressableStorageGrpc.newBlockingStub(channel);
    }

    record Acknowledged(Digest digest, byte[] blob, long sequence) {
    }

    @Test
    void theDirectoryStaysWithinTheLimitWhileWritersFillItAndAcknowledgedBlobsReadBack() throws Exception {
        Path directory = storage.resolve("db");
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicLong largest = new AtomicLong();
        AtomicReference<String> peak = new AtomicReference<>();
        Thread sampler = new Thread(() -> {
            while (writing.get()) {
                long now = sizeOf(directory);
                if (now > largest.get()) {
                    largest.set(now);
                    peak.set(breakdown(directory));
                }
                Thread.onSpinWait();
            }
        });
        sampler.start();
        List<Acknowledged> acknowledged = Collections.synchronizedList(new ArrayList<>());
        AtomicLong sequence = new AtomicLong();
        AtomicInteger refused = new AtomicInteger();
        ExecutorService writers = Executors.newFixedThreadPool(4);
        List<Future<?>> running = new ArrayList<>();
        for (int writer = 0; writer < 4; writer++) {
            boolean overHttp = writer % 2 == 1;
            long seed = writer;
            running.add(writers.submit(() -> {
                SplittableRandom random = new SplittableRandom(seed);
                for (long written = 0; written < WRITTEN_PER_WRITER; ) {
                    byte[] blob = new byte[random.nextInt(16 << 10, 256 << 10)];
                    random.nextBytes(blob);
                    Digest digest = Digest.of(blob);
                    if (overHttp ? putOverHttp(digest, blob) : putOverGrpc(digest, blob)) {
                        acknowledged.add(new Acknowledged(digest, blob, sequence.incrementAndGet()));
                    } else {
                        refused.incrementAndGet();
                    }
                    written += blob.length;
                }
                return null;
            }));
        }
        for (Future<?> writer : running) {
            writer.get(5, TimeUnit.MINUTES);
        }
        writers.shutdown();
        writing.set(false);
        sampler.join();

        long bound = (long) (LIMIT * (1 + MARGIN));
        System.out.println("at the peak: " + peak.get());
        System.out.printf("directory: largest %d bytes for a limit of %d; %d writes acknowledged, %d refused, "
                + "%d evictions; now %d bytes%n", largest.get(), LIMIT, acknowledged.size(), refused.get(),
                database.evictions(), sizeOf(directory));
        assertThat(largest.get()).isLessThanOrEqualTo(bound);
        assertThat(acknowledged.size()).isGreaterThan(refused.get());
        assertThat(database.evictions()).isPositive();

        List<Acknowledged> newestFirst = new ArrayList<>(acknowledged);
        newestFirst.sort((a, b) -> Long.compare(b.sequence(), a.sequence()));
        long newestBytes = 0;
        int missing = 0;
        for (Acknowledged blob : newestFirst) {
            BatchReadBlobsResponse.Response read = cas.batchReadBlobs(BatchReadBlobsRequest.newBuilder()
                    .addDigests(proto(blob.digest())).build()).getResponses(0);
            newestBytes += blob.blob().length;
            if (read.getStatus().getCode() == Status.Code.NOT_FOUND.value()) {
                assertThat(newestBytes).as("the newest quarter of what values may take is never evicted")
                        .isGreaterThan(database.dataLimitBytes() / 4);
                missing++;
            } else {
                assertThat(read.getStatus().getCode()).isZero();
                assertThat(read.getData().toByteArray()).isEqualTo(blob.blob());
            }
        }
        assertThat(missing).isLessThanOrEqualTo((int) database.evictions());
        assertThat(sizeOf(directory)).isLessThanOrEqualTo(bound);
        assertWritesAreAcceptedAgain();
    }

    /** Refusals last only while eviction and compaction catch up: once the writers stop, a write goes through. */
    private void assertWritesAreAcceptedAgain() throws InterruptedException {
        byte[] blob = new byte[64 << 10];
        new SplittableRandom(99).nextBytes(blob);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!putOverGrpc(Digest.of(blob), blob)) {
            assertThat(System.nanoTime()).as("a write accepted within 30 s of the storm").isLessThan(deadline);
            Thread.sleep(100);
        }
        assertThat(putOverHttp(Digest.of(blob), blob)).isTrue();
    }

    private boolean putOverGrpc(Digest digest, byte[] blob) {
        int code = cas.batchUpdateBlobs(BatchUpdateBlobsRequest.newBuilder()
                .addRequests(BatchUpdateBlobsRequest.Request.newBuilder().setDigest(proto(digest))
                        .setData(ByteString.copyFrom(blob))).build()).getResponses(0).getStatus().getCode();
        assertThat(code).as("a write is stored or refused as RESOURCE_EXHAUSTED")
                .isIn(0, Status.Code.RESOURCE_EXHAUSTED.value());
        return code == 0;
    }

    private boolean putOverHttp(Digest digest, byte[] blob) {
        try {
            int status = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/cas/"
                    + digest.hash())).PUT(HttpRequest.BodyPublishers.ofByteArray(blob)).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
            assertThat(status).as("a write is stored or refused as 507").isIn(201, 507);
            return status == 201;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Bytes by kind of file (tables, write-ahead logs, info log, manifest...), to tell what a peak was made of. */
    static String breakdown(Path directory) {
        Map<String, Long> kinds = new TreeMap<>();
        try (Stream<Path> files = Files.list(directory)) {
            files.forEach(file -> {
                String name = file.getFileName().toString();
                String kind = name.endsWith(".sst") ? "sst" : name.endsWith(".blob") ? "blob" : name.endsWith(".log") ? "wal"
                        : name.replaceAll("[-.].*", "");
                try {
                    kinds.merge(kind, Files.size(file), Long::sum);
                } catch (IOException gone) {
                    // compacted away
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return kinds.toString();
    }

    /** The directory as the file system reports it; files compaction removes while listed count 0. */
    static long sizeOf(Path directory) {
        try (Stream<Path> files = Files.list(directory)) {
            return files.mapToLong(file -> {
                try {
                    return Files.isRegularFile(file) ? Files.size(file) : 0;
                } catch (IOException gone) {
                    return 0;
                }
            }).sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static build.bazel.remote.execution.v2.Digest proto(Digest digest) {
        return build.bazel.remote.execution.v2.Digest.newBuilder().setHash(digest.hash())
                .setSizeBytes(digest.size()).build();
    }
}
