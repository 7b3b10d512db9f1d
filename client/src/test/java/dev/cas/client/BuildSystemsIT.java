package dev.cas.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bin/cas-compile as Make and CMake users wire it in, built twice: the second build is served from the cache. */
class BuildSystemsIT {
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Path LAUNCHER = REPO.resolve("bin/cas-compile");

    @TempDir
    Path dir;

    private Map<String, String> env() {
        return Map.of("CAS_CACHE_DIR", dir.resolve("cache").toString(), "CAS_WORKER_IDLE_SECONDS", "60");
    }

    private String run(Path cwd, String... command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true);
        builder.environment().putAll(env());
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(10, TimeUnit.MINUTES)).isTrue();
        assertThat(process.exitValue()).as("%s failed:%n%s", List.of(command), output).isZero();
        return output;
    }

    private long hits() throws Exception {
        String json = run(dir, LAUNCHER.toString(), "stats", "--json");
        String field = "\"unit.hits\": ";
        int at = json.indexOf(field) + field.length();
        return Long.parseLong(json.substring(at, json.indexOf(',', at)));
    }

    @AfterEach
    void stopWorker() throws Exception {
        run(dir, LAUNCHER.toString(), "stop");
    }

    @Test
    void makeWithParallelJobs() throws Exception {
        Path project = dir.resolve("calc");
        copy(REPO.resolve("examples/calc"), project);
        String cc = "CC=" + LAUNCHER + " cc";
        run(project, "make", "-j4", cc);
        assertThat(run(project, "./calc", "2 * (3 + 4)")).isEqualTo("2 * (3 + 4) = 14\n");
        assertThat(project.resolve("main.d")).content().contains("calc.h");

        run(project, "make", "clean");
        long before = hits();
        run(project, "make", "-j4", cc);
        assertThat(hits() - before).isEqualTo(3);
        assertThat(run(project, "./calc", "2 ^ 8")).isEqualTo("2 ^ 8 = 256\n");
    }

    @Test
    void cmakeCompilerLauncher() throws Exception {
        Path project = dir.resolve("cmake-demo");
        Files.createDirectories(project);
        Files.writeString(project.resolve("CMakeLists.txt"), """
                cmake_minimum_required(VERSION 3.16)
                project(demo C CXX)
                add_executable(demo main.c greet.cpp)
                """);
        Files.writeString(project.resolve("main.c"), """
                #include <stdio.h>
                const char *greet(void);
                int main(void) { printf("%s\\n", greet()); return 0; }
                """);
        Files.writeString(project.resolve("greet.cpp"), """
                #include <string>
                static const std::string text = std::string("hello from ") + "cmake";
                extern "C" const char *greet() { return text.c_str(); }
                """);
        for (int round = 0; round < 2; round++) {
            Path build = project.resolve("build");
            long before = hits();
            run(project, "cmake", "-S", ".", "-B", "build", "-DCMAKE_BUILD_TYPE=Release",
                    "-DCMAKE_C_COMPILER_LAUNCHER=" + LAUNCHER, "-DCMAKE_CXX_COMPILER_LAUNCHER=" + LAUNCHER);
            run(project, "cmake", "--build", "build", "-j", "2");
            assertThat(run(project, build.resolve("demo").toString())).isEqualTo("hello from cmake\n");
            assertThat(hits() - before).isEqualTo(round == 0 ? 0 : 2);
            if (round == 0) {
                deleteRecursively(build);
            }
        }
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path file : files.toList()) {
                Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else if (!file.getFileName().toString().matches(".*\\.(o|d)|calc")) {
                    Files.copy(file, target);
                }
            }
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
    }
}
