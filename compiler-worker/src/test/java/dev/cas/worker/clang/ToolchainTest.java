package dev.cas.worker.clang;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import org.bytedeco.llvm.global.LLVM;
import org.junit.jupiter.api.Test;

class ToolchainTest {

    /** The identity every key holds names this build and the preset, not "unknown" (a resource path gone stale). */
    @Test
    void identityNamesThePresetAndThisBuild() {
        Toolchain toolchain = Toolchain.load();
        assertThat(Toolchain.buildProperty("version")).isNotEqualTo("unknown").doesNotContain("${");
        assertThat(Toolchain.buildProperty("build.time")).isNotEqualTo("unknown");
        assertThat(toolchain.identity()).contains(";preset=" + Toolchain.buildProperty("llvm.preset") + ";")
                .endsWith(";cas=" + Toolchain.buildProperty("version")).doesNotContain("=unknown");
    }

    /** The LLVM version taken from the preset's version, without loading LLVM, is the one the library reports. */
    @Test
    void llvmVersionIsTheLoadedLibrarys() {
        int[] major = new int[1];
        int[] minor = new int[1];
        int[] patch = new int[1];
        LLVM.LLVMGetVersion(major, minor, patch);
        assertThat(Toolchain.load().identity()).startsWith("llvm=" + major[0] + "." + minor[0] + "." + patch[0] + ";");
    }

    @Test
    void theBundledProgramsAreThereAndRunnable() {
        Toolchain toolchain = Toolchain.load();
        for (String program : new String[] {"clang", "ld.lld", "llvm-objcopy"}) {
            assertThat(Files.isExecutable(toolchain.binDir().resolve(program))).as(program).isTrue();
        }
        assertThat(toolchain.binDir().resolve("libLLVM.so.20.1")).exists();
    }

    /** The headers a worker hashes while it waits for its first build: clang's own, which nearly every unit reads. */
    @Test
    void clangsOwnHeadersAreFound() {
        assertThat(Toolchain.load().resourceHeaders()).hasValueSatisfying(directory -> {
            assertThat(directory.resolve("stddef.h")).isRegularFile();
            assertThat(directory.resolve("stdarg.h")).isRegularFile();
        });
    }
}
