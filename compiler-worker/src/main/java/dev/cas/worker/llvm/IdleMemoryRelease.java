package dev.cas.worker.llvm;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands back the memory a build used once the worker is idle: a full collection of the Java heap (whose live data
 * between builds is ~10 MB, while one edit of sqlite3.c at -O2 allocates hundreds of MB, some of it too large for
 * the young generation) and glibc's free native pages ({@link NativeMemory}). Without it the worker's peak grew with
 * every edit (sqlite3.c -O2: 611, 680 MiB... after the cold build's 554); with it, each edit starts from the same
 * floor. Only after work that allocated much (a unit built, a split), and only after no unit has compiled for
 * {@link #IDLE_MILLIS}: a collection never delays a reply, and a build's hits cause none. Only in the worker daemon's
 * own process ({@link #handBackInThisProcess}): a JVM that embeds a worker (the tests) keeps its heap to itself.
 */
public final class IdleMemoryRelease implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(IdleMemoryRelease.class);
    static final long IDLE_MILLIS = 100;
    /** Whether this process is a worker of its own, whose heap it may collect (not a JVM embedding a worker). */
    private static volatile boolean ownProcess;

    private final Thread thread;
    private int unitsInFlight;
    private long idleSince = System.nanoTime();
    private boolean wanted;
    private boolean closed;
    private long releases;

    public IdleMemoryRelease() {
        thread = new Thread(this::run, "cas-memory-release");
        thread.setDaemon(true);
        thread.start();
    }

    public synchronized void unitStarted() {
        unitsInFlight++;
    }

    /** Lets every instance hand memory back: called by the worker daemon, whose process is the worker's alone. */
    public static void handBackInThisProcess() {
        ownProcess = true;
    }

    /** A unit is done; {@code allocatedMuch} when it built something in this process. */
    public synchronized void unitFinished(boolean allocatedMuch) {
        unitsInFlight--;
        wanted |= allocatedMuch;
        if (unitsInFlight == 0) {
            idleSince = System.nanoTime();
            notifyAll();
        }
    }

    /** Work outside a unit (a split in the background) allocated much. */
    public synchronized void allocatedMuch() {
        wanted = true;
        idleSince = System.nanoTime();
        notifyAll();
    }

    /** How many times memory was handed back (outside the daemon's process: would have been). */
    public synchronized long releases() {
        return releases;
    }

    private void run() {
        while (awaitIdleAndWanted()) {
            long begin = System.nanoTime();
            if (ownProcess) {
                System.gc();
                NativeMemory.release();
            }
            synchronized (this) {
                releases++;
            }
            log.debug("memory handed back in {} ms", (System.nanoTime() - begin) / 1_000_000);
        }
    }

    private synchronized boolean awaitIdleAndWanted() {
        try {
            while (!closed) {
                long idleMillis = (System.nanoTime() - idleSince) / 1_000_000;
                if (wanted && unitsInFlight == 0 && idleMillis >= IDLE_MILLIS) {
                    wanted = false;
                    return true;
                }
                wait(!wanted || unitsInFlight > 0 ? 0 : IDLE_MILLIS - idleMillis);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return false;
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            notifyAll();
        }
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
