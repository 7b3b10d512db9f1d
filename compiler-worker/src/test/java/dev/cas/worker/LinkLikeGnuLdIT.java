package dev.cas.worker;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Links through cas-compile behave as with Debian's gcc and GNU ld where lld's defaults differ and real builds rely
 * on GNU's: a version script naming a symbol the library does not define (autoconf/libtool probe this before
 * building shared libraries).
 */
class LinkLikeGnuLdIT {
    @TempDir
    Path dir;
    WorkerFixture fixture;

    @BeforeEach
    void setUp() {
        fixture = new WorkerFixture(dir.resolve("cache"));
    }

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    @Test
    void versionScriptNamingAnAbsentSymbolLinksAndLoads() throws Exception {
        WorkerFixture.write(dir.resolve("lib.c"), """
                int present(int x) { return x + 1; }
                int internal_helper(void) { return 0; }
                """);
        WorkerFixture.write(dir.resolve("lib.map"), """
                LIB_1.0 {
                  global: present; absent_in_this_build;
                  local: *;
                };
                """);
        WorkerFixture.write(dir.resolve("main.c"), """
                #include <stdio.h>
                int present(int);
                int main(void) { printf("%d\\n", present(41)); return 0; }
                """);
        fixture.casOk(dir, "cc", "-O2", "-fPIC", "-shared", "-o", "libv.so", "lib.c",
                "-Wl,--version-script=lib.map");
        fixture.casOk(dir, "cc", "-O2", "-o", "prog", "main.c", "-L.", "-lv", "-Wl,-rpath," + dir);
        assertThat(WorkerFixture.run(dir.resolve("prog"), null)).isEqualTo("42\n");
    }
}
