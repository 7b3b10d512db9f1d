package dev.cas.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cas.worker.cache.Stat;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input gets a clear error and a non-zero status, caches nothing, and leaves the cache as it was. */
class BadInputIT {
    @TempDir
    Path dir;
    WorkerFixture fixture;

    @BeforeEach
    void setUp() throws Exception {
        fixture = new WorkerFixture(dir.resolve("cache"));
        WorkerFixture.write(dir.resolve("good.c"), "int good(void) { return 1; }\n");
        fixture.casOk(dir, "cc", "-c", "good.c");
    }

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    @Test
    void missingSourceFile() {
        WorkerResponse response = fixture.cas(dir, "cc", "-c", "missing.c");
        assertThat(response.exitCode()).isNotZero();
        assertThat(WorkerFixture.text(response.stderr())).contains("no such file or directory: 'missing.c'");
        assertCacheIntact();
    }

    @Test
    void syntaxErrorIsReportedAsClangPrintsItAndNeverCached() throws Exception {
        WorkerFixture.write(dir.resolve("broken.c"), "int broken(void) { return 1 }\n");
        for (int attempt = 0; attempt < 2; attempt++) {
            WorkerResponse response = fixture.cas(dir, "cc", "-c", "broken.c");
            assertThat(response.exitCode()).isNotZero();
            assertThat(WorkerFixture.text(response.stderr())).contains("broken.c:1:28: error: expected ';'");
        }
        assertThat(fixture.stat(Stat.FAILED)).isEqualTo(2);
        assertThat(Files.exists(dir.resolve("broken.o"))).isFalse();
        assertCacheIntact();
    }

    @Test
    void unknownFlagIsRefused() {
        WorkerResponse response = fixture.cas(dir, "cc", "--frobnicate", "-c", "good.c");
        assertThat(response.exitCode()).isEqualTo(2);
        assertThat(WorkerFixture.text(response.stderr())).contains("unsupported flag '--frobnicate'");
        assertCacheIntact();
    }

    @Test
    void unwritableOutput() {
        WorkerResponse response = fixture.cas(dir, "cc", "-c", "good.c", "-o", "/proc/no-such-dir/good.o");
        assertThat(response.exitCode()).isNotZero();
        assertThat(WorkerFixture.text(response.stderr())).contains("/proc/no-such-dir");
        assertCacheIntact();
    }

    @Test
    void failingLinkReportsTheLinkerErrorAsClangDoes() throws Exception {
        WorkerFixture.write(dir.resolve("nomain.c"), "int helper(void) { return 2; }\n");
        WorkerResponse response = fixture.cas(dir, "cc", "-o", "prog", "nomain.c");
        assertThat(response.exitCode()).isNotZero();
        // as clang reports it: the linker's error once, then the driver's line
        assertThat(WorkerFixture.text(response.stderr())).containsOnlyOnce("undefined symbol: main")
                .contains("linker command failed with exit code 1");
        assertCacheIntact();
    }

    /** The unit cached in set-up is still served. */
    private void assertCacheIntact() {
        long hits = fixture.stat(Stat.UNIT_HITS);
        fixture.casOk(dir, "cc", "-c", "good.c");
        assertThat(fixture.stat(Stat.UNIT_HITS)).isEqualTo(hits + 1);
    }
}
