package dev.cas.load;

import build.bazel.remote.execution.v2.BatchReadBlobsRequest;
import build.bazel.remote.execution.v2.Digest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The operations a run can repeat, over blobs a preload put in the server ({@link Blobs} indexes below the working
 * set) and digests it never holds (the misses a hit ratio below one asks for).
 */
enum Scenario {
    FIND_MISSING, BATCH_READ, BYTESTREAM_READ, BYTESTREAM_WRITE, BATCH_WRITE;

    /** Settings a scenario draws from. */
    record Settings(Blobs blobs, long workingSet, double hitRatio, int digestsPerCall) {
    }

    /** One operation per sequence number, and how many payload bytes each moves (for MB/s). */
    record Workload(ClosedLoop.Operation operation, long bytesPerOperation) {
    }

    Workload workload(CasClient client, Settings settings) {
        return switch (this) {
            case FIND_MISSING -> {
                List<List<Digest>> requests = new ArrayList<>();
                for (int r = 0; r < 8; r++) {
                    requests.add(digests(settings, settings.digestsPerCall(), r));
                }
                yield new Workload((lane, seq) -> client.findMissing(requests.get((int) (seq % requests.size())), lane),
                        0);
            }
            case BATCH_READ -> {
                List<BatchReadBlobsRequest> requests = new ArrayList<>();
                for (int r = 0; r < 1024; r++) {
                    requests.add(client.batchReadRequest(digests(settings, settings.digestsPerCall(), r)));
                }
                yield new Workload((lane, seq) -> client.batchRead(requests.get((int) (seq % requests.size())), lane),
                        (long) settings.blobs().size() * settings.digestsPerCall());
            }
            case BYTESTREAM_READ -> {
                List<Digest> digests = digests(settings, 4096, 0);
                yield new Workload((lane, seq) -> client.read(digests.get((int) (seq % digests.size())), lane),
                        settings.blobs().size());
            }
            case BYTESTREAM_WRITE -> {
                long base = Blobs.MISS_BASE * 2 + (System.nanoTime() & 0xffffffffL) * (1L << 24);
                yield new Workload((lane, seq) -> client.write(settings.blobs().content(base + seq), lane),
                        settings.blobs().size());
            }
            case BATCH_WRITE -> {
                long base = Blobs.MISS_BASE * 3 + (System.nanoTime() & 0xffffffffL) * (1L << 24);
                yield new Workload((lane, seq) -> client.batchUpdate(List.of(settings.blobs().content(base + seq)),
                        lane), settings.blobs().size());
            }
        };
    }

    /** {@code count} digests: held ones (from the working set) in the hit ratio, the rest never uploaded. */
    private static List<Digest> digests(Settings settings, int count, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<Digest> digests = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            if (random.nextDouble() < settings.hitRatio()) {
                digests.add(settings.blobs().digest(random.nextLong(settings.workingSet())));
            } else {
                byte[] hash = new byte[32];
                random.nextBytes(hash);
                digests.add(Digest.newBuilder().setHash(HexFormat.of().formatHex(hash))
                        .setSizeBytes(settings.blobs().size()).build());
            }
        }
        return digests;
    }
}
