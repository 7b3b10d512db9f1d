package dev.cas.worker.clang;

import dev.cas.worker.common.Diagnostics;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The linker command the clang driver would run for a link, asked of the driver ({@code -###}) while the units are
 * still being compiled, so that the link itself runs only the linker: the driver's own start (~27 ms of the bundled
 * clang loading its libraries, a third of linking the SQLite shell) leaves the critical path. Only a plain answer is
 * used — the driver's banner and exactly one job; anything else (a diagnostic, several jobs, {@code -v} or coloured
 * diagnostics asked, the driver failing) gives no command, and the caller links through the driver as before.
 */
public final class PlannedLink {
    /** What the driver prints about itself before its jobs. */
    private static final List<String> BANNER = List.of("clang version ", "Target: ", "Thread model: ",
            "InstalledDir: ", "Build config: ", "Configuration file: ");
    /** Options whose output the user wants from the driver itself. */
    private static final Set<String> DRIVER_OUTPUT = Set.of("-v", "-###", "--verbose");
    /** Options that change how the driver words its own diagnostics (colours, another format). */
    private static final List<String> DIAGNOSTICS_FORMAT = List.of("-fcolor-diagnostics", "-fdiagnostics-color",
            "-fansi-escape-codes", "-fdiagnostics-format");
    /** The line the bundled driver adds after a linker that exited with an error (its name is its file's). */
    private static final String LINKER_FAILED = "clang: error: linker command failed with exit code %d "
            + "(use -v to see invocation)%n";

    private final Optional<ProcessRunner.Running> driver;

    private PlannedLink(Optional<ProcessRunner.Running> driver) {
        this.driver = driver;
    }

    /**
     * Asks the driver, in the background, which job {@code driverLink} (a clang link command) runs. Its inputs must
     * exist by now (the driver checks that they do, not what they hold).
     */
    public static PlannedLink start(List<String> driverLink, Path workingDirectory, Map<String, String> environment) {
        if (driverLink.stream().anyMatch(argument -> DRIVER_OUTPUT.contains(argument)
                || DIAGNOSTICS_FORMAT.stream().anyMatch(argument::startsWith))) {
            return new PlannedLink(Optional.empty());
        }
        List<String> asked = new ArrayList<>(driverLink);
        asked.add("-###");
        try {
            return new PlannedLink(Optional.of(ProcessRunner.start(asked, workingDirectory, environment)));
        } catch (UncheckedIOException e) {
            return new PlannedLink(Optional.empty()); // the driver's own link reports it
        }
    }

    /** The linker's command line, or empty when the driver's answer was not a plain single job. */
    public Optional<List<String>> linkerCommand() {
        if (driver.isEmpty()) {
            return Optional.empty();
        }
        ProcessRunner.Result answer = driver.get().await();
        return answer.succeeded() ? parse(new String(answer.stderr(), StandardCharsets.UTF_8)) : Optional.empty();
    }

    /**
     * What the driver would have answered for {@code linked}, the result of the {@link #linkerCommand}: the linker's
     * own result, and after a linker that exited with an error the driver's line saying so. Empty for a linker killed
     * by a signal, which the driver reports in words of its own: link through the driver then.
     */
    public static Optional<ProcessRunner.Result> asTheDriverReports(ProcessRunner.Result linked) {
        int exit = linked.exitCode();
        if (exit == 0) {
            return Optional.of(linked);
        }
        if (exit > 127) { // 128 + the signal
            return Optional.empty();
        }
        byte[] line = String.format(LINKER_FAILED, exit).getBytes(StandardCharsets.UTF_8);
        return Optional.of(new ProcessRunner.Result(exit, linked.stdout(), Diagnostics.concat(linked.stderr(), line)));
    }

    /** Stops the driver if it still runs (a unit failed, the link is not wanted). */
    public void cancel() {
        driver.ifPresent(ProcessRunner.Running::cancel);
    }

    /**
     * The single job in the driver's {@code -###} output: a line of arguments, each in double quotes with {@code "},
     * {@code \} and {@code $} escaped by a backslash. Empty when a line is neither banner nor job, or jobs are not one.
     */
    static Optional<List<String>> parse(String output) {
        List<List<String>> jobs = new ArrayList<>();
        for (String line : output.split("\n")) {
            if (line.startsWith(" \"")) {
                Optional<List<String>> job = arguments(line);
                if (job.isEmpty()) {
                    return Optional.empty();
                }
                jobs.add(job.get());
            } else if (!line.isEmpty() && BANNER.stream().noneMatch(line::startsWith)) {
                return Optional.empty();
            }
        }
        return jobs.size() == 1 ? Optional.of(jobs.get(0)) : Optional.empty();
    }

    private static Optional<List<String>> arguments(String line) {
        List<String> arguments = new ArrayList<>();
        int at = 0;
        while (at < line.length()) {
            if (line.charAt(at) == ' ') {
                at++;
                continue;
            }
            if (line.charAt(at) != '"') {
                return Optional.empty();
            }
            StringBuilder argument = new StringBuilder();
            at++;
            while (at < line.length() && line.charAt(at) != '"') {
                if (line.charAt(at) == '\\' && at + 1 < line.length()) {
                    at++;
                }
                argument.append(line.charAt(at++));
            }
            if (at == line.length()) {
                return Optional.empty(); // no closing quote
            }
            arguments.add(argument.toString());
            at++;
        }
        return arguments.isEmpty() ? Optional.empty() : Optional.of(arguments);
    }
}
