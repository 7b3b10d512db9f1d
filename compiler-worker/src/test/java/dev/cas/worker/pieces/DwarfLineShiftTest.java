package dev.cas.worker.pieces;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cas.worker.clang.ProcessRunner;
import dev.cas.worker.clang.Toolchain;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link DwarfLineShift} on objects the bundled clang compiles: moving an object's lines by the lines inserted above
 * its source gives the line table and debug entries clang gives the moved source; what cannot be moved in place is
 * refused, never written wrong.
 */
class DwarfLineShiftTest {
    /** Lines of a header stay where they are when the main file's lines move. */
    private static final String HEADER = """
            typedef unsigned long size_type;
            static inline int from_header(int v) { return v ^ 5; }
            """;
    /**
     * Below line 20, so that the first row of each sequence is reached by an advance in both builds; see
     * {@link #aSmallFileWhoseFirstRowsNeedWiderAdvancesIsRefused} for what happens above it.
     */
    private static final String SOURCE = "/*\n" + " *\n".repeat(18) + " */\n" + """
            #include "h.h"
            struct item { int value; struct item *next; };
            static inline int twice(int v) { return v * 2; }
            int walk(struct item *list, size_type limit) {
                int total = 0;
                for (size_type i = 0; list && i < limit; i++, list = list->next) {
                    if (list->value > 0)
                        total += twice(list->value);
                    else
                        total -= from_header(list->value);
                }
                return total;
            }
            """;

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"-gdwarf-5", "-gdwarf-4", "-gline-tables-only"})
    void movedLinesAreTheLinesOfTheMovedSource(String debug) throws Exception {
        byte[] before = compile(SOURCE, debug);
        byte[] after = compile("\n".repeat(20) + SOURCE, debug);
        DwarfLineShift.Result moved = DwarfLineShift.shift(before, mainFile(), 20);
        assertThat(moved.refusal()).isEmpty();
        assertThat(dump(moved.object().orElseThrow())).isEqualTo(dump(after)).contains("\"p.c\"");
        assertThat(dump(before)).isNotEqualTo(dump(after));
    }

    @Test
    void aLineThatOutgrowsItsFormOrFallsBelowOneIsRefused() throws Exception {
        byte[] object = compile(SOURCE, "-gdwarf-5");
        // decl_line is a one-byte form for lines below 256; the line program's advances grow too
        assertThat(DwarfLineShift.shift(object, mainFile(), 1000).refusal()).contains("grew");
        assertThat(DwarfLineShift.shift(object, mainFile(), -30).refusal()).contains("below 1");
        assertThat(DwarfLineShift.shift(object, new MainFileLines.SourceFile("other.c", dir.toString()), 5)
                .refusal()).contains("does not name");
        assertThat(DwarfLineShift.shift(object, mainFile(), 0).object()).hasValue(object);
    }

    /**
     * In a file whose code starts near line 1 a sequence's first row is reached by a special opcode from the line
     * register's initial 1; moved far, it needs an advance the sequence has no room for, so the piece is compiled
     * again (this is what limits moving in place; a large file's rows are reached by advances already).
     */
    @Test
    void aSmallFileWhoseFirstRowsNeedWiderAdvancesIsRefused() throws Exception {
        byte[] object = compile(SOURCE.substring(SOURCE.indexOf("#include")), "-gdwarf-5");
        assertThat(DwarfLineShift.shift(object, mainFile(), 20).refusal()).contains("grew by");
    }

    private MainFileLines.SourceFile mainFile() {
        return new MainFileLines.SourceFile("p.c", dir.toString());
    }

    private byte[] compile(String source, String debug) throws Exception {
        Files.writeString(dir.resolve("h.h"), HEADER);
        Files.writeString(dir.resolve("p.c"), source);
        List<String> command = new ArrayList<>(List.of(Toolchain.load().clang().toString(), "-O2", debug, "-c",
                "p.c", "-o", "p.o"));
        ProcessRunner.Result result = ProcessRunner.run(command, dir, Map.of());
        assertThat(result.exitCode()).as(new String(result.stderr(), StandardCharsets.UTF_8)).isZero();
        return Files.readAllBytes(dir.resolve("p.o"));
    }

    /** The rows of the line table and the debug entries, as llvm-dwarfdump prints them. */
    private String dump(byte[] object) throws Exception {
        Path file = Files.write(dir.resolve("dumped.o"), object);
        Path dwarfdump = Toolchain.load().binDir().resolve("llvm-dwarfdump");
        dwarfdump.toFile().setExecutable(true);
        ProcessRunner.Result result = ProcessRunner.run(List.of(dwarfdump.toString(), "--debug-line", "--debug-info",
                file.toString()), dir, Map.of());
        assertThat(result.exitCode()).isZero();
        return new String(result.stdout(), StandardCharsets.UTF_8).replaceAll("0x[0-9a-f]+", "ADDR")
                .replaceAll("md5_checksum: \\w+", "md5");
    }
}
