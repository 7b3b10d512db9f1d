package dev.cas.worker.cache;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

/**
 * Local writes that no build needs to wait for, run one after the other on a background thread: a result another
 * level served (a remote hit) is written to its output file and the build goes on to the link while the local cache
 * takes its copy (19-74 ms a unit of the SQLite shell, measured); a unit just compiled is answered before its object
 * is stored (10-50 ms for sqlite3.c at -O0). Bounded: with more than {@code maxQueuedBytes} waiting, the caller stores
 * for itself. A store waits while a build runs ({@code busy}, whose end {@link #buildsEnded} tells), at most
 * {@code patience} after it was queued: on a 2-core machine its compression and write took 50-60 ms of processor time
 * from the build that queued it (the other unit's fetch, the link). Drained, without waiting for builds, before the
 * cache is cleared or closed, so nothing queued is lost to a stop.
 */
final class BackgroundStores implements AutoCloseable {
    private final long maxQueuedBytes;
    private final BooleanSupplier busy;
    private final long patienceNanos;
    private final AtomicLong queuedBytes = new AtomicLong();
    /** Callers of {@link #drain}, waiting: the stores go on without waiting for builds to end. */
    private final AtomicInteger draining = new AtomicInteger();
    /** What a waiting store sleeps on. */
    private final Object quiet = new Object();
    private final ThreadPoolExecutor executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
            new LinkedBlockingQueue<>(), task -> {
                Thread thread = new Thread(task, "cas-local-store");
                thread.setDaemon(true);
                return thread;
            });

    BackgroundStores(long maxQueuedBytes, BooleanSupplier busy, Duration patience) {
        this.maxQueuedBytes = maxQueuedBytes;
        this.busy = busy;
        this.patienceNanos = patience.toNanos();
    }

    /** Runs {@code store} (which writes about {@code bytes}) in the background, or now when too much is waiting. */
    void submit(long bytes, Runnable store) {
        if (queuedBytes.addAndGet(bytes) > maxQueuedBytes) {
            queuedBytes.addAndGet(-bytes);
            store.run();
            return;
        }
        long queuedAt = System.nanoTime();
        try {
            executor.execute(() -> {
                try {
                    waitWhileBusy(queuedAt);
                    store.run();
                } finally {
                    queuedBytes.addAndGet(-bytes);
                }
            });
        } catch (RejectedExecutionException closed) {
            queuedBytes.addAndGet(-bytes);
            store.run();
        }
    }

    /**
     * Sleeps until the builds end ({@link #buildsEnded}), the patience runs out, or a drain or the close comes. It
     * polled every 5 ms before: in a cold build of zstd (a build always running) that woke the thread ~1,800 times,
     * 73 ms of processor time taken from clang (async-profiler).
     */
    private void waitWhileBusy(long queuedAt) {
        synchronized (quiet) {
            try {
                long left;
                while (busy.getAsBoolean() && (left = patienceNanos - (System.nanoTime() - queuedAt)) > 0
                        && draining.get() == 0 && !executor.isShutdown()) {
                    TimeUnit.NANOSECONDS.timedWait(quiet, left);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Wakes a store waiting for the builds: call when the last build ends (and {@code busy} turns false). */
    void buildsEnded() {
        wake();
    }

    private void wake() {
        synchronized (quiet) {
            quiet.notifyAll();
        }
    }

    /** Waits until everything submitted before this call is stored. */
    void drain() {
        draining.incrementAndGet();
        wake();
        try {
            executor.submit(() -> { }).get();
        } catch (RejectedExecutionException closed) {
            // closed: close() waited for the queue already
        } catch (ExecutionException impossible) {
            throw new IllegalStateException(impossible);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            draining.decrementAndGet();
        }
    }

    /** Stores what is queued, then stops the thread. */
    @Override
    public void close() {
        executor.shutdown();
        wake();
        try {
            executor.awaitTermination(5, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
