package dev.cas.worker;

import dev.cas.store.BlobStore;
import dev.cas.store.CompressingBlobStore;
import dev.cas.store.Digest;
import dev.cas.store.RocksDbDatabase;
import dev.cas.store.RocksDbDatabase.Space;
import dev.cas.store.VerifyingBlobStore;
import java.nio.file.Path;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The embedded cache of one machine, as the worker sees it: objects and diagnostics in a verified, zstd-compressed
 * content-addressed store, unit manifests in an action cache, both in one RocksDB database with a size limit and LRU
 * eviction, the counters behind {@code cas-compile stats}, and the recent piece objects kept in memory.
 */
public final class LocalCache implements AutoCloseable {
    /** Counter names, persisted in the database. */
    public static final String UNIT_HITS = "unit.hits";
    public static final String UNIT_MISSES = "unit.misses";
    /** Hits found without running the preprocessor (a subset of {@link #UNIT_HITS}). */
    public static final String DIRECT_HITS = "unit.direct.hits";
    /** Misses compiled without a preprocessor run (depend mode). */
    public static final String DEPEND_MISSES = "unit.depend.misses";
    /** Hits served by the remote cache server (a subset of {@link #UNIT_HITS}), then kept here. */
    public static final String UNIT_REMOTE_HITS = "unit.remote.hits";
    public static final String OBJECTS_COMPILED = "objects.compiled";
    /** Per-function pieces served from the cache and compiled, within units that missed. */
    public static final String FUNCTION_HITS = "function.hits";
    public static final String FUNCTION_MISSES = "function.misses";
    /** Pieces served by the remote cache server (a subset of {@link #FUNCTION_HITS}). */
    public static final String FUNCTION_REMOTE_HITS = "function.remote.hits";
    /** Results sent to the remote cache server, dropped unsent (queue full, server out, read-only token), failures. */
    public static final String REMOTE_UPLOADS = "remote.uploads";
    public static final String REMOTE_UPLOADS_DROPPED = "remote.uploads.dropped";
    public static final String REMOTE_ERRORS = "remote.errors";
    /** Units the per-function path could not split (compiled whole). */
    public static final String FUNCTION_FALLBACKS = "function.fallbacks";
    /** Units built whole because they carry debug info, which per-function caching does not handle yet. */
    public static final String FUNCTION_DEBUG_FALLBACKS = "function.fallbacks.debug";
    /** Units whose per-function build failed (merge refused, or {@code CAS_VERIFY} found a difference): built whole. */
    public static final String FUNCTION_SPLIT_FAILURES = "function.fallbacks.failed";
    /**
     * Units built whole at their first build while other units were compiling, to be split when the worker is idle
     * ({@link DeferredSplits}); of those, units split in the background, pieces compiled there, and jobs dropped
     * (the unit missed again first, or the worker stopped).
     */
    public static final String FUNCTION_DEFERRED = "function.deferred";
    public static final String FUNCTION_DEFERRED_SPLIT = "function.deferred.split";
    public static final String FUNCTION_DEFERRED_PIECES = "function.deferred.pieces";
    public static final String FUNCTION_DEFERRED_DROPPED = "function.deferred.dropped";
    /** Not stored: the jobs queued or running in this worker, added to its {@code stats}. */
    public static final String FUNCTION_DEFERRED_WAITING = "function.deferred.waiting";
    /** Commands run by clang unchanged ({@code -E}, {@code -S}, linking objects only) and assembly files. */
    public static final String UNCACHED = "uncached.invocations";
    public static final String FAILED = "failed.compiles";
    public static final String TIME_SAVED_MS = "time.saved.ms";
    public static final String COMPILE_MS = "compile.ms";
    public static final String CORRUPT = "corrupt.removed";
    public static final String CACHE_ERRORS = "cache.errors";

    private static final int ZSTD_LEVEL = 3;
    /** Enough for the pieces of several large units (sqlite3.c's 2,500 pieces take ~8 MiB). */
    private static final long RECENT_PIECES_BYTES = 64L << 20;

    private final RocksDbDatabase database;
    private final BlobStore blobs;
    private final BlobStore actions;
    private final RecentPieces recentPieces = new RecentPieces(RECENT_PIECES_BYTES);

    public LocalCache(Path directory, long maxSizeBytes, Clock clock) {
        this.database = RocksDbDatabase.open(directory, maxSizeBytes, clock);
        this.blobs = new VerifyingBlobStore(new CompressingBlobStore(database.space(Space.CAS), ZSTD_LEVEL),
                corrupt -> database.addToCounter(CORRUPT, 1));
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
    RecentPieces recentPieces() {
        return recentPieces;
    }

    /** Stores a result: its blobs first, then the manifest that names them. */
    public void store(Digest key, UnitManifest manifest, Map<Digest, byte[]> blobs) {
        blobs.forEach(this.blobs::put);
        actions.put(key, manifest.encode());
    }

    public void count(String counter, long delta) {
        database.addToCounter(counter, delta);
    }

    public void clear() {
        recentPieces.clear();
        database.clear();
    }

    /** The counters and sizes shown by {@code cas-compile stats}, in display order. */
    public Map<String, Long> stats() {
        Map<String, Long> stats = new LinkedHashMap<>();
        for (String counter : new String[] {UNIT_HITS, DIRECT_HITS, UNIT_REMOTE_HITS, UNIT_MISSES, DEPEND_MISSES,
            FUNCTION_HITS,
            FUNCTION_REMOTE_HITS, FUNCTION_MISSES, FUNCTION_FALLBACKS, FUNCTION_DEBUG_FALLBACKS,
            FUNCTION_SPLIT_FAILURES, FUNCTION_DEFERRED, FUNCTION_DEFERRED_SPLIT, FUNCTION_DEFERRED_PIECES,
            FUNCTION_DEFERRED_DROPPED, OBJECTS_COMPILED, UNCACHED, FAILED,
            TIME_SAVED_MS, COMPILE_MS, CORRUPT, CACHE_ERRORS, REMOTE_UPLOADS, REMOTE_UPLOADS_DROPPED, REMOTE_ERRORS}) {
            stats.put(counter, database.counter(counter));
        }
        stats.put("bytes.stored", database.storedBytes());
        stats.put("bytes.limit", database.maxSizeBytes());
        stats.put("evictions", database.evictions());
        return stats;
    }

    @Override
    public void close() {
        database.close();
    }
}
