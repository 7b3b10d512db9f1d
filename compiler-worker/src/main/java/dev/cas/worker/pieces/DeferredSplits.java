package dev.cas.worker.pieces;

import dev.cas.store.Digest;
import dev.cas.worker.cache.LocalCache;
import dev.cas.worker.cache.Stat;
import dev.cas.worker.common.WorkFiles;
import dev.cas.worker.llvm.LlvmBackend;
import dev.cas.worker.remote.RemoteSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Splitting a unit into pieces costs more processor time than compiling it whole (each piece is optimised on its
 * own, an imported body again in every importer, then the pieces are merged), and a cold parallel build pays that
 * on its critical path: zstd's own Makefile build at -O3 with {@code make -j2} took 1.6x clang split, 1.2x whole. A
 * unit built for the first time while other units compete for the cores is therefore compiled whole, and its bitcode
 * is kept here and split into pieces once the worker is idle, so that its first edit already finds the pieces.
 * <p>
 * One job at a time, on the piece pool, after no unit has been compiling for {@link #IDLE_MILLIS}. A unit that misses
 * again waits for its own job if that job is running (its pieces are what the new build hits) and drops it if queued.
 * Jobs still queued when the worker stops are dropped, and the running one stops before its next piece: the pieces
 * are then built at the unit's next miss.
 */
public final class DeferredSplits implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DeferredSplits.class);
    static final long IDLE_MILLIS = 300;
    /**
     * How long after two units were last compiling at once a unit still counts as built beside others: {@code make
     * -j} starts its next command 50-100 ms after one ends (longer when it archives or links in between), and a unit
     * whose frontend ended in such a gap was split at once, on the build's critical path (yaml-cpp's cold -O2 build:
     * three units so, each ~1 s more than clang's whole compile).
     */
    static final long PARALLEL_WINDOW_MILLIS = 2_000;

    /**
     * A unit compiled whole whose pieces are still to be built: its command's key, its bitcode, its options, and who
     * learns of its pieces.
     */
    private record Job(Digest command, Path bitcode, LlvmBackend.Options options,
            Consumer<List<PerFunctionCompiler.PieceResult>> whenSplit) {
    }

    private final PerFunctionCompiler perFunction;
    private final LocalCache cache;
    private final Path spool;
    private final Runnable afterSplit;
    private final Thread thread;
    private final Deque<Job> queue = new ArrayDeque<>();
    private Job running;
    private int unitsInFlight;
    private long idleSince = System.nanoTime();
    /**
     * When two or more units were last compiling at once (set as one of them finishes: until then the count says so);
     * none yet when null.
     */
    private Long lastParallel;
    /** Set when the worker stops: a running split gives up before its next piece instead of holding up the stop. */
    private volatile boolean closed;
    private long spooled;

    /** {@code afterSplit} runs after each job (a split allocates much: the worker may hand memory back). */
    public DeferredSplits(PerFunctionCompiler perFunction, LocalCache cache, Path spool, Runnable afterSplit) {
        this.perFunction = perFunction;
        this.cache = cache;
        this.spool = spool;
        this.afterSplit = afterSplit;
        this.thread = new Thread(this::run, "cas-deferred-split");
        thread.setDaemon(true);
        thread.start();
    }

    /** A unit starts compiling: jobs wait until none is. */
    public synchronized void unitStarted() {
        unitsInFlight++;
    }

    public synchronized void unitFinished() {
        if (unitsInFlight > 1) {
            lastParallel = System.nanoTime();
        }
        unitsInFlight--;
        if (unitsInFlight == 0) {
            idleSince = System.nanoTime();
            notifyAll();
        }
    }

    /**
     * True when another unit than the caller's is compiling now, or was within {@link #PARALLEL_WINDOW_MILLIS}: the
     * build runs units in parallel.
     */
    public synchronized boolean othersCompiling() {
        return unitsInFlight > 1 || lastParallel != null
                && System.nanoTime() - lastParallel < PARALLEL_WINDOW_MILLIS * 1_000_000;
    }

    /**
     * Called before the unit of {@code command} is compiled again: drops its queued job, or waits for its running one
     * to store its pieces.
     */
    public synchronized void supersede(Digest command) throws InterruptedException {
        for (Job job : queue) {
            if (job.command().equals(command)) {
                queue.remove(job);
                discard(job);
                cache.count(Stat.FUNCTION_DEFERRED_DROPPED, 1);
                break;
            }
        }
        while (running != null && running.command().equals(command)) {
            wait();
        }
    }

    /** Jobs queued or running. */
    public synchronized int waiting() {
        return queue.size() + (running == null ? 0 : 1);
    }

    /** Takes over {@code bitcode} (moved into the spool) to split the unit of {@code command} when the worker is idle. */
    public void defer(Digest command, Path bitcode, LlvmBackend.Options options,
            Consumer<List<PerFunctionCompiler.PieceResult>> whenSplit) throws IOException {
        Path kept;
        synchronized (this) {
            if (closed) {
                return;
            }
            kept = spool.resolve((spooled++) + ".bc");
        }
        Files.createDirectories(spool);
        Files.move(bitcode, kept, StandardCopyOption.REPLACE_EXISTING);
        synchronized (this) {
            queue.add(new Job(command, kept, options, whenSplit));
            notifyAll();
        }
        cache.count(Stat.FUNCTION_DEFERRED, 1);
    }

    private void run() {
        while (true) {
            Job job;
            try {
                job = nextWhenIdle();
            } catch (InterruptedException e) {
                return;
            }
            if (job == null) {
                return;
            }
            try {
                split(job);
            } finally {
                afterSplit.run();
                discard(job);
                synchronized (this) {
                    running = null;
                    notifyAll();
                }
            }
        }
    }

    private synchronized Job nextWhenIdle() throws InterruptedException {
        while (true) {
            if (closed) {
                return null;
            }
            long idleMillis = (System.nanoTime() - idleSince) / 1_000_000;
            if (!queue.isEmpty() && unitsInFlight == 0 && idleMillis >= IDLE_MILLIS) {
                running = queue.poll();
                return running;
            }
            wait(queue.isEmpty() || unitsInFlight > 0 ? 0 : IDLE_MILLIS - idleMillis);
        }
    }

    private void split(Job job) {
        Path work = job.bitcode().resolveSibling(job.bitcode().getFileName() + ".work");
        long begin = System.nanoTime();
        try {
            Files.createDirectories(work);
            PerFunctionCompiler.Outcome outcome = perFunction.compile(job.bitcode(), job.options(), work,
                    RemoteSession.NONE, false, () -> closed);
            cache.count(Stat.FUNCTION_DEFERRED_SPLIT, 1);
            cache.count(Stat.FUNCTION_DEFERRED_PIECES, outcome.misses());
            job.whenSplit().accept(outcome.pieces());
            log.debug("split when idle in {} ms: {} pieces, {} compiled", (System.nanoTime() - begin) / 1_000_000,
                    outcome.pieces().size(), outcome.misses());
        } catch (PerFunctionCompiler.Stopped e) {
            // the pieces built so far are stored; the unit is split at its next miss
            log.debug("split when idle stopped after {} ms: the worker is stopping",
                    (System.nanoTime() - begin) / 1_000_000);
            cache.count(Stat.FUNCTION_DEFERRED_DROPPED, 1);
        } catch (Unsplittable e) {
            log.debug("not split when idle: {}", e.getMessage());
        } catch (IOException | RuntimeException | LlvmBackend.BackendException e) {
            // the unit's object was built whole and served; its next miss splits it (and reports a failure then)
            log.warn("splitting a unit in the background failed; it is split at its next miss: {}", e.toString());
            cache.count(Stat.FUNCTION_SPLIT_FAILURES, 1);
        } finally {
            WorkFiles.deleteRecursively(work);
        }
    }

    private static void discard(Job job) {
        try {
            Files.deleteIfExists(job.bitcode());
        } catch (IOException e) {
            log.debug("cannot remove {}: {}", job.bitcode(), e.toString());
        }
    }

    /**
     * Drops the queued jobs and stops the running one before its next piece (the pieces it built are stored in the
     * cache the worker is closing): {@code cas-compile stop} waited ~22 s for a running split of a yaml-cpp unit.
     */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            cache.count(Stat.FUNCTION_DEFERRED_DROPPED, queue.size());
            queue.forEach(DeferredSplits::discard);
            queue.clear();
            notifyAll();
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
