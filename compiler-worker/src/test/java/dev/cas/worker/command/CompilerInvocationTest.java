package dev.cas.worker.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cas.worker.command.CompilerInvocation.Mode;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CompilerInvocationTest {
    private static CompilerInvocation parse(String compiler, String... args) throws UsageException {
        return CompilerInvocation.parse(compiler, List.of(args));
    }

    @Test
    void makeStyleCompileOfOneObject() throws Exception {
        CompilerInvocation inv = parse("cc", "-O2", "-Wall", "-Iinclude", "-DX=1", "-MMD", "-MP", "-c", "-o",
                "obj/a.o", "src/a.c");
        assertThat(inv.mode()).isEqualTo(Mode.COMPILE);
        assertThat(inv.output()).contains("obj/a.o");
        assertThat(inv.inputs()).extracting(SourceFile::kind).containsExactly(SourceFile.Kind.C);
        assertThat(inv.preprocessorFlags()).containsExactly("-Iinclude", "-DX=1");
        assertThat(inv.compileFlags()).containsExactly("-O2", "-Wall");
        assertThat(inv.optLevel()).isEqualTo("2");
        assertThat(inv.dependencies().preprocessorFlags(inv.inputs().get(0), inv.output()))
                .containsExactly("-MMD", "-MF", "obj/a.d", "-MQ", "obj/a.o", "-MP");
    }

    @Test
    void preprocessorFlagsStayOutOfTheFingerprintFlags() throws Exception {
        CompilerInvocation inv = parse("gcc", "-I", "/abs/include", "-D", "A", "-isystem", "/sys", "-include",
                "pre.h", "-U", "B", "-c", "a.c");
        assertThat(inv.preprocessorFlags()).containsExactly("-I", "/abs/include", "-D", "A", "-isystem", "/sys",
                "-include", "pre.h", "-U", "B");
        assertThat(inv.compileFlags()).isEmpty();
    }

    @Test
    void linkFlagsAndObjectsAreNotCompiled() throws Exception {
        CompilerInvocation inv = parse("c++", "-o", "app", "main.cpp", "util.o", "libx.a", "-L/opt/lib", "-lz",
                "-Wl,--as-needed", "-pthread");
        assertThat(inv.mode()).isEqualTo(Mode.LINK);
        assertThat(inv.cxxDriver()).isTrue();
        assertThat(inv.inputs()).extracting(SourceFile::kind).containsExactly(SourceFile.Kind.CXX,
                SourceFile.Kind.LINKER_INPUT, SourceFile.Kind.LINKER_INPUT);
        assertThat(inv.compileFlags()).containsExactly("-pthread");
    }

    @Test
    void languageComesFromTheCompilerAndTheExtension() throws Exception {
        assertThat(parse("g++", "-c", "a.c").inputs().get(0).kind()).isEqualTo(SourceFile.Kind.CXX);
        assertThat(parse("clang", "-c", "a.cc").inputs().get(0).kind()).isEqualTo(SourceFile.Kind.CXX);
        assertThat(parse("/usr/bin/x86_64-linux-gnu-gcc-12", "-c", "a.c").inputs().get(0).kind())
                .isEqualTo(SourceFile.Kind.C);
        assertThat(parse("cc", "-c", "a.ll").inputs().get(0).kind()).isEqualTo(SourceFile.Kind.LLVM_IR);
        assertThat(parse("cc", "-x", "c++", "-c", "a.inc").inputs().get(0).kind()).isEqualTo(SourceFile.Kind.CXX);
    }

    @Test
    void modesTheCacheCannotServeGoStraightToClang() throws Exception {
        for (String flag : List.of("-E", "-S", "-M", "-fsyntax-only", "--version", "-print-search-dirs")) {
            assertThat(parse("cc", flag, "a.c").mode()).as(flag).isEqualTo(Mode.PASSTHROUGH);
        }
        assertThat(parse("cc", "-o", "app", "a.o", "b.o").mode()).isEqualTo(Mode.PASSTHROUGH);
    }

    @Test
    void flagsTheInProcessBackEndCannotHonourUseClangsOwn() throws Exception {
        assertThat(parse("cc", "-O2", "-c", "a.c").needsDriverBackend()).isFalse();
        assertThat(parse("cc", "-O0", "-c", "a.c").needsDriverBackend()).isTrue();
        assertThat(parse("cc", "-c", "a.c").needsDriverBackend()).isTrue();
        for (String flag : List.of("-fsanitize=address", "-ffunction-sections", "-flto", "-mcmodel=large",
                "-Wa,--execstack", "-Wa,-mrelax-relocations=no", "-fprofile-instr-generate")) {
            assertThat(parse("cc", "-O2", flag, "-c", "a.c").needsDriverBackend()).as(flag).isTrue();
        }
        // its objects already carry a non-executable stack note: zstd's makefiles add this to every compile
        CompilerInvocation noexecstack = parse("cc", "-O3", "-Wa,--noexecstack", "-c", "a.c");
        assertThat(noexecstack.needsDriverBackend()).isFalse();
        assertThat(noexecstack.compileFlags()).contains("-Wa,--noexecstack");
    }

    @Test
    void debugInfoIsTracked() throws Exception {
        assertThat(parse("cc", "-g", "-c", "a.c").debugInfo()).isTrue();
        assertThat(parse("cc", "-g", "-g0", "-c", "a.c").debugInfo()).isFalse();
        assertThat(parse("cc", "-c", "a.c").debugInfo()).isFalse();
    }

    @Test
    void refusesWhatItCannotPlace() {
        assertThatThrownBy(() -> parse("cc", "--frobnicate", "-c", "a.c")).isInstanceOf(UsageException.class)
                .hasMessageContaining("unsupported flag '--frobnicate'");
        assertThatThrownBy(() -> parse("cc", "-c", "a.c", "b.c", "-o", "x.o")).isInstanceOf(UsageException.class)
                .hasMessageContaining("multiple output files");
        assertThatThrownBy(() -> parse("cc", "-c", "a.c", "-x", "c++", "b.c")).isInstanceOf(UsageException.class)
                .hasMessageContaining("-x");
        assertThatThrownBy(() -> parse("cc", "-c", "a.c", "-o")).isInstanceOf(UsageException.class)
                .hasMessageContaining("needs a value");
        assertThatThrownBy(() -> parse("cc", "-save-temps", "-c", "a.c")).isInstanceOf(UsageException.class);
    }

    @Test
    void defaultDependencyFileAndTargetFollowClang() throws Exception {
        CompilerInvocation inv = parse("cc", "-MD", "-c", "dir/a.c");
        assertThat(inv.dependencies().preprocessorFlags(inv.inputs().get(0), Optional.empty()))
                .containsExactly("-MD", "-MF", "a.d", "-MQ", "a.o");
        CompilerInvocation explicit = parse("cc", "-MD", "-MF", "deps/a.dep", "-MT", "target", "-c", "a.c");
        assertThat(explicit.dependencies().preprocessorFlags(explicit.inputs().get(0), Optional.empty()))
                .containsExactly("-MD", "-MF", "deps/a.dep", "-MT", "target");
    }

    @Test
    void theLinkStepSeesObjectsWhereSourcesWere() throws Exception {
        CompilerInvocation inv = parse("cc", "-O2", "-MD", "-MF", "x.d", "main.c", "-o", "app",
                "lib.o", "util.c", "-lm");
        assertThat(inv.linkArguments(List.of("/tmp/0-main.o", "/tmp/1-util.o")))
                .containsExactly("-O2", "/tmp/0-main.o", "-o", "app", "lib.o", "/tmp/1-util.o", "-lm");
    }
}
