package dev.cas.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cas.worker.cache.Stat;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Depend mode, the default without a remote level: a miss runs no preprocessor (clang compiles and names the files it
 * read), and what changes the object still misses: a header, a define, the flags; units using {@code __DATE__} are
 * never served. At -O0 (clang's whole compile) and -O2 (clang's frontend, then the in-process back end).
 */
class DependModeIT {
    @TempDir
    Path dir;
    WorkerFixture fixture;
    Path project;
    String optimisation = "-O0";

    @BeforeEach
    void setUp() throws Exception {
        fixture = new WorkerFixture(dir.resolve("cache"));
        project = dir.resolve("project");
        CacheKeyIT.writeProject(project);
    }

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    /** Compiles src/main.c with -c; true on a hit. A miss must have been compiled without preprocessing. */
    private boolean compileHits(String... extra) {
        long hits = fixture.stat(Stat.UNIT_HITS);
        long dependMisses = fixture.stat(Stat.DEPEND_MISSES);
        List<String> args = new ArrayList<>(List.of(optimisation, "-Wall", "-I" + project.resolve("include"), "-c",
                "src/main.c", "-o", "main.o"));
        args.addAll(List.of(extra));
        WorkerResponse response = fixture.casOk(project, "cc", args.toArray(String[]::new));
        assertThat(WorkerFixture.text(response.stderr())).as("the warning, on a miss and replayed on a hit")
                .contains("unused variable 'unused'");
        boolean hit = fixture.stat(Stat.UNIT_HITS) == hits + 1;
        assertThat(fixture.stat(Stat.DEPEND_MISSES)).isEqualTo(dependMisses + (hit ? 0 : 1));
        return hit;
    }

    private String linkAndRun() throws Exception {
        fixture.casOk(project, "cc", "-o", "prog", "main.o");
        return WorkerFixture.run(project.resolve("prog"), null).trim();
    }

    private void addUnusedVariable() throws Exception {
        Path main = project.resolve("src/main.c");
        String text = Files.readString(main);
        if (!text.contains("int unused;")) {
            Files.writeString(main, text.replace("int main(void) {", "int main(void) { int unused;"));
        }
    }

    @Test
    void aMissRunsNoPreprocessorAndTheNextBuildHitsDirectly() throws Exception {
        addUnusedVariable();
        assertThat(compileHits("-DFACTOR=1")).isFalse();
        byte[] first = Files.readAllBytes(project.resolve("main.o"));
        long direct = fixture.stat(Stat.DIRECT_HITS);
        assertThat(compileHits("-DFACTOR=1")).isTrue();
        assertThat(fixture.stat(Stat.DIRECT_HITS)).isEqualTo(direct + 1);
        assertThat(Files.readAllBytes(project.resolve("main.o"))).isEqualTo(first);
        assertThat(linkAndRun()).isEqualTo("42");
    }

    @Test
    void aChangedHeaderOrDefineMisses() throws Exception {
        addUnusedVariable();
        compileHits("-DFACTOR=1");
        WorkerFixture.write(project.resolve("include/config.h"), "#define SCALE 1\n");
        assertThat(compileHits("-DFACTOR=1")).isFalse();
        assertThat(linkAndRun()).isEqualTo("14");
        assertThat(compileHits("-DFACTOR=2")).isFalse();
        assertThat(linkAndRun()).isEqualTo("28");
        WorkerFixture.write(project.resolve("include/config.h"), "#define SCALE 3\n");
        assertThat(compileHits("-DFACTOR=2")).isFalse();
        assertThat(linkAndRun()).isEqualTo("84");
    }

    /**
     * A header reached through a symbolic link (an include directory of links): an edit of the file it names misses,
     * in the same worker that remembered the header's hash. It hit before, serving the old object.
     */
    @Test
    void anEditedHeaderBehindASymbolicLinkMisses() throws Exception {
        addUnusedVariable();
        Path header = project.resolve("include/config.h");
        Path real = project.resolve("real/config.h");
        WorkerFixture.write(real, "#define SCALE 3\n");
        Files.delete(header);
        Files.createSymbolicLink(header, real);
        Thread.sleep(2_500); // older than any file system's time stamp granularity: the hashes are remembered
        assertThat(compileHits("-DFACTOR=1")).isFalse();
        assertThat(compileHits("-DFACTOR=1")).isTrue();
        assertThat(linkAndRun()).isEqualTo("42");

        WorkerFixture.write(real, "#define SCALE 1\n");
        assertThat(compileHits("-DFACTOR=1")).isFalse();
        assertThat(linkAndRun()).isEqualTo("14");
    }

    /**
     * A header saved while its unit compiles: clang may have read the old content, so the unit is not recorded with
     * the header's new hash, and the next build compiles it again and runs with the new value. Before, it was recorded
     * and the next build served the object of the old content (by hand: the program printed 1 where the header said 2,
     * three times in three).
     */
    @Test
    void aHeaderSavedWhileItsUnitCompilesIsNotServedStale() throws Exception {
        Path header = project.resolve("include/value.h");
        WorkerFixture.write(header, "#define VALUE 1\n");
        StringBuilder slow = new StringBuilder("#include <stdio.h>\n#include \"value.h\"\n");
        for (int i = 0; i < 6000; i++) { // ~1 s of clang at -O0
            slow.append("int f").append(i).append("(int x) { int y = x * ").append(i)
                    .append("; for (int i = 0; i < x; i++) y += i ^ ").append(i).append("; return y; }\n");
        }
        slow.append("int main(void) { printf(\"%d\\n\", VALUE); return 0; }\n");
        WorkerFixture.write(project.resolve("src/slow.c"), slow.toString());
        String[] compile = {"-O0", "-I" + project.resolve("include"), "-c", "src/slow.c", "-o", "slow.o"};
        Thread.sleep(2_500); // both files older than any time stamp granularity

        Thread save = new Thread(() -> {
            try {
                Thread.sleep(300); // clang has read the header by now, or is about to
                Files.writeString(header, "#define VALUE 2\n");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        save.start();
        fixture.casOk(project, "cc", compile);
        save.join();
        fixture.casOk(project, "cc", compile);
        fixture.casOk(project, "cc", "-o", "slow", "slow.o");
        assertThat(WorkerFixture.run(project.resolve("slow"), null).trim()).isEqualTo("2");
    }

    @Test
    void theDependencyFileIsClangsOnAMissAndOnAHit() throws Exception {
        addUnusedVariable();
        compileHits("-DFACTOR=1", "-MMD", "-MP");
        Path depFile = project.resolve("main.d");
        String written = Files.readString(depFile);
        assertThat(written).startsWith("main.o: src/main.c").contains("config.h").contains("config.h:\n");
        Files.delete(depFile);
        assertThat(compileHits("-DFACTOR=1", "-MMD", "-MP")).isTrue();
        assertThat(Files.readString(depFile)).isEqualTo(written);
    }

    /**
     * The object and the dependency file get the permissions clang gives its own (0666 less the umask): they were
     * written as 0600 temporary files renamed into place, unreadable to other users of a shared build tree.
     */
    @Test
    void outputsHaveClangsPermissionsOnAMissAndOnAHit() throws Exception {
        addUnusedVariable();
        fixture.clangOk(project, "cc", "-I" + project.resolve("include"), "-DFACTOR=1", "-MMD", "-c", "src/main.c",
                "-o", "clang.o");
        Set<PosixFilePermission> clangs = Files.getPosixFilePermissions(project.resolve("clang.o"));
        assertThat(Files.getPosixFilePermissions(project.resolve("clang.d"))).isEqualTo(clangs);
        for (boolean hit : new boolean[] {false, true}) {
            Files.deleteIfExists(project.resolve("main.o"));
            Files.deleteIfExists(project.resolve("main.d"));
            assertThat(compileHits("-DFACTOR=1", "-MMD")).isEqualTo(hit);
            assertThat(Files.getPosixFilePermissions(project.resolve("main.o"))).as("object, hit: %s", hit)
                    .isEqualTo(clangs);
            assertThat(Files.getPosixFilePermissions(project.resolve("main.d"))).as("dependency file, hit: %s", hit)
                    .isEqualTo(clangs);
        }
    }

    /**
     * A source written since it was last hashed has clang started beside the direct-mode check: a touched source
     * still hits (that clang stopped before the dependency file is written), an edited one uses that clang's result.
     */
    @Test
    void aWrittenSourceIsServedWhenUnchangedAndCompiledWhenEdited() throws Exception {
        addUnusedVariable();
        compileHits("-DFACTOR=1", "-MMD", "-MP");
        Path main = project.resolve("src/main.c");
        Path depFile = project.resolve("main.d");
        String written = Files.readString(depFile);
        Files.delete(depFile);
        Files.writeString(main, Files.readString(main)); // the same content, written again: a new identity
        Files.setLastModifiedTime(main, FileTime.fromMillis(System.currentTimeMillis() + 5_000));
        assertThat(compileHits("-DFACTOR=1", "-MMD", "-MP")).isTrue();
        assertThat(Files.readString(depFile)).isEqualTo(written);
        assertThat(linkAndRun()).isEqualTo("42");

        Files.writeString(main, Files.readString(main).replace("14 * SCALE", "15 * SCALE"));
        assertThat(compileHits("-DFACTOR=1", "-MMD", "-MP")).isFalse();
        assertThat(Files.readString(depFile)).isEqualTo(written);
        assertThat(linkAndRun()).isEqualTo("45");
        assertThat(compileHits("-DFACTOR=1", "-MMD", "-MP")).isTrue();
    }

    /**
     * Memory is handed back (a full collection) when the worker goes idle after a unit it built itself, not after one
     * clang built in its own process (-O0): there is nothing of it to collect.
     */
    @Test
    void onlyAUnitBuiltInTheWorkerHasMemoryHandedBack() throws Exception {
        addUnusedVariable();
        assertThat(compileHits("-DFACTOR=1")).isFalse();
        Thread.sleep(1_000); // ten times the idle time before a release
        assertThat(fixture.worker.memoryReleases()).as("after a unit clang built").isZero();
        optimisation = "-O2";
        assertThat(compileHits("-DFACTOR=1")).isFalse();
        WorkerFixture.waitUntil(() -> fixture.worker.memoryReleases() > 0, Duration.ofSeconds(10));
        assertThat(fixture.worker.memoryReleases()).as("after a unit the in-process back end built").isPositive();
    }

    @Test
    void unitsUsingTimeMacrosAreNeverServed() throws Exception {
        WorkerFixture.write(project.resolve("src/main.c"), """
                const char *built = __DATE__;
                int main(void) { int unused; return built[0] == 0; }
                """);
        assertThat(compileHits("-DFACTOR=1")).isFalse();
        assertThat(compileHits("-DFACTOR=1")).isFalse();
        assertThat(fixture.stat(Stat.DIRECT_HITS)).isZero();
    }

    /** clang does not list a file pulled in by {@code #embed} among the headers it read: such a unit is never served. */
    @Test
    void aUnitEmbeddingAFileIsNeverServed() throws Exception {
        WorkerFixture.write(project.resolve("src/data.txt"), "A");
        WorkerFixture.write(project.resolve("src/main.c"), """
                #include <stdio.h>
                static const char data[] = {
                #embed "data.txt"
                , 0};
                int main(void) { int unused; puts(data); return 0; }
                """);
        assertThat(compileHits("-std=c23")).isFalse();
        assertThat(linkAndRun()).isEqualTo("A");
        WorkerFixture.write(project.resolve("src/data.txt"), "B");
        assertThat(compileHits("-std=c23")).isFalse();
        assertThat(linkAndRun()).isEqualTo("B");
    }

    @Test
    void optimisedBuildsToo() throws Exception {
        optimisation = "-O2";
        aChangedHeaderOrDefineMisses();
        theDependencyFileIsClangsOnAMissAndOnAHit();
    }

    @Test
    void aFormerStateOfTheFilesHitsAfterTheFrontend() throws Exception {
        optimisation = "-O2";
        addUnusedVariable();
        compileHits("-DFACTOR=1");
        WorkerFixture.write(project.resolve("include/config.h"), "#define SCALE 1\n");
        assertThat(compileHits("-DFACTOR=1")).isFalse();
        WorkerFixture.write(project.resolve("include/config.h"), "#define SCALE 3\n"); // as after a branch switch
        long direct = fixture.stat(Stat.DIRECT_HITS);
        assertThat(compileHits("-DFACTOR=1")).isTrue();
        assertThat(fixture.stat(Stat.DIRECT_HITS)).as("not a direct-mode hit: clang's frontend ran")
                .isEqualTo(direct);
        assertThat(linkAndRun()).isEqualTo("42");
    }

    @Test
    void aRemoteLevelOrCasDependModeZeroKeepsThePreprocessor() {
        fixture.environment.put("CAS_DEPEND_MODE", "0");
        fixture.casOk(project, "cc", "-O2", "-DFACTOR=1", "-I" + project.resolve("include"), "-c", "src/main.c");
        assertThat(fixture.stat(Stat.DEPEND_MISSES)).isZero();
        assertThat(fixture.stat(Stat.UNIT_MISSES)).isEqualTo(1);
    }
}
