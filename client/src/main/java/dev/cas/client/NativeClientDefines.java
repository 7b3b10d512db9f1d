package dev.cas.client;

import dev.cas.worker.clang.DirectClang;
import dev.cas.worker.clang.Toolchain;
import dev.cas.worker.command.CompilerInvocation;
import dev.cas.worker.command.SourceFile;
import dev.cas.worker.daemon.WorkerProtocol;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What bin/cas-compile compiles into the native client, one {@code -D} argument a line: the build it speaks for,
 * cas-compile's own first words, what it needs to run a compiler probe itself as {@link DirectClang} would (the
 * bundled clang, the flags that make a command a probe, the options that take the next argument), and the worker's
 * command line and environment ({@link WorkerCommand}) with the default settings, to start one meanwhile. Java
 * keeps the one copy of these; the client is built from it.
 */
final class NativeClientDefines {
    private NativeClientDefines() {
    }

    public static void main(String[] args) {
        defines(Toolchain.load().clang().toString()).forEach(System.out::println);
    }

    static List<String> defines(String clang) {
        List<String> defines = new ArrayList<>();
        defines.add(define("CAS_BUILD_ID", List.of(WorkerProtocol.buildId())));
        defines.add(define("CAS_OWN_WORDS", sorted(CasCompile.OWN_WORDS)));
        defines.add(define("CAS_CLANG", List.of(clang)));
        defines.add(define("CAS_C_DRIVER", List.of(SourceFile.driverModeFlag("cc"))));
        defines.add(define("CAS_CXX_DRIVER", List.of(SourceFile.driverModeFlag("c++"))));
        defines.add(define("CAS_PROBE_FLAGS", sorted(CompilerInvocation.passthroughFlags())));
        defines.add(define("CAS_VALUED_OPTIONS", sorted(CompilerInvocation.separateValueOptions())));
        defines.add(define("CAS_NOT_LINKING", sorted(DirectClang.notLinkingFlags())));
        defines.add(define("CAS_LINKER_FLAGS", DirectClang.linkerFlags()));
        defines.add(define("CAS_WORKER_JAVA", List.of(WorkerCommand.java())));
        defines.add(define("CAS_WORKER_ARCHIVE", List.of(WorkerCommand.archiveBesideTheJar().map(Path::toString)
                .orElse(""))));
        defines.add(define("CAS_WORKER_OPTIONS", WorkerCommand.options()));
        List<String> environment = WorkerCommand.environment().entrySet().stream()
                .map(variable -> variable.getKey() + "=" + variable.getValue()).sorted().toList();
        defines.add(define("CAS_WORKER_ENVIRONMENT", environment.isEmpty() ? List.of("") : environment));
        defines.add(define("CAS_WORKER_DEFAULTS", WorkerCommand.arguments(new ClientSettings(Path.of("/"),
                ClientSettings.DEFAULT_MAX_SIZE, ClientSettings.DEFAULT_IDLE_SECONDS, false)).subList(1, 3)));
        return defines;
    }

    /** {@code -DNAME="a","b"}: C string literals, comma-separated, for an array initialiser or a single string. */
    private static String define(String name, List<String> values) {
        return "-D" + name + "=" + values.stream().map(NativeClientDefines::literal).collect(Collectors.joining(","));
    }

    /** A set in one order, so that the same build compiles the same client. */
    private static List<String> sorted(Collection<String> values) {
        return values.stream().sorted().toList();
    }

    private static String literal(String value) {
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
