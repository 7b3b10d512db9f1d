package dev.cas.worker.daemon;

import dev.cas.worker.Worker;
import dev.cas.worker.WorkerResponse;
import dev.cas.worker.command.BuildContext;
import dev.cas.worker.common.WorkFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A worker's first compiles, in process, run once per build by {@code bin/cas-compile} under
 * {@code -XX:ArchiveClassesAtExit}: the classes they load (RocksDB, LLVM's bindings, the pipeline) become the class
 * archive every later worker JVM maps instead of loading and verifying them again (its socket answered after 660-770
 * ms instead of 905-930 ms on a 2-core machine). Then the same with a remote level ({@link TrainingServer}): a
 * build that uploads, and one at another path that finds everything on the server, for the classes of those calls.
 */
public final class ClassArchiveTraining {
    private ClassArchiveTraining() {
    }

    public static void main(String[] args) throws IOException {
        Path directory = Files.createTempDirectory("cas-class-archive-");
        try {
            Map<String, String> environment = new HashMap<>(System.getenv());
            environment.put("CAS_PER_FUNCTION", "1");
            environment.remove("CAS_REMOTE");
            try (Worker worker = Worker.open(directory.resolve("cache"), 64L << 20)) {
                for (String level : List.of("-O2", "-O0")) {
                    compile(worker, directory.resolve("local"), environment, level);
                }
                worker.stats();
            }
            // a second level: one machine builds and uploads, another at another path finds it all on the server
            try (TrainingServer server = new TrainingServer()) {
                environment.put("CAS_REMOTE", "grpc://127.0.0.1:" + server.port());
                for (String machine : List.of("a", "b")) {
                    try (Worker worker = Worker.open(directory.resolve("cache-" + machine), 64L << 20)) {
                        compile(worker, directory.resolve(machine), environment, "-O2");
                    }
                }
            }
        } finally {
            WorkFiles.deleteRecursively(directory);
        }
    }

    private static void compile(Worker worker, Path checkout, Map<String, String> environment, String level)
            throws IOException {
        Files.createDirectories(checkout);
        Files.writeString(checkout.resolve("unit.c"), """
                #include <stdio.h>
                static int twice(int x) { return 2 * x; }
                int main(void) { printf("%d\\n", twice(21)); return 0; }
                """);
        WorkerResponse response = worker.compile("cc", List.of(level, "-c", "unit.c", "-o", "unit.o"),
                new BuildContext(checkout, environment));
        if (response.exitCode() != 0) {
            throw new IllegalStateException(new String(response.stderr()));
        }
    }
}
