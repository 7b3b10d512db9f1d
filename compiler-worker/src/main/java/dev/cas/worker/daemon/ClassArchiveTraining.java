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
 * ms instead of 905-930 ms on a 2-core machine).
 */
public final class ClassArchiveTraining {
    private ClassArchiveTraining() {
    }

    public static void main(String[] args) throws IOException {
        Path directory = Files.createTempDirectory("cas-class-archive-");
        try {
            Files.writeString(directory.resolve("unit.c"), """
                    #include <stdio.h>
                    static int twice(int x) { return 2 * x; }
                    int main(void) { printf("%d\\n", twice(21)); return 0; }
                    """);
            Map<String, String> environment = new HashMap<>(System.getenv());
            environment.put("CAS_PER_FUNCTION", "1");
            try (Worker worker = Worker.open(directory.resolve("cache"), 64L << 20)) {
                BuildContext context = new BuildContext(directory, environment);
                for (String level : List.of("-O2", "-O0")) {
                    WorkerResponse response = worker.compile("cc", List.of(level, "-c", "unit.c", "-o", "unit.o"),
                            context);
                    if (response.exitCode() != 0) {
                        throw new IllegalStateException(new String(response.stderr()));
                    }
                }
                worker.stats();
            }
        } finally {
            WorkFiles.deleteRecursively(directory);
        }
    }
}
