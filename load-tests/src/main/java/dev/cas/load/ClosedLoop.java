package dev.cas.load;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Keeps {@code concurrency} asynchronous operations in flight for a warm-up and a measured period: each completion
 * records its latency (measured period only) and starts the next, as a closed-loop client (like redis-benchmark's
 * {@code -c}) does.
 */
final class ClosedLoop {
    /** What a run measured: latencies in microseconds, completed and failed operations, the measured seconds. */
    record Result(Histogram latencyMicros, long operations, long errors, double seconds, String firstError) {
        double opsPerSecond() {
            return operations / seconds;
        }
    }

    /**
     * Starts one operation. {@code lane} (0 to concurrency-1) is the loop issuing it, so a lane can keep to one
     * connection and start its next call on the event loop that completed the last; {@code sequence} counts all.
     */
    @FunctionalInterface
    interface Operation {
        CompletableFuture<?> start(int lane, long sequence);
    }

    private ClosedLoop() {
    }

    /** Runs {@code operation} in a closed loop. */
    static Result run(Operation operation, int concurrency, double warmupSeconds,
            double measureSeconds) throws InterruptedException {
        ConcurrentHistogram histogram = new ConcurrentHistogram(TimeUnit.SECONDS.toMicros(60), 3);
        AtomicLong sequence = new AtomicLong();
        AtomicLong done = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        StringBuilder firstError = new StringBuilder();
        long start = System.nanoTime();
        long measureFrom = start + (long) (warmupSeconds * 1e9);
        long end = measureFrom + (long) (measureSeconds * 1e9);
        CountDownLatch lanes = new CountDownLatch(concurrency);
        for (int lane = 0; lane < concurrency; lane++) {
            int thisLane = lane;
            new Object() {
                void next() {
                    long issued = System.nanoTime();
                    if (issued >= end) {
                        lanes.countDown();
                        return;
                    }
                    CompletableFuture<?> call;
                    try {
                        call = operation.start(thisLane, sequence.getAndIncrement());
                    } catch (RuntimeException e) {
                        call = CompletableFuture.failedFuture(e);
                    }
                    BiConsumer<Object, Throwable> completion = (ignored, failure) -> {
                        long finished = System.nanoTime();
                        if (issued >= measureFrom && finished <= end) {
                            if (failure == null) {
                                histogram.recordValue(Math.max(1, (finished - issued) / 1000));
                                done.incrementAndGet();
                            } else {
                                errors.incrementAndGet();
                                synchronized (firstError) {
                                    if (firstError.isEmpty()) {
                                        firstError.append(failure);
                                    }
                                }
                            }
                        }
                        next();
                    };
                    if (call.isDone()) {
                        call.whenCompleteAsync(completion); // off this stack: an instant failure must not recurse
                    } else {
                        call.whenComplete(completion);
                    }
                }
            }.next();
        }
        lanes.await();
        return new Result(histogram, done.get(), errors.get(), measureSeconds, firstError.toString());
    }
}
