package dev.cas.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cas.worker.cache.Stat;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What must and must not change a unit's fingerprint, observed through real builds, with the preprocessed text as
 * the key (as with a remote level; {@link DependModeIT} covers the local default).
 */
class CacheKeyIT {
    @TempDir
    Path dir;
    WorkerFixture fixture;
    Path project;

    @BeforeEach
    void setUp() throws Exception {
        fixture = new WorkerFixture(dir.resolve("cache"));
        fixture.environment.put("CAS_DEPEND_MODE", "0");
        project = dir.resolve("one/project");
        writeProject(project);
    }

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    static void writeProject(Path root) throws Exception {
        WorkerFixture.write(root.resolve("include/config.h"), "#define SCALE 3\n");
        WorkerFixture.write(root.resolve("src/main.c"), """
                #include <stdio.h>
                #include "config.h"
                /* the answer, scaled */
                int answer(void) { return 14 * SCALE * FACTOR; }
                int main(void) { printf("%d\\n", answer()); return 0; }
                """);
    }

    /** Compiles src/main.c with -c and reports whether the unit was a cache hit. */
    private boolean compileHits(Path root, String... extra) {
        long hits = fixture.stat(Stat.UNIT_HITS);
        long misses = fixture.stat(Stat.UNIT_MISSES);
        String[] args = new String[extra.length + 6];
        System.arraycopy(new String[] {"-O2", "-I" + root.resolve("include"), "-c", "src/main.c", "-o", "main.o"}, 0,
                args, 0, 6);
        System.arraycopy(extra, 0, args, 6, extra.length);
        fixture.casOk(root, "cc", args);
        long hitDelta = fixture.stat(Stat.UNIT_HITS) - hits;
        long missDelta = fixture.stat(Stat.UNIT_MISSES) - misses;
        assertThat(hitDelta + missDelta).isEqualTo(1);
        return hitDelta == 1;
    }

    private String linkAndRun(Path root) throws Exception {
        fixture.casOk(root, "cc", "-o", "prog", "main.o");
        return WorkerFixture.run(root.resolve("prog"), null).trim();
    }

    @Test
    void secondBuildHitsAndGivesTheSameObject() throws Exception {
        assertThat(compileHits(project, "-DFACTOR=1")).isFalse();
        byte[] first = Files.readAllBytes(project.resolve("main.o"));
        assertThat(compileHits(project, "-DFACTOR=1")).isTrue();
        assertThat(Files.readAllBytes(project.resolve("main.o"))).isEqualTo(first);
        assertThat(linkAndRun(project)).isEqualTo("42");
    }

    @Test
    void anUnchangedUnitHitsWithoutRunningThePreprocessor() {
        compileHits(project, "-DFACTOR=1");
        long direct = fixture.stat(Stat.DIRECT_HITS);
        assertThat(compileHits(project, "-DFACTOR=1")).isTrue();
        assertThat(fixture.stat(Stat.DIRECT_HITS)).isEqualTo(direct + 1);
    }

    @Test
    void directHitsWriteTheDependencyFileClangWrote() throws Exception {
        compileHits(project, "-DFACTOR=1", "-MMD", "-MP");
        Path depFile = project.resolve("main.d");
        String written = Files.readString(depFile);
        assertThat(written).startsWith("main.o: src/main.c").contains("config.h");
        Files.delete(depFile);
        long direct = fixture.stat(Stat.DIRECT_HITS);
        assertThat(compileHits(project, "-DFACTOR=1", "-MMD", "-MP")).isTrue();
        assertThat(fixture.stat(Stat.DIRECT_HITS)).isEqualTo(direct + 1);
        assertThat(Files.readString(depFile)).isEqualTo(written);
    }

    @Test
    void unitsUsingTimeMacrosAreNeverServedWithoutPreprocessing() throws Exception {
        WorkerFixture.write(project.resolve("src/main.c"), """
                const char *built = __DATE__;
                int main(void) { return built[0] == 0; }
                """);
        compileHits(project, "-DFACTOR=1");
        compileHits(project, "-DFACTOR=1");
        assertThat(fixture.stat(Stat.DIRECT_HITS)).isZero();
    }

    @Test
    void commentOnlyChangeHits() throws Exception {
        compileHits(project, "-DFACTOR=1");
        Path main = project.resolve("src/main.c");
        Files.writeString(main, Files.readString(main).replace("the answer, scaled", "a reworded comment"));
        assertThat(compileHits(project, "-DFACTOR=1")).isTrue();
    }

    @Test
    void changedLineMisses() throws Exception {
        compileHits(project, "-DFACTOR=1");
        Path main = project.resolve("src/main.c");
        Files.writeString(main, Files.readString(main).replace("14 * SCALE", "15 * SCALE"));
        assertThat(compileHits(project, "-DFACTOR=1")).isFalse();
        assertThat(linkAndRun(project)).isEqualTo("45");
    }

    @Test
    void changedDefineMisses() throws Exception {
        compileHits(project, "-DFACTOR=1");
        assertThat(compileHits(project, "-DFACTOR=2")).isFalse();
        assertThat(linkAndRun(project)).isEqualTo("84");
    }

    @Test
    void changedHeaderMisses() throws Exception {
        compileHits(project, "-DFACTOR=1");
        WorkerFixture.write(project.resolve("include/config.h"), "#define SCALE 1\n");
        assertThat(compileHits(project, "-DFACTOR=1")).isFalse();
        assertThat(linkAndRun(project)).isEqualTo("14");
    }

    @Test
    void changedOptimisationLevelMisses() {
        compileHits(project, "-DFACTOR=1");
        assertThat(compileHits(project, "-DFACTOR=1", "-O1")).isFalse();
    }

    @Test
    void sameProjectInAnotherDirectoryHits() throws Exception {
        compileHits(project, "-DFACTOR=1");
        Path elsewhere = dir.resolve("somewhere/else/entirely");
        writeProject(elsewhere);
        // -I is absolute, so the header's line markers name each directory: they must be made relative
        assertThat(compileHits(elsewhere, "-DFACTOR=1")).isTrue();
        assertThat(linkAndRun(elsewhere)).isEqualTo("42");
    }

    @Test
    void debugBuildsInAnotherDirectoryMissBecauseDebugInfoRecordsIt() throws Exception {
        compileHits(project, "-DFACTOR=1", "-g");
        Path elsewhere = dir.resolve("other");
        writeProject(elsewhere);
        assertThat(compileHits(elsewhere, "-DFACTOR=1", "-g")).isFalse();
    }
}
