package dev.cas.worker.cache;

import dev.cas.store.BlobStore;
import dev.cas.store.CompressingBlobStore;
import dev.cas.store.Digest;
import dev.cas.store.RocksDbDatabase;
import dev.cas.store.RocksDbDatabase.Space;
import dev.cas.store.VerifyingBlobStore;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded cache of one machine, as the worker sees it: objects and diagnostics in a verified, zstd-compressed
 * content-addressed store, unit manifests in an action cache, both in one RocksDB database with a size limit and LRU
 * eviction, the counters behind {@code cas-compile stats}, and the recent piece objects kept in memory.
 */
public final class LocalCache implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LocalCache.class);
    private static final int ZSTD_LEVEL = 3;
    /** Enough for the pieces of several large units (sqlite3.c's 2,500 pieces take ~8 MiB). */
    private static final long RECENT_PIECES_BYTES = 64L << 20;
    /** Remote hits waiting for their local copy; beyond that a build stores them itself. */
    private static final long BACKGROUND_STORE_BYTES = 256L << 20;
    /** How long a remote hit's local copy waits for the builds to end before it is stored anyway. */
    private static final Duration BACKGROUND_STORE_PATIENCE = Duration.ofSeconds(1);

    private final RocksDbDatabase database;
    private final BlobStore blobs;
    private final BlobStore actions;
    private final RecentPieces recentPieces = new RecentPieces(RECENT_PIECES_BYTES);
    private final AtomicInteger buildsRunning = new AtomicInteger();
    private final BackgroundStores background = new BackgroundStores(BACKGROUND_STORE_BYTES,
            () -> buildsRunning.get() > 0, BACKGROUND_STORE_PATIENCE);
    /** Results {@link #keep kept} and not yet stored: lookups see them meanwhile. */
    private final Map<Digest, Result> pending = new ConcurrentHashMap<>();

    public LocalCache(Path directory, long maxSizeBytes, Clock clock) {
        this.database = RocksDbDatabase.open(directory, maxSizeBytes, clock);
        this.blobs = new VerifyingBlobStore(new CompressingBlobStore(database.space(Space.CAS), ZSTD_LEVEL),
                corrupt -> count(Stat.CORRUPT, 1));
        this.actions = new CompressingBlobStore(database.space(Space.ACTIONS), ZSTD_LEVEL);
    }

    /** Objects and diagnostics, keyed by the digest of their content. */
    public BlobStore blobs() {
        return blobs;
    }

    /** Unit manifests, keyed by the unit's fingerprint. */
    public BlobStore actions() {
        return actions;
    }

    /** Piece objects of recent per-function builds, by piece key, in memory. */
    public ResultStore recentPieces() {
        return recentPieces;
    }

    /** Stores a result: its blobs first, then the manifest that names them. */
    public void store(Digest key, UnitManifest manifest, Map<Digest, byte[]> blobs) {
        blobs.forEach(this.blobs::put);
        actions.put(key, manifest.encode());
    }

    /**
     * Stores a result in the background (see {@link BackgroundStores}): one another level served, or a unit a build
     * compiled, whose build then answers without waiting for the write (10-50 ms of sqlite3.c's -O0 object, measured).
     * Until it is stored, {@link #pending} serves it. A failure is {@link #failed counted}, as any other store's.
     */
    public void keep(Digest key, Result result) {
        pending.put(key, result);
        background.submit(result.weight(), () -> {
            try {
                store(key, result.manifest(), result.blobs());
            } catch (RuntimeException e) {
                failed("store of " + key, e);
            } finally {
                pending.remove(key, result);
            }
        });
    }

    /** A result {@link #keep kept} under {@code key} that is still waiting for its store. */
    public Optional<Result> pending(Digest key) {
        return Optional.ofNullable(pending.get(key));
    }

    /**
     * Tells the cache a build runs until the handle is closed: meanwhile what it {@link #keep keeps} waits (for up to
     * a second), so that the build has the processor.
     */
    public BuildRunning buildRunning() {
        buildsRunning.incrementAndGet();
        return () -> {
            if (buildsRunning.decrementAndGet() == 0) {
                background.buildsEnded();
            }
        };
    }

    /** Whether some build holds a {@link #buildRunning} handle now. */
    public boolean buildRunningNow() {
        return buildsRunning.get() > 0;
    }

    /** The handle of {@link #buildRunning}. */
    public interface BuildRunning extends AutoCloseable {
        @Override
        void close();
    }

    public void count(Stat counter, long delta) {
        database.addToCounter(counter.key(), delta);
    }

    /** A cache operation that failed: logged and counted as a cache error; the build goes on without the cache. */
    public void failed(String what, RuntimeException e) {
        log.warn("cache {} failed, compiling without it: {}", what, e.toString());
        try {
            count(Stat.CACHE_ERRORS, 1);
        } catch (RuntimeException ignored) {
            // the counter lives in the same failing cache
        }
    }

    public void clear() {
        background.drain();
        recentPieces.clear();
        database.clear();
    }

    /** Whether nothing is stored yet: a new or cleared cache (what builds have kept may still be queued). */
    public boolean isEmpty() {
        return database.storedBytes() == 0;
    }

    /** The counters and sizes shown by {@code cas-compile stats}, in display order. */
    public Map<String, Long> stats() {
        background.drain(); // the bytes stored include what builds have kept
        Map<String, Long> stats = new LinkedHashMap<>();
        for (Stat stat : Stat.values()) {
            if (stat.counted()) {
                stats.put(stat.key(), database.counter(stat.key()));
            }
        }
        stats.put(Stat.BYTES_STORED.key(), database.storedBytes());
        stats.put(Stat.BYTES_LIMIT.key(), database.maxSizeBytes());
        stats.put(Stat.EVICTIONS.key(), database.evictions());
        return stats;
    }

    @Override
    public void close() {
        background.close();
        database.close();
    }
}
