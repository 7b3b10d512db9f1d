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
}
