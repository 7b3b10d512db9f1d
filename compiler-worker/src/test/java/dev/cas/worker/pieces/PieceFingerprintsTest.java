package dev.cas.worker.pieces;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cas.store.Digest;
import dev.cas.worker.cache.Fingerprint;
import java.util.Arrays;
import java.util.Comparator;
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

    /** A function with debug info at line 10 calling one at line 3, as clang prints them (trimmed). */
    private static final String WITH_LINES = """
            define i32 @g(i32 %0) !dbg !14 {
              ret i32 %0, !dbg !15
            }

            define i32 @f(i32 %0) !dbg !4 {
              %2 = add i32 %0, LINE_CONSTANT, !dbg !8
              %3 = call i32 @g(i32 %2), !dbg !9
              ret i32 %3, !dbg !9
            }

            !llvm.dbg.cu = !{!0}
            !0 = distinct !DICompileUnit(language: DW_LANG_C11, file: !1, isOptimized: true, emissionKind: FullDebug)
            !1 = !DIFile(filename: "f.c", directory: "/src")
            !2 = !DIFile(filename: "types.h", directory: "/src")
            !4 = distinct !DISubprogram(name: "f", scope: !1, file: !1, line: 10, type: !5, scopeLine: 10, unit: !0)
            !5 = !DISubroutineType(types: !6)
            !6 = !{!7}
            !7 = !DIDerivedType(tag: DW_TAG_typedef, name: "i32", file: !2, line: 40, baseType: null)
            !8 = !DILocation(line: 11, column: 14, scope: !4)
            !9 = !DILocation(line: 12, column: 3, scope: !4)
            !14 = distinct !DISubprogram(name: "g", scope: !1, file: !1, line: 3, type: !5, scopeLine: 3, unit: !0)
            !15 = !DILocation(line: 4, column: 3, scope: !14)
            """;

    private record Keyed(Digest key, int base) {
    }

    private static Keyed keyed(String module, String function, Set<String> imports) {
        Fingerprint key = new Fingerprint("test");
        int base = PieceFingerprints.parse(module).describePiece(List.of(function), List.of(), imports, false, key);
        return new Keyed(key.build(), base);
    }

    private static Digest shape(PieceFingerprints index, String function) {
        Fingerprint shape = new Fingerprint("test");
        index.describePiece(List.of(function), List.of(), Set.of(), false, new Fingerprint("key"), shape);
        return shape.build();
    }

    private static String movedBy(String module, int lines, String... numbers) {
        String moved = module;
        // highest first, so that no line is moved twice
        for (String number : Arrays.stream(numbers).sorted(Comparator.comparing((String n) -> Integer.parseInt(n)).reversed())
                .toList()) {
            String to = Integer.toString(Integer.parseInt(number) + lines);
            moved = moved.replace(" line: " + number + ",", " line: " + to + ",")
                    .replace("(line: " + number + ",", "(line: " + to + ",")
                    .replace("scopeLine: " + number + ",", "scopeLine: " + to + ",");
        }
        return moved;
    }

    @Test
    void linesOfTheMainFileMovingTogetherKeepTheKeyAndMoveTheBase() {
        String original = WITH_LINES.replace("LINE_CONSTANT", "7");
        Keyed before = keyed(original, "f", Set.of());
        assertThat(before.base()).isEqualTo(10);
        // three lines inserted at the top: f's subprogram, scope line and locations move, and so does the g it
        // calls (its declaration is part of f's text); the header's typedef does not
        Keyed after = keyed(movedBy(original, 3, "3", "4", "10", "11", "12"), "f", Set.of());
        assertThat(after.key()).isEqualTo(before.key());
        assertThat(after.base()).isEqualTo(13);
        // a line inserted inside f moves only some of its lines: a miss
        assertThat(keyed(movedBy(original, 1, "12"), "f", Set.of()).key()).isNotEqualTo(before.key());
        // a line of another file moving is a change whatever f's lines do
        assertThat(keyed(movedBy(original, 3, "3", "4", "10", "11", "12", "40"), "f", Set.of()).key())
                .isNotEqualTo(before.key());
        // __LINE__ is a constant in the code: moving such a function changes what it computes
        assertThat(keyed(movedBy(original, 3, "3", "4", "10", "11", "12").replace("add i32 %0, 7", "add i32 %0, 10"),
                "f",
                Set.of()).key()).isNotEqualTo(before.key());
    }

    @Test
    void anImportedCalleeMovingApartFromItsCallerChangesTheKey() {
        String original = WITH_LINES.replace("LINE_CONSTANT", "7");
        Keyed before = keyed(original, "f", Set.of("g"));
        // text inserted above both: f and the g it inlines move together
        assertThat(keyed(movedBy(original, 2, "3", "4", "10", "11", "12"), "f", Set.of("g")).key())
                .isEqualTo(before.key());
        // text inserted between g and f: g's lines stay, f's move, so the inlined rows' distances change
        assertThat(keyed(movedBy(original, 2, "10", "11", "12"), "f", Set.of("g")).key())
                .isNotEqualTo(before.key());
    }

    @Test
    void theShapeLeavesEveryLineOutButNotTheColumnsOrTheCode() {
        String original = WITH_LINES.replace("LINE_CONSTANT", "7");
        Digest before = shape(PieceFingerprints.parse(original), "f");
        String insideMoved = movedBy(original, 1, "12");
        assertThat(shape(PieceFingerprints.parse(insideMoved), "f")).isEqualTo(before);
        assertThat(shape(PieceFingerprints.parse(insideMoved.replace("add i32 %0, 7", "add i32 %0, 8")), "f"))
                .isNotEqualTo(before);
        assertThat(shape(PieceFingerprints.parse(original.replace("column: 14", "column: 15")), "f"))
                .isNotEqualTo(before);
    }

    @Test
    void lineNumbersAndOnlyThemAreBlanked() {
        assertThat(PieceFingerprints.withoutLines(
                "!DILocation(line: 12, column: 3, scope: !4) scopeLine: ~-30, baseline: 5, line: x"))
                .isEqualTo("!DILocation(line: _, column: 3, scope: !4) scopeLine: ~-_, baseline: 5, line: x");
        assertThat(PieceFingerprints.withoutLines("no numbers here")).isEqualTo("no numbers here");
    }
}
