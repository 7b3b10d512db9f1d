package dev.cas.worker.clang;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlannedLinkTest {
    @TempDir
    Path dir;

    private static final String BANNER = """
            clang version 20.1.7
            Target: x86_64-unknown-linux-gnu
            Thread model: posix
            InstalledDir: /opt/llvm/bin
            """;

    @Test
    void theOneJobIsReadWithItsEscapes() {
        Optional<List<String>> job = PlannedLink.parse(BANNER
                + " \"/opt/llvm/bin/ld.lld\" \"-o\" \"a b\\$\\\"\\\\c\" \"x.o\" \"\"\n");
        assertThat(job).contains(List.of("/opt/llvm/bin/ld.lld", "-o", "a b$\"\\c", "x.o", ""));
    }

    @Test
    void anythingButTheBannerAndOneJobGivesNoCommand() {
        String job = " \"/opt/llvm/bin/ld.lld\" \"x.o\"\n";
        assertThat(PlannedLink.parse(BANNER)).as("no job").isEmpty();
        assertThat(PlannedLink.parse(BANNER + job + job)).as("two jobs").isEmpty();
        assertThat(PlannedLink.parse(BANNER + "clang: warning: argument unused during compilation: '-x'\n" + job))
                .as("a diagnostic the user would have read").isEmpty();
        assertThat(PlannedLink.parse(BANNER + " \"/opt/llvm/bin/ld.lld\" \"x.o\n")).as("no closing quote").isEmpty();
        assertThat(PlannedLink.parse(BANNER + " \"/opt/llvm/bin/ld.lld\" x.o\n")).as("unquoted").isEmpty();
    }

    @Test
    void askingForTheDriversOwnOutputGivesNoCommand() {
        Toolchain toolchain = Toolchain.load();
        PlannedLink planned = PlannedLink.start(List.of(toolchain.clang().toString(), "-v", "-o", "prog", "x.o"), dir,
                System.getenv());
        assertThat(planned.linkerCommand()).isEmpty();
    }

    @Test
    void askingForColouredDiagnosticsGivesNoCommand() {
        Toolchain toolchain = Toolchain.load();
        for (String option : List.of("-fcolor-diagnostics", "-fdiagnostics-color=always")) {
            PlannedLink planned = PlannedLink.start(List.of(toolchain.clang().toString(), option, "-o", "prog", "x.o"),
                    dir, System.getenv());
            assertThat(planned.linkerCommand()).as(option).isEmpty();
        }
    }

    /** A link that fails reads as the driver's own: the same status, the same output to the byte. */
    @Test
    void aFailingLinkIsReportedAsTheDriverReportsIt() throws Exception {
        String clang = Toolchain.load().clang().toString();
        Files.writeString(dir.resolve("main.c"), "int absent(void);\nint main(void) { return absent(); }\n");
        run(List.of(clang, "-c", "main.c"));
        List<String> driverLink = new ArrayList<>(List.of(clang));
        driverLink.addAll(DirectClang.LINKER_FLAGS);
        driverLink.addAll(List.of("-o", "prog", "main.o", "-Wl,--no-such-option-either"));

        ProcessRunner.Result driver = ProcessRunner.run(driverLink, dir, System.getenv());
        List<String> linker = PlannedLink.start(driverLink, dir, System.getenv()).linkerCommand().orElseThrow();
        ProcessRunner.Result reported = PlannedLink.asTheDriverReports(ProcessRunner.run(linker, dir,
                System.getenv())).orElseThrow();

        assertThat(driver.exitCode()).isOne();
        assertThat(reported.exitCode()).isEqualTo(driver.exitCode());
        assertThat(reported.stdout()).isEqualTo(driver.stdout());
        assertThat(new String(reported.stderr(), StandardCharsets.UTF_8))
                .isEqualTo(new String(driver.stderr(), StandardCharsets.UTF_8))
                .contains("linker command failed with exit code 1");
    }

    @Test
    void aLinkerKilledBySignalIsLeftToTheDriver() {
        assertThat(PlannedLink.asTheDriverReports(new ProcessRunner.Result(137, new byte[0], new byte[0]))).isEmpty();
        ProcessRunner.Result linked = new ProcessRunner.Result(0, "out".getBytes(StandardCharsets.UTF_8), new byte[0]);
        assertThat(PlannedLink.asTheDriverReports(linked)).containsSame(linked);
    }

    /** The bundled driver's real answer, run as it is: a program that runs, as the driver's own link gives. */
    @Test
    void theDriversLinkerCommandLinksAProgramThatRuns() throws Exception {
        Toolchain toolchain = Toolchain.load();
        String clang = toolchain.clang().toString();
        Files.writeString(dir.resolve("main.c"), """
                #include <math.h>
                #include <stdio.h>
                double half(double);
                int main(void) { printf("%.1f\\n", sqrt(half(32.0))); return 0; }
                """);
        Files.writeString(dir.resolve("half.c"), "double half(double x) { return x / 2; }\n");
        run(List.of(clang, "-O2", "-c", "main.c", "half.c"));

        List<String> driverLink = new ArrayList<>(List.of(clang));
        driverLink.addAll(DirectClang.LINKER_FLAGS);
        driverLink.addAll(List.of("-o", "prog dir$/prog", "main.o", "half.o", "-lm"));
        Files.createDirectories(dir.resolve("prog dir$"));
        PlannedLink planned = PlannedLink.start(driverLink, dir, System.getenv());
        List<String> linker = planned.linkerCommand().orElseThrow();
        assertThat(Path.of(linker.get(0)).getFileName()).hasToString("ld.lld");
        assertThat(linker).contains("prog dir$/prog", "main.o", "half.o", "-lm", "--undefined-version");

        assertThat(run(linker).succeeded()).isTrue();
        assertThat(run(List.of(dir.resolve("prog dir$/prog").toString())).stdout())
                .asString(StandardCharsets.UTF_8).isEqualTo("4.0\n");
    }

    private ProcessRunner.Result run(List<String> command) {
        ProcessRunner.Result result = ProcessRunner.run(command, dir, Map.copyOf(System.getenv()));
        assertThat(result.exitCode()).as(new String(result.stderr(), StandardCharsets.UTF_8)).isZero();
        return result;
    }
}
