package dev.cas.store;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Admits writes against what the cache's directory takes on disk, as the file system reports it: every file counts,
 * whoever wrote it. A write is admitted when the last measurement, plus what was admitted since, plus the write stay
 * within the admitted bytes; one that would not is measured afresh, then the owner's relief runs (told the excess:
 * it flushes and evicts), then it is measured once more and refused with a {@code FULL} {@link StoreException} if it still
 * does not fit. Measuring lists one directory, so it is done at most every {@link #MEASURE_INTERVAL_NANOS} on the
 * fast path.
 */
final class DirectoryBound {
    private static final long MEASURE_INTERVAL_NANOS = 50_000_000L;

    private final Path directory;
    private final long admittedBytes;
    private final LongConsumer relief;
    private final AtomicLong admittedSinceMeasured = new AtomicLong();
    private volatile long measuredBytes;
    private volatile long measuredAt;

    DirectoryBound(Path directory, long admittedBytes, LongConsumer relief) {
        this.directory = directory;
        this.admittedBytes = admittedBytes;
        this.relief = relief;
        measure();
    }

    /** Counts {@code bytes} about to be written, or throws a {@code FULL} {@link StoreException} when they do not fit. */
    void admit(long bytes) {
        measureIfStale();
        if (fits(bytes)) {
            admittedSinceMeasured.addAndGet(bytes);
            return;
        }
        synchronized (this) {
            measure();
            if (!fits(bytes)) {
                relief.accept(measuredBytes + bytes - admittedBytes);
                measure();
            }
            if (!fits(bytes)) {
                throw StoreException.full("the cache directory holds " + measuredBytes + " bytes; a write of "
                        + bytes + " bytes would pass the " + admittedBytes + " bytes it may hold while eviction "
                        + "and compaction catch up", null);
            }
            admittedSinceMeasured.addAndGet(bytes);
        }
    }

    /** The directory's size on disk at the last measurement, taken now if older than the interval. */
    long usedBytes() {
        measureIfStale();
        return measuredBytes;
    }

    /**
     * Measures when the last measurement is older than the interval, once: writers that found it stale together
     * wait for the first one's listing instead of each listing the directory again.
     */
    private void measureIfStale() {
        if (stale()) {
            synchronized (this) {
                if (stale()) {
                    measure();
                }
            }
        }
    }

    private boolean stale() {
        return System.nanoTime() - measuredAt > MEASURE_INTERVAL_NANOS;
    }

    private boolean fits(long bytes) {
        return measuredBytes + admittedSinceMeasured.get() + bytes <= admittedBytes;
    }

    private synchronized void measure() {
        admittedSinceMeasured.set(0);
        measuredBytes = sizeOf(directory);
        measuredAt = System.nanoTime();
    }

    /** The sum of the regular files' sizes under {@code root}; files that vanish while listed (compaction) count 0. */
    static long sizeOf(Path root) {
        long[] total = {0};
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                    total[0] += attributes.isRegularFile() ? attributes.size() : 0;
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw StoreException.failed("cannot measure the cache directory " + root + ": " + e.getMessage(), e);
        }
        return total[0];
    }
}
