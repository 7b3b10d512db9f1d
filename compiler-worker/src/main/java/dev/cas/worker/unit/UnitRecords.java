package dev.cas.worker.unit;

import dev.cas.worker.cache.LocalCache;
import dev.cas.worker.cache.Result;
import dev.cas.worker.cache.Stat;
import dev.cas.worker.command.BuildContext;
import dev.cas.worker.command.SourceFile;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The one place a unit's build is written down: the counters {@code stats} shows and the record {@code explain}
 * reads. The pipeline says what happened; this decides what that counts as.
 */
final class UnitRecords {
    /**
     * How a hit was found: by direct mode (from this cache's record, or from one the remote level shared), by depend
     * mode after clang ran, or by the preprocessed text's key.
     */
    enum Found {
        DIRECT, DIRECT_SHARED, DEPEND, PREPROCESSED
    }

    private final LocalCache cache;
    private final BuildExplanations explanations;

    UnitRecords(LocalCache cache) {
        this.cache = cache;
        this.explanations = new BuildExplanations(cache);
    }

    void hit(BuildContext context, SourceFile source, Result hit, Found found) {
        explanations.recordHit(context, source, switch (found) {
            case DIRECT, DEPEND -> "found without preprocessing";
            case DIRECT_SHARED -> "found without preprocessing, by a record the remote cache shared";
            case PREPROCESSED -> "";
        });
        cache.count(Stat.UNIT_HITS, 1);
        if (hit.remote()) {
            cache.count(Stat.UNIT_REMOTE_HITS, 1);
        }
        if (found == Found.DIRECT || found == Found.DIRECT_SHARED) {
            cache.count(Stat.DIRECT_HITS, 1);
        }
        if (found == Found.DIRECT_SHARED) {
            cache.count(Stat.DIRECT_SHARED_HITS, 1);
        }
        cache.count(Stat.TIME_SAVED_MS, hit.manifest().compileMillis());
    }

    /** A unit built after a miss, in {@code millis}; {@code withoutPreprocessing} in depend mode. */
    void built(BuildContext context, SourceFile source, BuiltUnit built, long millis, boolean withoutPreprocessing) {
        shape(context, source, built.shape());
        cache.count(Stat.UNIT_MISSES, 1);
        if (withoutPreprocessing) {
            cache.count(Stat.DEPEND_MISSES, 1);
        }
        cache.count(Stat.OBJECTS_COMPILED, 1);
        cache.count(Stat.COMPILE_MS, millis);
    }

    /** A unit that failed to build: clang's failure, or the back end's. */
    void failed(BuiltUnit built) {
        if (built.shape() instanceof BuiltUnit.Whole whole) {
            whole.fallback().ifPresent(counter -> cache.count(counter, 1));
        }
        cache.count(Stat.FAILED, 1);
    }

    /** A unit that failed before anything was built (its preprocessing, or clang in depend mode). */
    void failed() {
        cache.count(Stat.FAILED, 1);
    }

    /** A unit the cache does not serve (assembly), or a command passed through to clang. */
    void uncached() {
        cache.count(Stat.UNCACHED, 1);
    }

    /** Who learns of the pieces of a unit built whole now and split later: its next miss explains them. */
    Consumer<BuiltUnit.Pieces> whenSplitLater(BuildContext context, SourceFile source) {
        return pieces -> explanations.rememberPieces(context, source, pieces.options(), pieces.pieces());
    }

    Optional<String> explain(Path workingDirectory, String sourcePath) {
        return explanations.explain(workingDirectory, sourcePath);
    }

    private void shape(BuildContext context, SourceFile source, BuiltUnit.Shape shape) {
        if (shape instanceof BuiltUnit.Pieces pieces) {
            long misses = pieces.misses();
            cache.count(Stat.FUNCTION_MISSES, misses);
            cache.count(Stat.FUNCTION_HITS, pieces.pieces().size() - misses);
            explanations.recordPieces(context, source, pieces.options(), pieces.pieces());
        } else if (shape instanceof BuiltUnit.Whole whole) {
            whole.fallback().ifPresent(counter -> cache.count(counter, 1));
            explanations.recordWhole(context, source, whole.reason());
        }
    }
}
