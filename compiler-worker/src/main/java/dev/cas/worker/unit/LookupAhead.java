package dev.cas.worker.unit;

import dev.cas.store.Digest;
import dev.cas.worker.cache.Result;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * The lookups of one unit's direct-mode check, where one can start before it is known to be needed: the result of
 * the newest shared record is fetched from the server while the files that record lists are checked here (most
 * often that record is the one that matches), instead of after the check. A lookup started for a key that then
 * goes unused only costs its transfer; what it found is kept like any remote hit.
 */
final class LookupAhead {
    /** Its own threads: the lookup blocks on the server, and the common pool has a single thread on 2 cores. */
    private static final ExecutorService LOOKUPS = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "cas-lookup-ahead");
        thread.setDaemon(true);
        return thread;
    });

    private final Function<Digest, Optional<Result>> lookup;
    private Digest startedKey;
    private CompletableFuture<Optional<Result>> started;

    LookupAhead(Function<Digest, Optional<Result>> lookup) {
        this.lookup = lookup;
    }

    /** Starts looking {@code key} up on another thread (once: later calls are ignored). */
    void start(Digest key) {
        if (started == null) {
            startedKey = key;
            started = CompletableFuture.supplyAsync(() -> lookup.apply(key), LOOKUPS);
        }
    }

    /** The result under {@code key}: the lookup started for it, or one made now. */
    Optional<Result> get(Digest key) {
        if (started == null || !key.equals(startedKey)) {
            return lookup.apply(key);
        }
        try {
            return started.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof RuntimeException cause) {
                throw cause;
            }
            throw e;
        }
    }
}
