package dev.cas.client;

import dev.cas.worker.daemon.WorkerDaemon;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The command line of a worker process, in three parts: the JVM, its options and main class, and the cache's
 * settings. {@link WorkerConnection} starts workers with it; the native client is compiled with its first two parts
 * ({@link NativeClientDefines}) so that a compiler probe can start a worker without a JVM of its own.
 */
final class WorkerCommand {
    private WorkerCommand() {
    }

    /** The whole command for a worker of these settings. */
    static List<String> of(ClientSettings settings) {
        List<String> command = new ArrayList<>();
        Path setsid = Path.of("/usr/bin/setsid");
        if (Files.isExecutable(setsid)) {
            command.add(setsid.toString()); // its own session: a Ctrl-C in the build's terminal does not kill it
        }
        command.add(java());
        classArchive().ifPresent(archive -> command.add("-XX:SharedArchiveFile=" + archive));
        command.addAll(options());
        command.addAll(arguments(settings));
        return command;
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The JVM's options, class path and main class. */
    static List<String> options() {
        // C1 only: C2's compile threads took ~2 s of processor time in a worker's first build (zstd at -O0, beside
        // clang on 2 cores), and the worker's own code runs as fast on C1 code (sqlite3.c's one-function edit: 5.6 s
        // both ways, its cold build 34.1 s against 35.6 s)
        // The serial collector with a young generation of at most 64 MB, the heap shrinking back after a collection,
        // and a full collection when the worker goes idle after a build (IdleMemoryRelease): between builds the live
        // data is ~10 MB, and the parallel collector's young generation had grown to 750 MB of the worker's peak
        // (sqlite3.c -O2 and five edits: 986 MiB peak before; 524-531 MiB with 96 MB, 498-502 MiB with 64 MB, edits
        // as fast). A young generation capped under the parallel collector alone (-Xmn64m) had made that edit 17 s.
        return List.of("-Xmx4g", "-XX:+UseSerialGC", "-XX:MaxNewSize=64m", "-XX:MinHeapFreeRatio=10",
                "-XX:MaxHeapFreeRatio=30", "-XX:TieredStopAtLevel=1",
                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-cp", absoluteClassPath(), WorkerDaemon.class.getName());
    }

    /** This JVM's class path with every entry absolute: the native client starts workers from a build's directory. */
    private static String absoluteClassPath() {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .map(entry -> Path.of(entry).toAbsolutePath().toString())
                .collect(Collectors.joining(File.pathSeparator));
    }

    /** The worker's arguments: the cache directory, its size limit and the idle timeout. */
    static List<String> arguments(ClientSettings settings) {
        return List.of(settings.cacheDirectory().toString(), Long.toString(settings.maxSizeBytes()),
                Long.toString(settings.idleSeconds()));
    }

    /** The worker classes' archive bin/cas-compile makes beside the launcher's jar (whether it exists yet or not). */
    static Optional<Path> archiveBesideTheJar() {
        String classPath = System.getProperty("java.class.path");
        if (classPath.isEmpty() || classPath.contains(File.pathSeparator)) {
            return Optional.empty();
        }
        return Optional.of(Path.of(classPath).toAbsolutePath().resolveSibling("cas-worker.jsa"));
    }

    private static Optional<Path> classArchive() {
        return archiveBesideTheJar().filter(Files::isRegularFile);
    }
}
