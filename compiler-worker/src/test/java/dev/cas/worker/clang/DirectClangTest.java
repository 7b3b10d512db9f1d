package dev.cas.worker.clang;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DirectClangTest {
    @TempDir
    Path dir;

    /**
     * {@code cc -v} (a probe build systems run to learn the compiler) behaves as plain clang's: before, the linker
     * flags made clang link nothing and fail for want of {@code main}.
     */
    @Test
    void aProbeWithoutInputsIsPlainClangs() throws Exception {
        Toolchain toolchain = Toolchain.load();
        for (String probe : List.of("-v", "-###", "-print-prog-name=ld")) {
            List<String> command = DirectClang.command(toolchain, "cc", List.of(probe));
            Process process = new ProcessBuilder(command).directory(dir.toFile()).start();
            String stderr = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(process.waitFor()).as(probe + ": " + stderr).isZero();
            assertThat(stderr).as(probe).doesNotContain("warning", "error");
        }
        assertThat(dir).isEmptyDirectory(); // no a.out
    }

    /** With an input and no flag that stops clang before linking, it links with the bundled lld. */
    @Test
    void aProgramLinksWithTheBundledLld() throws IOException, InterruptedException {
        Files.writeString(dir.resolve("main.c"), "int main(void) { return 5; }\n");
        List<String> command = DirectClang.command(Toolchain.load(), "cc", List.of("-o", "main", "main.c"));
        assertThat(command).containsSubsequence(DirectClang.linkerFlags());
        assertThat(new ProcessBuilder(command).directory(dir.toFile()).inheritIO().start().waitFor()).isZero();
        assertThat(new ProcessBuilder(dir.resolve("main").toString()).start().waitFor()).isEqualTo(5);
    }

    @Test
    void linksOnlyWithAnInputAndNoStoppingFlag() {
        assertThat(DirectClang.links(List.of("-x", "c", "-", "-o", "/dev/null"))).isTrue();
        assertThat(DirectClang.links(List.of("main.o", "-lm"))).isTrue();
        assertThat(DirectClang.links(List.of("-v"))).isFalse();
        assertThat(DirectClang.links(List.of("-o", "prog", "-L", "lib"))).isFalse(); // values, not inputs
        assertThat(DirectClang.links(List.of("-E", "-"))).isFalse();
        assertThat(DirectClang.links(List.of("-c", "unit.c"))).isFalse();
    }
}
