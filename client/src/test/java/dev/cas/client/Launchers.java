package dev.cas.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the packaged {@code cas-compile} (and the programs it builds) as separate processes, as a build system does. */
final class Launchers {
    private static final Path JAR = Path.of("target/cas-compile.jar").toAbsolutePath();

    private Launchers() {
    }

    record Run(int exit, String stdout, String stderr) {
    }

    static Process start(Path dir, Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                .toString(), "-cp", JAR.toString(), "dev.cas.client.CasCompile"));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
        builder.environment().putAll(env);
        return builder.start();
    }

    static Run run(Path dir, Map<String, String> env, String... args) throws IOException, InterruptedException {
        return await(start(dir, env, args));
    }

    /** Runs and asserts success, showing what it printed when it failed. */
    static Run ok(Path dir, Map<String, String> env, String... args) throws IOException, InterruptedException {
        Run run = run(dir, env, args);
        assertThat(run.exit()).as(run.stderr()).isZero();
        return run;
    }

    static Run await(Process process) throws IOException, InterruptedException {
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(10, TimeUnit.MINUTES)).isTrue();
        return new Run(process.exitValue(), out, err);
    }

    /** What a built program prints, fed {@code input} (or nothing). */
    static String output(Path program, Path input, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(program.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        builder.redirectInput(input == null ? ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())
                : ProcessBuilder.Redirect.from(input.toFile()));
        Process process = builder.start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(5, TimeUnit.MINUTES)).isTrue();
        return out;
    }
}
