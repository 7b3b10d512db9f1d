package dev.cas.worker.pieces;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cas.worker.clang.ProcessRunner;
import dev.cas.worker.clang.Toolchain;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The symbol-table check on real objects made by the bundled clang: each kind of difference it must catch. */
class SymbolTableCheckIT {
    private static final Toolchain TOOLCHAIN = Toolchain.load();
    private static final String WHOLE = """
            int exported(void) { return 1; }
            __attribute__((weak)) int overridable(void) { return 2; }
            static int hidden_local(void) { return 3; }
            int counter = 4;
            int use(void) { return hidden_local(); }
            """;

    @TempDir
    Path dir;

    private byte[] object(String name, String source) throws Exception {
        Path file = dir.resolve(name + ".c");
        Files.writeString(file, source);
        Path object = dir.resolve(name + ".o");
        ProcessRunner.Result result = ProcessRunner.run(List.of(TOOLCHAIN.clang().toString(), "-O1", "-c",
                file.toString(), "-o", object.toString()), dir, System.getenv());
        assertThat(result.succeeded()).as(new String(result.stderr(), StandardCharsets.UTF_8)).isTrue();
        return Files.readAllBytes(object);
    }

    @Test
    void readsBindingTypeAndVisibility() throws Exception {
        List<ElfSymbols.Symbol> symbols = ElfSymbols.read(object("whole", WHOLE + "extern int imported(void);"
                + "__attribute__((visibility(\"hidden\"))) int h(void) { return imported(); }"));
        assertThat(symbols).contains(new ElfSymbols.Symbol("exported", ElfSymbols.STB_GLOBAL, 2, 0, true),
                new ElfSymbols.Symbol("overridable", ElfSymbols.STB_WEAK, 2, 0, true),
                new ElfSymbols.Symbol("counter", ElfSymbols.STB_GLOBAL, 1, 0, true),
                new ElfSymbols.Symbol("h", ElfSymbols.STB_GLOBAL, 2, 2, true),
                new ElfSymbols.Symbol("imported", ElfSymbols.STB_GLOBAL, 0, 0, false));
    }

    @Test
    void theSameSymbolsPass() throws Exception {
        assertThat(SymbolTableCheck.differences(object("a", WHOLE), object("b", WHOLE), Set.of())).isEmpty();
    }

    @Test
    void aMissingDefinitionIsFound() throws Exception {
        Optional<String> diff = SymbolTableCheck.differences(object("merged", WHOLE.replace(
                "int exported(void) { return 1; }", "")), object("whole", WHOLE), Set.of());
        assertThat(diff).hasValueSatisfying(text -> assertThat(text).contains("missing exported (global, function"));
    }

    @Test
    void aChangedBindingOrVisibilityIsFound() throws Exception {
        byte[] whole = object("whole", WHOLE);
        assertThat(SymbolTableCheck.differences(object("weak", WHOLE.replace("int exported(void)",
                "__attribute__((weak)) int exported(void)")), whole, Set.of()))
                .hasValueSatisfying(text -> assertThat(text).contains("differs: exported (weak"));
        assertThat(SymbolTableCheck.differences(object("hidden", WHOLE.replace("int counter",
                "__attribute__((visibility(\"hidden\"))) int counter")), whole, Set.of()))
                .hasValueSatisfying(text -> assertThat(text).contains("differs: counter (global, object, hidden)"));
    }

    @Test
    void anExtraDefinitionPassesOnlyWhenWeakAndDiscardable() throws Exception {
        byte[] whole = object("whole", WHOLE);
        byte[] extraWeak = object("extra", WHOLE + "__attribute__((weak)) int inline_copy(void) { return 5; }");
        assertThat(SymbolTableCheck.differences(extraWeak, whole, Set.of("inline_copy"))).isEmpty();
        assertThat(SymbolTableCheck.differences(extraWeak, whole, Set.of()))
                .hasValueSatisfying(text -> assertThat(text).contains("extra inline_copy (weak"));
    }

    @Test
    void renamedStaticsThatEscapeAreFound() throws Exception {
        byte[] whole = object("whole", WHOLE);
        String escaped = WHOLE + "__attribute__((visibility(\"hidden\"))) int x_renamed(void) __asm__(\"x.__cas_local\");"
                + "__attribute__((visibility(\"hidden\"))) int x_renamed(void) { return 6; }"
                + "int y_renamed(void) __asm__(\"y.__cas_local\"); int calls_y(void) { return y_renamed(); }";
        Optional<String> diff = SymbolTableCheck.differences(object("escaped", escaped), whole, Set.of());
        assertThat(diff).hasValueSatisfying(text -> assertThat(text)
                .contains("renamed static left x.__cas_local (global, function, hidden)")
                .contains("undefined renamed static y.__cas_local"));
    }
}
