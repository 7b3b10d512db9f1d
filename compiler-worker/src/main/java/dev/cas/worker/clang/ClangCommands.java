package dev.cas.worker.clang;

import dev.cas.worker.command.CompilerInvocation;
import dev.cas.worker.command.SourceFile;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The bundled clang's command lines for one unit of a user's command: preprocess it, compile it whole (its own back
 * end), run its frontend to unoptimised bitcode, or compile it outside the cache. Built here and nowhere else, so
 * that every run of clang for a unit sees the same flags the unit key records.
 */
public final class ClangCommands {
    private final Toolchain toolchain;

    public ClangCommands(Toolchain toolchain) {
        this.toolchain = toolchain;
    }

    /** The bundled clang in the driver mode the user's compiler name asks for; callers add the arguments. */
    List<String> driver(CompilerInvocation invocation) {
        return DirectClang.driver(toolchain, invocation.compiler());
    }

    /** {@code -E} on the source, writing the dependency file the user asked for. */
    public List<String> preprocess(CompilerInvocation invocation, SourceFile source) {
        List<String> command = driver(invocation);
        command.addAll(languageFlag(source));
        command.addAll(invocation.preprocessorFlags());
        command.addAll(invocation.compileFlags());
        command.addAll(invocation.dependencies().preprocessorFlags(source, invocation.output()));
        command.add("-E");
        command.add(source.path());
        return command;
    }

    /**
     * Clang on the original source, its output in {@code work}: the whole compile to an object when its own back end
     * must build the unit, else its frontend to unoptimised bitcode. With {@code writesDependencies} (depend mode)
     * it also writes the dependency file the user asked for.
     */
    public List<String> compile(CompilerInvocation invocation, SourceFile source, Path work, boolean writesDependencies) {
        List<String> command = driver(invocation);
        command.addAll(invocation.compileFlags());
        command.add("-c");
        if (!invocation.needsDriverBackend()) {
            command.addAll(List.of("-emit-llvm", "-Xclang", "-disable-llvm-passes"));
        }
        command.addAll(languageFlag(source));
        if (source.kind().isSource()) {
            command.addAll(invocation.preprocessorFlags());
        }
        command.add(source.path());
        if (writesDependencies) {
            command.addAll(invocation.dependencies().preprocessorFlags(source, invocation.output()));
        }
        command.addAll(List.of("-o", output(invocation, work).toString()));
        return command;
    }

    /** Where {@link #compile} leaves its result: an object, or the frontend's bitcode. */
    public static Path output(CompilerInvocation invocation, Path work) {
        return work.resolve(invocation.needsDriverBackend() ? "unit.o" : "unit.bc");
    }

    /** The unit compiled to {@code object} as the user's command would, without the cache (assembly). */
    public List<String> compileUncached(CompilerInvocation invocation, SourceFile source, Path object) {
        List<String> command = driver(invocation);
        command.addAll(languageFlag(source));
        command.addAll(invocation.preprocessorFlags());
        command.addAll(invocation.compileFlags());
        command.addAll(List.of("-c", source.path(), "-o", object.toString()));
        return command;
    }

    /** The user's own command line with each source replaced by its object, linked by the bundled lld. */
    public List<String> link(CompilerInvocation invocation, List<String> objects) {
        List<String> command = driver(invocation);
        command.addAll(DirectClang.LINKER_FLAGS);
        command.add("-Qunused-arguments");
        command.addAll(invocation.linkArguments(objects));
        return command;
    }

    private static List<String> languageFlag(SourceFile source) {
        return Optional.ofNullable(source.explicitLanguage()).map(language -> List.of("-x", language))
                .orElse(List.of());
    }
}
