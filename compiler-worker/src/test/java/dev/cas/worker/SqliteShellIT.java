package dev.cas.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cas.worker.cache.Stat;
import dev.cas.worker.testing.TestCorpora;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The standard real-code test: the SQLite shell through the cache behaves exactly like a plain clang build. Units are
 * built whole here ({@code CAS_PER_FUNCTION=0}); {@link PerFunctionIT} builds the same program per function.
 */
class SqliteShellIT {
    @TempDir
    static Path dir;
    static WorkerFixture fixture;

    @BeforeAll
    static void open() {
        fixture = new WorkerFixture(dir.resolve("cache"));
        fixture.environment.put("CAS_PER_FUNCTION", "0");
    }

    @AfterAll
    static void close() {
        fixture.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"-O0", "-O2"})
    void workloadOutputIsByteIdenticalToClangAndTheRebuildIsAllHits(String opt) throws Exception {
        Path corpus = TestCorpora.sqlite();
        String[] args = {opt, "-DSQLITE_THREADSAFE=0", "-DSQLITE_OMIT_LOAD_EXTENSION", "-o", "PROGRAM",
            corpus.resolve("shell.c").toString(), corpus.resolve("sqlite3.c").toString(), "-lm"};
        Path viaCache = dir.resolve("sqlite-cas" + opt);

        long missesBefore = fixture.stat(Stat.UNIT_MISSES);
        fixture.casOk(dir, "cc", with(args, viaCache));
        assertThat(fixture.stat(Stat.UNIT_MISSES) - missesBefore).isEqualTo(2);

        Path workload = corpus.resolve("workload.sql");
        String expected = WorkerFixture.sqliteWorkloadByClang(opt);
        assertThat(WorkerFixture.run(viaCache, workload, ":memory:")).isEqualTo(expected);

        long hitsBefore = fixture.stat(Stat.UNIT_HITS);
        long missesAfterFirst = fixture.stat(Stat.UNIT_MISSES);
        Path rebuilt = dir.resolve("sqlite-cas-again" + opt);
        fixture.casOk(dir, "cc", with(args, rebuilt));
        assertThat(fixture.stat(Stat.UNIT_HITS) - hitsBefore).isEqualTo(2);
        assertThat(fixture.stat(Stat.UNIT_MISSES)).isEqualTo(missesAfterFirst);
        assertThat(WorkerFixture.run(rebuilt, workload, ":memory:")).isEqualTo(expected);
    }

    private static String[] with(String[] args, Path program) {
        String[] copy = args.clone();
        for (int i = 0; i < copy.length; i++) {
            if (copy[i].equals("PROGRAM")) {
                copy[i] = program.toString();
            }
        }
        return copy;
    }
}
