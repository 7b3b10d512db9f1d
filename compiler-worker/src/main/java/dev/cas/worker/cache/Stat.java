package dev.cas.worker.cache;

import java.util.Map;

/**
 * The figures {@code cas-compile stats} shows, named once: the worker counts them under these keys and the client
 * reads them by the same constants. Most are counters persisted in the cache's database, in display order; the rest
 * are read from the worker or the database when asked.
 */
public enum Stat {
    UNIT_HITS("unit.hits"),
    /** Hits found without running the preprocessor (a subset of {@link #UNIT_HITS}). */
    DIRECT_HITS("unit.direct.hits"),
    /**
     * Of those, hits whose direct-mode record came from the remote cache server (made by a build at another path or
     * on another machine).
     */
    DIRECT_SHARED_HITS("unit.direct.shared.hits"),
    /** Hits served by the remote cache server (a subset of {@link #UNIT_HITS}), then kept here. */
    UNIT_REMOTE_HITS("unit.remote.hits"),
    UNIT_MISSES("unit.misses"),
    /** Misses compiled without a preprocessor run (depend mode). */
    DEPEND_MISSES("unit.depend.misses"),
    /** Per-function pieces served from the cache, within units that missed. */
    FUNCTION_HITS("function.hits"),
    /** Pieces served by the remote cache server (a subset of {@link #FUNCTION_HITS}). */
    FUNCTION_REMOTE_HITS("function.remote.hits"),
    /** Hits whose lines had moved (text inserted or deleted above them): their objects' line info was moved. */
    FUNCTION_LINES_MOVED("function.lines.moved"),
    /** Hits whose lines had moved but whose objects could not be moved in place: compiled instead. */
    FUNCTION_LINES_UNMOVABLE("function.lines.unmovable"),
    /** Per-function pieces compiled, within units that missed. */
    FUNCTION_MISSES("function.misses"),
    /** Units the per-function path could not split (compiled whole). */
    FUNCTION_FALLBACKS("function.fallbacks"),
    /** Units built whole because their debug info is of a kind the pieces cannot carry ({@code -fdebug-macro}). */
    FUNCTION_DEBUG_FALLBACKS("function.fallbacks.debug"),
    /** Units whose per-function build failed (merge refused, or {@code CAS_VERIFY} found a difference): built whole. */
    FUNCTION_SPLIT_FAILURES("function.fallbacks.failed"),
    /** Units built whole at their first build while other units were compiling, to be split when the worker is idle. */
    FUNCTION_DEFERRED("function.deferred"),
    /** Of those, units split in the background. */
    FUNCTION_DEFERRED_SPLIT("function.deferred.split"),
    /** Pieces compiled by the background splits. */
    FUNCTION_DEFERRED_PIECES("function.deferred.pieces"),
    /** Background splits dropped (the unit missed again first, or the worker stopped). */
    FUNCTION_DEFERRED_DROPPED("function.deferred.dropped"),
    OBJECTS_COMPILED("objects.compiled"),
    /** Commands run by clang unchanged ({@code -E}, {@code -S}, linking objects only) and assembly files. */
    UNCACHED("uncached.invocations"),
    FAILED("failed.compiles"),
    TIME_SAVED_MS("time.saved.ms"),
    COMPILE_MS("compile.ms"),
    /** Entries found damaged at rest and removed. */
    CORRUPT("corrupt.removed"),
    /** Cache failures the build went past (compiled without the cache). */
    CACHE_ERRORS("cache.errors"),
    /** Results sent to the remote cache server. */
    REMOTE_UPLOADS("remote.uploads"),
    /** Results not sent (queue full, server out, read-only token). */
    REMOTE_UPLOADS_DROPPED("remote.uploads.dropped"),
    REMOTE_ERRORS("remote.errors"),
    /** Not counted: the background splits queued or running in this worker. */
    FUNCTION_DEFERRED_WAITING("function.deferred.waiting", false),
    /** Not counted: the database's stored bytes, its limit and its evictions. */
    BYTES_STORED("bytes.stored", false),
    BYTES_LIMIT("bytes.limit", false),
    EVICTIONS("evictions", false);

    private final String key;
    private final boolean counted;

    Stat(String key) {
        this(key, true);
    }

    Stat(String key, boolean counted) {
        this.key = key;
        this.counted = counted;
    }

    /** The name it has in the database, on the wire and in {@code stats --json}. */
    public String key() {
        return key;
    }

    /** Whether it is a counter the worker persists (else it is read when asked). */
    public boolean counted() {
        return counted;
    }

    /** Its value in a set of figures read from the worker (0 when absent). */
    public long in(Map<String, Long> stats) {
        return stats.getOrDefault(key, 0L);
    }
}
