package dev.cas.client;

import dev.cas.worker.Worker;
import dev.cas.worker.common.NativeSha256;
import dev.cas.worker.daemon.WorkerDaemon;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.simple.SimpleServiceProvider;

/**
 * The command line of a worker process, in three parts: the JVM, its options and main class, and the cache's
 * settings; and what it adds to the worker's environment. {@link WorkerConnection} starts workers with it; the native
 * client is compiled with its first two parts and the environment ({@link NativeClientDefines}) so that a compiler
 * probe can start a worker without a JVM of its own.
 */
final class WorkerCommand {
    private static final String ROCKSDB_MUSL_LIBC = "ROCKSDB_MUSL_LIBC";

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
        List<String> options = new ArrayList<>(List.of("-Xmx4g", "-XX:+UseSerialGC", "-XX:MaxNewSize=64m",
                "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30", "-XX:TieredStopAtLevel=1"));
        options.addAll(classArchiveAtItsOwnAddress());
        besideTheJar("native").ifPresent(directory -> {
            options.add("-D" + Worker.NATIVE_LIBRARIES_PROPERTY + "=" + directory);
            options.addAll(NativeSha256.keptLibraryOptions(directory));
        });
        // SLF4J opens every jar on the class path to find its provider (~65 ms of the worker's start) unless named
        options.addAll(List.of("-Dslf4j.provider=" + SimpleServiceProvider.class.getName(),
                "-Dslf4j.internal.verbosity=WARN"));
        options.addAll(List.of("-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-cp", absoluteClassPath(), WorkerDaemon.class.getName()));
        return options;
    }

    /**
     * The class archives mapped where they were written rather than at a random address. Since JDK 20 (and in
     * Debian's 17.0.15, backported) HotSpot moves them by default, which means rewriting every pointer in them: a JVM
     * with the worker's archive started in 156 ms instead of 76 (`java -version`, the worker's options, medians of
     * ten), and every worker starts while a build waits and its probes run. Relocation stays the fallback when the
     * address is taken. The option is diagnostic (HotSpot 14 to 25 at least; a JVM that refused it would start no
     * worker, and the builds would run on plain clang, as when the worker cannot start for any reason).
     */
    private static List<String> classArchiveAtItsOwnAddress() {
        return List.of("-XX:+UnlockDiagnosticVMOptions", "-XX:ArchiveRelocationMode=0");
    }

    /**
     * Variables set for the worker unless the environment has them: which C library this JVM runs on, told to
     * RocksDB, which otherwise asks `sh -c "ldd /usr/bin/env | grep -q musl"` as the worker opens its cache (four
     * processes, 36 ms of the first compile's wait and 45 ms of processor time). The worker runs this same JVM.
     */
    static Map<String, String> environment() {
        try (var maps = Files.lines(Path.of("/proc/self/maps"))) {
            List<String> libraries = maps.filter(line -> line.contains("/lib")).toList();
            if (libraries.stream().anyMatch(line -> line.contains("musl"))) {
                return Map.of(ROCKSDB_MUSL_LIBC, "true");
            }
            if (libraries.stream().anyMatch(line -> line.endsWith("/libc.so.6"))) {
                return Map.of(ROCKSDB_MUSL_LIBC, "false");
            }
        } catch (IOException | UncheckedIOException e) {
            // no /proc: RocksDB asks for itself
        }
        return Map.of();
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
        return besideTheJar("cas-worker.jsa");
    }

    /** {@code name} in the launcher's jar's directory, when this JVM runs from that one jar. */
    private static Optional<Path> besideTheJar(String name) {
        String classPath = System.getProperty("java.class.path");
        if (classPath.isEmpty() || classPath.contains(File.pathSeparator)) {
            return Optional.empty();
        }
        return Optional.of(Path.of(classPath).toAbsolutePath().resolveSibling(name));
    }

    private static Optional<Path> classArchive() {
        return archiveBesideTheJar().filter(Files::isRegularFile);
    }
}
