package dev.cas.worker.pieces;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cas.store.Digest;
import dev.cas.worker.cache.Fingerprint;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Piece keys from printed IR: every function's key covers its own body, whatever its name looks like. */
class PieceFingerprintsTest {
    private static final String MODULE = """
            target triple = "x86_64-pc-linux-gnu"

            define hidden i32 @"_ZZ1fvENK3$_0clEi.__cas_local"(i32 %0) {
              %2 = add i32 %0, 1
              ret i32 %2
            }

            define hidden i32 @"_ZZ1gvENK3$_0clEi.__cas_local"(i32 %0) {
              %2 = mul i32 %0, 3
              ret i32 %2
            }

            define i32 @plain(i32 %0) {
              %2 = call i32 @"_ZZ1fvENK3$_0clEi.__cas_local"(i32 %0)
              ret i32 %2
            }

            @alias_of_plain = alias i32 (i32), ptr @plain
            """;

    private static Digest key(PieceFingerprints index, String function, List<String> aliases, Set<String> imports) {
        Fingerprint key = new Fingerprint("test");
        index.describePiece(List.of(function), aliases, imports, false, key);
        return key.build();
    }

    @Test
    void quotedNamesAreFoundByTheirPrintedForm() {
        assertThat(PieceFingerprints.printedName("_ZZ1fvENK3$_0clEi")).isEqualTo("\"_ZZ1fvENK3$_0clEi\"");
        assertThat(PieceFingerprints.printedName("plain.__cas_local")).isEqualTo("plain.__cas_local");
        assertThat(PieceFingerprints.printedName("1st")).isEqualTo("\"1st\"");
        assertThat(PieceFingerprints.printedName("a\"b")).isEqualTo("\"a\\22b\"");
    }

    @Test
    void lambdasWithDifferentBodiesGetDifferentKeys() {
        PieceFingerprints index = PieceFingerprints.parse(MODULE);
        Digest f = key(index, "_ZZ1fvENK3$_0clEi.__cas_local", List.of(), Set.of());
        Digest g = key(index, "_ZZ1gvENK3$_0clEi.__cas_local", List.of(), Set.of());
        assertThat(f).isNotEqualTo(g);
        assertThat(key(PieceFingerprints.parse(MODULE.replace("mul i32 %0, 3", "mul i32 %0, 4")),
                "_ZZ1gvENK3$_0clEi.__cas_local", List.of(), Set.of())).isNotEqualTo(g);
    }

    @Test
    void anImportedLambdaBodyIsPartOfItsCallersKey() {
        PieceFingerprints index = PieceFingerprints.parse(MODULE);
        Set<String> imports = Set.of("_ZZ1fvENK3$_0clEi.__cas_local");
        Digest before = key(index, "plain", List.of(), imports);
        Digest after = key(PieceFingerprints.parse(MODULE.replace("add i32 %0, 1", "add i32 %0, 2")), "plain",
                List.of(), imports);
        assertThat(after).isNotEqualTo(before);
    }

    @Test
    void anAliasIsPartOfItsTargetsKey() {
        PieceFingerprints index = PieceFingerprints.parse(MODULE);
        assertThat(key(index, "plain", List.of("alias_of_plain"), Set.of()))
                .isNotEqualTo(key(index, "plain", List.of(), Set.of()));
    }

    @Test
    void whereAnInlineAsmStatementStartsInTheFileIsNotPartOfTheKeyButTheAsmIs() {
        String module = """
                define void @barrier() {
                  call void asm sideeffect "", "~{memory}"(), !srcloc !7
                  ret void
                }

                !7 = !{i64 1234}
                """;
        Digest before = key(PieceFingerprints.parse(module), "barrier", List.of(), Set.of());
        assertThat(key(PieceFingerprints.parse(module.replace("i64 1234", "i64 1300")), "barrier", List.of(),
                Set.of())).as("moved down the file").isEqualTo(before);
        assertThat(key(PieceFingerprints.parse(module.replace("asm sideeffect \"\"", "asm sideeffect \"nop\"")),
                "barrier", List.of(), Set.of())).as("other asm").isNotEqualTo(before);
    }

    @Test
    void aFunctionWithoutAPrintedBodyIsRefusedRatherThanKeyedByNothing() {
        PieceFingerprints index = PieceFingerprints.parse(MODULE);
        assertThatThrownBy(() -> key(index, "missing$function", List.of(), Set.of()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("missing$function");
    }

    /** A function with debug info at line 10, as clang prints it (trimmed). */
    private static final String WITH_LINES = """
            define i32 @f(i32 %0) !dbg !4 {
              %2 = add i32 %0, LINE_CONSTANT, !dbg !8
              ret i32 %2, !dbg !9
            }

            !llvm.dbg.cu = !{!0}
            !0 = distinct !DICompileUnit(language: DW_LANG_C11, file: !1, isOptimized: true, emissionKind: FullDebug)
            !1 = !DIFile(filename: "f.c", directory: "/src")
            !4 = distinct !DISubprogram(name: "f", scope: !1, file: !1, line: 10, type: !5, scopeLine: 10, unit: !0)
            !5 = !DISubroutineType(types: !6)
            !6 = !{}
            !8 = !DILocation(line: 11, column: 14, scope: !4)
            !9 = !DILocation(line: 12, column: 3, scope: !4)
            """;

    private static Digest shape(PieceFingerprints index, String function) {
        Fingerprint shape = new Fingerprint("test");
        index.describeShape(List.of(function), List.of(), Set.of(), false, shape);
        return shape.build();
    }

    @Test
    void linesMovedChangeTheKeyButNotTheShapeAndCodeThatHoldsItsLineChangesBoth() {
        String original = WITH_LINES.replace("LINE_CONSTANT", "7");
        String moved = original.replace("line: 10", "line: 13").replace("line: 11", "line: 14")
                .replace("line: 12", "line: 15");
        PieceFingerprints before = PieceFingerprints.parse(original);
        PieceFingerprints after = PieceFingerprints.parse(moved);
        assertThat(before.hasDebugInfo()).isTrue();
        assertThat(key(after, "f", List.of(), Set.of())).isNotEqualTo(key(before, "f", List.of(), Set.of()));
        assertThat(shape(after, "f")).isEqualTo(shape(before, "f"));
        // __LINE__ is a constant in the code: moving such a function changes what it computes
        PieceFingerprints lineInCode = PieceFingerprints.parse(moved.replace("add i32 %0, 7", "add i32 %0, 10"));
        assertThat(shape(lineInCode, "f")).isNotEqualTo(shape(before, "f"));
        // a column is not a line: a change there is a change of shape
        assertThat(shape(PieceFingerprints.parse(moved.replace("column: 14", "column: 15")), "f"))
                .isNotEqualTo(shape(before, "f"));
    }

    @Test
    void lineNumbersAndOnlyThemAreBlanked() {
        assertThat(PieceFingerprints.withoutLines(
                "!DILocation(line: 12, column: 3, scope: !4) scopeLine: 30, baseline: 5, line: x"))
                .isEqualTo("!DILocation(line: _, column: 3, scope: !4) scopeLine: _, baseline: 5, line: x");
        assertThat(PieceFingerprints.withoutLines("no numbers here")).isEqualTo("no numbers here");
    }
}
