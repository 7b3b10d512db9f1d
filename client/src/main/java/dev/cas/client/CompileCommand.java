package dev.cas.client;

import dev.cas.worker.clang.DirectClang;
import dev.cas.worker.command.CompilerInvocation;
import dev.cas.worker.command.UsageException;
import dev.cas.worker.clang.Toolchain;
import dev.cas.worker.daemon.WorkerProtocol.Command;
import dev.cas.worker.WorkerResponse;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code cas-compile <compiler> <args>}: hands the command to the worker, prints what it printed and exits with its
 * status. When the worker cannot be reached the build still succeeds: the bundled clang compiles directly, and the
 * user is told once that the cache was bypassed. A command the cache cannot help with, coming while no worker runs,
 * is run by clang at once while a worker starts in the background (the compiler probes that begin most builds).
 */
final class CompileCommand {
    private final Map<String, String> environment;
    private final PrintStream out;
    private final PrintStream err;

    CompileCommand(Map<String, String> environment, PrintStream out, PrintStream err) {
        this.environment = environment;
        this.out = out;
        this.err = err;
    }

    int run(List<String> args) {
        List<String> request = CompilerInvocation.withCompilerWord(args);
        ClientSettings settings;
        try {
            settings = ClientSettings.fromEnvironment(environment);
        } catch (IllegalArgumentException e) {
            err.println("cas-compile: error: " + e.getMessage());
            return 2;
        }
        if (settings.disabled()) {
            return compileDirectly(request);
        }
        String cwd = Path.of("").toAbsolutePath().toString();
        WorkerConnection connection = new WorkerConnection(settings);
        WorkerResponse response;
        try {
            if (cacheCannotHelp(request) && !connection.answersOrStartsInBackground()) {
                // a compiler probe (--version, -E, a program read from stdin) at the start of a build: clang answers
                // it now, and the worker starts meanwhile instead of on the build's critical path
                return compileDirectly(request);
            }
            response = connection.send(Command.COMPILE, cwd, environment, request);
        } catch (IOException | RuntimeException e) {
            err.println("cas-compile: warning: cache unavailable (" + e.getMessage() + "); compiling without it");
            return compileDirectly(request);
        }
        out.write(response.stdout(), 0, response.stdout().length);
        err.write(response.stderr(), 0, response.stderr().length);
        out.flush();
        err.flush();
        return response.exitCode();
    }

    /** Whether the worker would only run clang on this command (it counts it as uncached). */
    private static boolean cacheCannotHelp(List<String> request) {
        try {
            return CompilerInvocation.parse(request.get(0), request.subList(1, request.size())).mode()
                    == CompilerInvocation.Mode.PASSTHROUGH;
        } catch (UsageException e) {
            return false; // the worker says what is wrong with it
        }
    }

    private int compileDirectly(List<String> request) {
        List<String> command = DirectClang.command(Toolchain.load(), request.get(0),
                request.subList(1, request.size()));
        try {
            return new ProcessBuilder(command).inheritIO().start().waitFor();
        } catch (IOException e) {
            err.println("cas-compile: error: cannot run clang: " + e.getMessage());
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 130;
        }
    }
}
