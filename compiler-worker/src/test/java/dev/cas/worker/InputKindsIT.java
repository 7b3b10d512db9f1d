package dev.cas.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cas.worker.cache.Stat;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every input kind the launcher accepts, built into one program and run: C, LLVM IR (text and bitcode), .i, asm. */
class InputKindsIT {
    @TempDir
    Path dir;
    WorkerFixture fixture;

    @BeforeEach
    void setUp() throws Exception {
        fixture = new WorkerFixture(dir.resolve("cache"));
        WorkerFixture.write(dir.resolve("main.c"), """
                #include <stdio.h>
                int from_ll(void); int from_bc(void); int from_i(void); int from_asm(void);
                int main(void) { printf("%d %d %d %d\\n", from_ll(), from_bc(), from_i(), from_asm()); return 0; }
                """);
        WorkerFixture.write(dir.resolve("ll.c"), "int from_ll(void) { return 11; }\n");
        WorkerFixture.write(dir.resolve("bc.c"), "int from_bc(void) { return 22; }\n");
        WorkerFixture.write(dir.resolve("pre.c"), "#define V 33\nint from_i(void) { return V; }\n");
        WorkerFixture.write(dir.resolve("asm.S"), """
                .globl from_asm
                from_asm:
                    movl $44, %eax
                    ret
                .section .note.GNU-stack,"",@progbits
                """);
        // the IR and preprocessed inputs are made by clang itself, through the launcher's pass-through
        fixture.casOk(dir, "cc", "-O2", "-S", "-emit-llvm", "ll.c", "-o", "unit.ll");
        fixture.casOk(dir, "cc", "-O2", "-c", "-emit-llvm", "bc.c", "-o", "unit.bc");
        fixture.casOk(dir, "cc", "-E", "pre.c", "-o", "unit.i");
    }

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    @Test
    void allKindsLinkIntoAProgramAndCacheableOnesHitTheSecondTime() throws Exception {
        String[] args = {"-O2", "-o", "prog", "main.c", "unit.ll", "unit.bc", "unit.i", "asm.S"};
        long misses = fixture.stat(Stat.UNIT_MISSES);
        long uncached = fixture.stat(Stat.UNCACHED); // set-up ran three commands clang serves unchanged
        assertThat(uncached).isEqualTo(3);
        fixture.casOk(dir, "cc", args);
        assertThat(fixture.stat(Stat.UNIT_MISSES) - misses).isEqualTo(4);
        assertThat(WorkerFixture.run(dir.resolve("prog"), null)).isEqualTo("11 22 33 44\n");

        long hits = fixture.stat(Stat.UNIT_HITS);
        fixture.casOk(dir, "cc", args);
        assertThat(fixture.stat(Stat.UNIT_HITS) - hits).isEqualTo(4);
        assertThat(fixture.stat(Stat.UNCACHED) - uncached).isEqualTo(2); // the assembly file, both times
        assertThat(WorkerFixture.run(dir.resolve("prog"), null)).isEqualTo("11 22 33 44\n");
    }

    @Test
    void changedIrMisses() throws Exception {
        fixture.casOk(dir, "cc", "-O2", "-c", "unit.ll");
        WorkerFixture.write(dir.resolve("ll.c"), "int from_ll(void) { return 12; }\n");
        fixture.casOk(dir, "cc", "-O2", "-S", "-emit-llvm", "ll.c", "-o", "unit.ll");
        long misses = fixture.stat(Stat.UNIT_MISSES);
        fixture.casOk(dir, "cc", "-O2", "-c", "unit.ll");
        assertThat(fixture.stat(Stat.UNIT_MISSES)).isEqualTo(misses + 1);
    }
}
