package dev.cas.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code cas-compile} entry point. {@code cas-compile <compiler> <args>} compiles through the cache (the ccache
 * convention, so it drops into {@code CC=} and {@code CMAKE_<LANG>_COMPILER_LAUNCHER}); {@code cas-compile stats},
 * {@code clear}, {@code start} and {@code stop} manage the cache and its worker.
 */
@Command(name = "cas-compile", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = {"A content-addressed build cache that compiles only what changed.", "",
            "Usage as a compiler launcher:", "  cas-compile <compiler> <clang-style arguments>",
            "  e.g. make CC=\"cas-compile cc\"  or  cmake -DCMAKE_C_COMPILER_LAUNCHER=cas-compile", "",
            "<compiler> picks the language: cc, gcc, clang compile C; c++, g++, clang++ compile C++.",
            "The bundled clang 20 always compiles; lld links.", "",
            "Environment: CAS_CACHE_DIR (default ~/.cache/cas), CAS_CACHE_MAX_SIZE (default 5G),",
            "CAS_WORKER_IDLE_SECONDS (default 600), CAS_DISABLE=1 (no cache)."},
        subcommands = {StatsCommand.class, ExplainCommand.class, ClearCommand.class, StartCommand.class,
            StopCommand.class, CommandLine.HelpCommand.class})
public final class CasCompile implements Runnable {
    /**
     * The first arguments that are cas-compile's own (its subcommands and help options), not a compiler's: one list,
     * {@code own-words.txt}, which bin/cas-compile also compiles into the native client.
     */
    static final Set<String> OWN_WORDS = ownWords();

    private static Set<String> ownWords() {
        try (InputStream in = CasCompile.class.getResourceAsStream("own-words.txt")) {
            return Set.copyOf(new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(line -> !line.isBlank()).toList());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read own-words.txt from the jar", e);
        }
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        if (args.length > 0 && !OWN_WORDS.contains(args[0])) {
            List<String> all = Arrays.asList(args);
            return new CompileCommand(System.getenv(), System.out, System.err).run(all);
        }
        return new CommandLine(new CasCompile())
                .setExecutionExceptionHandler((e, commandLine, parsed) -> {
                    commandLine.getErr().println("cas-compile: error: " + e.getMessage());
                    return 1;
                })
                .execute(args);
    }

    @Override
    public void run() {
        new CommandLine(this).usage(System.err);
    }
}
