package dev.cas.worker.unit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cas.store.Digest;
import dev.cas.worker.cache.LocalCache;
import dev.cas.worker.cache.Result;
import dev.cas.worker.cache.Stat;
import dev.cas.worker.command.BuildContext;
import dev.cas.worker.command.SourceFile;
import dev.cas.worker.pieces.PerFunctionCompiler.PieceResult;
import dev.cas.worker.unit.UnitRecords.Found;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a unit's build counts as, kept apart from the pipeline that builds it: each way a unit is served or built
 * moves exactly its counters in a real local cache, and {@code explain} reads what was recorded.
 */
class UnitRecordsTest {
    private static final SourceFile SOURCE = SourceFile.classify("lib.c", false, null);

    @TempDir
    Path dir;

    LocalCache cache;
    UnitRecords records;
    BuildContext context;

    @BeforeEach
    void open() {
        cache = new LocalCache(dir.resolve("cache"), 1L << 30, Clock.systemUTC());
        records = new UnitRecords(cache);
        context = new BuildContext(dir, Map.of());
    }

    @AfterEach
    void close() {
        cache.close();
    }

    private long stat(Stat stat) {
        return stat.in(cache.stats());
    }

    private String explanation() {
        return records.explain(dir, "lib.c").orElseThrow();
    }

    @Test
    void eachWayOfFindingAUnitCountsAHitAndTheTimeItSaved() {
        Result local = Result.ofObject(bytes("object"), new byte[0], 700);
        records.hit(context, SOURCE, local, Found.DIRECT);
        assertThat(explanation()).contains("hit (found without preprocessing)");
        records.hit(context, SOURCE, local, Found.PREPROCESSED);
        assertThat(explanation()).contains("translation unit hit: nothing was compiled");
        Result remote = new Result(local.manifest(), local.blobs(), true);
        records.hit(context, SOURCE, remote, Found.DEPEND);
        records.hit(context, SOURCE, remote, Found.DIRECT_SHARED);
        assertThat(explanation()).contains("by a record the remote cache shared");

        assertThat(stat(Stat.UNIT_HITS)).isEqualTo(4);
        assertThat(stat(Stat.DIRECT_HITS)).as("only direct mode's").isEqualTo(2);
        assertThat(stat(Stat.DIRECT_SHARED_HITS)).isEqualTo(1);
        assertThat(stat(Stat.UNIT_REMOTE_HITS)).isEqualTo(2);
        assertThat(stat(Stat.TIME_SAVED_MS)).isEqualTo(2800);
        assertThat(stat(Stat.UNIT_MISSES)).isZero();
    }

    @Test
    void aPerFunctionBuildCountsItsPiecesAndTheNextOneExplainsEachCompiledPiece() {
        BuiltUnit first = new BuiltUnit(bytes("merged"), new byte[0], 0, new BuiltUnit.Pieces("-O2", List.of(
                piece("main", "k1", Set.of("helper")), piece("helper", "k2", Set.of()))));
        records.built(context, SOURCE, first, 1200, true);
        assertThat(stat(Stat.FUNCTION_MISSES)).isEqualTo(2);
        assertThat(stat(Stat.UNIT_MISSES)).isEqualTo(1);
        assertThat(stat(Stat.DEPEND_MISSES)).isEqualTo(1);
        assertThat(stat(Stat.COMPILE_MS)).isEqualTo(1200);

        // helper's body changed: helper and main (which imports it) are compiled again, nothing else
        BuiltUnit edit = new BuiltUnit(bytes("merged again"), new byte[0], 0, new BuiltUnit.Pieces("-O2", List.of(
                piece("main", "k3", Set.of("helper")), piece("helper", "k4", Set.of()),
                new PieceResult("other", List.of("other"), key("k5"), key("k5"), Set.of(), true))));
        records.built(context, SOURCE, edit, 300, false);
        assertThat(stat(Stat.FUNCTION_MISSES)).isEqualTo(4);
        assertThat(stat(Stat.FUNCTION_HITS)).isEqualTo(1);
        assertThat(stat(Stat.DEPEND_MISSES)).as("the second was preprocessed").isEqualTo(1);
        assertThat(explanation()).contains("3 pieces, 1 hits, 2 compiled")
                .contains("imported callee changed (helper): 1").contains("body changed");
    }

    @Test
    void aFallbackIsCountedWhetherTheWholeBuildThenSucceedsOrFails() {
        BuiltUnit.Whole fallback = BuiltUnit.Whole.fallback("the unit cannot be split", Stat.FUNCTION_FALLBACKS);
        records.built(context, SOURCE, new BuiltUnit(bytes("whole"), new byte[0], 0, fallback), 50, false);
        assertThat(explanation()).contains("compiled as a whole unit (the unit cannot be split)");
        records.failed(new BuiltUnit(null, bytes("error"), 1, fallback));
        assertThat(stat(Stat.FUNCTION_FALLBACKS)).isEqualTo(2);
        assertThat(stat(Stat.FAILED)).isEqualTo(1);
        assertThat(stat(Stat.OBJECTS_COMPILED)).as("only the build that made an object").isEqualTo(1);

        records.built(context, SOURCE, new BuiltUnit(bytes("whole"), new byte[0], 0,
                BuiltUnit.Whole.planned("-O0: clang code-generates the unit itself")), 10, false);
        assertThat(stat(Stat.FUNCTION_FALLBACKS)).as("a planned whole build is no fallback").isEqualTo(2);
        records.failed();
        records.uncached();
        assertThat(stat(Stat.FAILED)).isEqualTo(2);
        assertThat(stat(Stat.UNCACHED)).isEqualTo(1);
    }

    private static PieceResult piece(String name, String key, Set<String> imports) {
        return new PieceResult(name, List.of(name), key(key), key(key), imports, false);
    }

    private static Digest key(String text) {
        return Digest.of(bytes(text));
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
