package dev.cas.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import dev.cas.client.Launchers.Run;
import dev.cas.worker.daemon.WorkerDaemon;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged {@code cas-compile} as Make runs it: many launcher processes at once against one cache, served by one
 * worker daemon started on demand; and a build that still succeeds when the cache cannot be used.
 */
class LauncherIT {
    private static final int UNITS = 8;

    @TempDir
    Path dir;

    private Run casCompile(Map<String, String> env, String... args) throws IOException, InterruptedException {
        return Launchers.run(dir, env, args);
    }

    private Process start(Map<String, String> env, String... args) throws IOException {
        return Launchers.start(dir, env, args);
    }

    private Map<String, String> cacheEnv() {
        return Map.of("CAS_CACHE_DIR", dir.resolve("cache").toString(), "CAS_WORKER_IDLE_SECONDS", "60");
    }

    @AfterEach
    void stopWorker() throws Exception {
        casCompile(cacheEnv(), "stop");
    }

    @Test
    void parallelLaunchersShareOneWorkerAndOneCache() throws Exception {
        for (int i = 0; i < UNITS; i++) {
            Files.writeString(dir.resolve("unit" + i + ".c"), "int unit" + i + "(void) { return " + i + "; }\n");
        }
        StringBuilder main = new StringBuilder("#include <stdio.h>\n");
        StringBuilder sum = new StringBuilder("0");
        for (int i = 0; i < UNITS; i++) {
            main.append("int unit").append(i).append("(void);\n");
            sum.append(" + unit").append(i).append("()");
        }
        main.append("int main(void) { printf(\"%d\\n\", ").append(sum).append("); return 0; }\n");
        Files.writeString(dir.resolve("main.c"), main.toString());

        for (int round = 0; round < 2; round++) {
            List<Process> launchers = new ArrayList<>();
            for (int i = 0; i < UNITS; i++) {
                launchers.add(start(cacheEnv(), "cc", "-O2", "-c", "unit" + i + ".c", "-o", "unit" + i + ".o"));
            }
            for (Process launcher : launchers) {
                Run run = Launchers.await(launcher);
                assertThat(run.exit()).as(run.stderr()).isZero();
            }
        }
        List<String> link = new ArrayList<>(List.of("cc", "-o", "prog", "main.c"));
        for (int i = 0; i < UNITS; i++) {
            link.add("unit" + i + ".o");
        }
        Run linked = casCompile(cacheEnv(), link.toArray(String[]::new));
        assertThat(linked.exit()).as(linked.stderr()).isZero();
        Process program = new ProcessBuilder(dir.resolve("prog").toString()).start();
        assertThat(new String(program.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("28\n");

        Run stats = casCompile(cacheEnv(), "stats", "--json");
        assertThat(stats.exit()).isZero();
        assertThat(stats.stdout()).contains("\"unit.hits\": " + UNITS, "\"unit.misses\": " + (UNITS + 1));
    }

    /**
     * The compiler probes that begin a build (here four at once, as {@code make -j4} would run them) are answered by
     * clang at once while no worker runs; one worker starts behind them, and the build's compiles go through it.
     */
    @Test
    void compilerProbesRunAtOnceWhileOneWorkerStartsBehindThem() throws Exception {
        List<Process> probes = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            probes.add(start(cacheEnv(), "cc", "--version"));
        }
        for (Process probe : probes) {
            Run run = Launchers.await(probe);
            assertThat(run.exit()).as(run.stderr()).isZero();
            assertThat(run.stdout()).contains("clang version");
        }
        Files.writeString(dir.resolve("unit.c"), "int unit(void) { return 7; }\n");
        Run compiled = casCompile(cacheEnv(), "cc", "-O0", "-c", "unit.c", "-o", "unit.o");
        assertThat(compiled.exit()).as(compiled.stderr()).isZero();
        assertThat(dir.resolve("unit.o")).isNotEmptyFile();
        assertThat(casCompile(cacheEnv(), "stats", "--json").stdout()).contains("\"unit.misses\": 1");
        assertThat(workersOfTheCache().count()).as("workers of the cache").isEqualTo(1);
    }

    /**
     * A probe does not wait for the worker: it is answered, without a warning, even while the worker cannot open its
     * cache (it retries for a minute, as when another worker still holds the database), where a compile would wait.
     */
    @Test
    void aProbeNeverWaitsForTheWorker() throws Exception {
        Files.createDirectories(dir.resolve("cache"));
        Files.writeString(dir.resolve("cache/db"), "not a database directory");
        try {
            long begin = System.nanoTime();
            Run probe = casCompile(cacheEnv(), "cc", "--version");
            assertThat(probe.exit()).as(probe.stderr()).isZero();
            assertThat(probe.stdout()).contains("clang version");
            assertThat(probe.stderr()).isEmpty();
            assertThat((System.nanoTime() - begin) / 1_000_000_000).as("seconds").isLessThan(20);
        } finally {
            workersOfTheCache().forEach(ProcessHandle::destroy);
        }
    }

    /** The processes started with this test's cache directory among their arguments: its workers. */
    private Stream<ProcessHandle> workersOfTheCache() {
        String cache = dir.resolve("cache").toString();
        return ProcessHandle.allProcesses().filter(process -> process.info().arguments()
                .map(arguments -> List.of(arguments).contains(cache)).orElse(false));
    }

    /**
     * The native client answers compiler probes with the bundled clang itself and starts the worker behind them, and
     * the build's first compile waits for that worker: all without a JVM of its own (any hand-over to Java fails here).
     */
    @Test
    void theNativeClientAnswersProbesAndStartsTheWorkerWithoutAJvm() throws Exception {
        Path nativeClient = builtNativeClient();
        Run version = nativeClientWithoutJava(nativeClient, "", "cc", "--version");
        assertThat(version.exit()).as(version.stderr()).isZero();
        assertThat(version.stdout()).contains("clang version");
        Run verbose = nativeClientWithoutJava(nativeClient, "", "cc", "-v"); // as clang: no link, no warning
        assertThat(verbose.exit()).as(verbose.stderr()).isZero();
        assertThat(verbose.stderr()).contains("clang version").doesNotContain("warning", "error", "ld.lld");
        Run fromStdin = nativeClientWithoutJava(nativeClient, "int main(void) { return 3; }\n", "cc", "-x", "c", "-",
                "-o", "probe");
        assertThat(fromStdin.exit()).as(fromStdin.stderr()).isZero();
        assertThat(new ProcessBuilder(dir.resolve("probe").toString()).start().waitFor()).isEqualTo(3);

        Files.writeString(dir.resolve("first.c"), "int first(void) { return 1; }\n");
        Run compiled = nativeClientWithoutJava(nativeClient, "", "cc", "-O2", "-c", "first.c");
        assertThat(compiled.exit()).as(compiled.stderr()).isZero();
        assertThat(dir.resolve("first.o")).isNotEmptyFile();
        assertThat(casCompile(defaultSettingsEnv(), "stats", "--json").stdout()).contains("\"unit.misses\": 1");
        assertThat(workersOfTheCache().count()).as("workers of the cache").isEqualTo(1);
    }

    /**
     * A program compiled and linked in one command while a worker starts (a configure-style test program) is built by
     * clang at once rather than waiting for it. The starting worker is a stand-in here (a process noted as the worker
     * that never answers): a real one is in that state for only a fraction of a second.
     */
    @Test
    void aTestProgramIsBuiltAtOnceWhileTheWorkerStarts() throws Exception {
        Path nativeClient = builtNativeClient();
        Files.createDirectories(dir.resolve("cache"));
        Process standIn = new ProcessBuilder("sh", "-c", "sleep 120; true", WorkerDaemon.class.getName()).start();
        try {
            Files.writeString(dir.resolve("cache/worker.starting"), Long.toString(standIn.pid()));
            Files.writeString(dir.resolve("test.c"), "#include <stdio.h>\nint main(void) { puts(\"7\"); }\n");
            Run linked = nativeClientWithoutJava(nativeClient, "", "cc", "-o", "test", "test.c");
            assertThat(linked.exit()).as(linked.stderr()).isZero();
            assertThat(Launchers.output(dir.resolve("test"), null)).isEqualTo("7\n");
            assertThat(workersOfTheCache().count()).as("workers started for it").isZero();
        } finally {
            standIn.destroy();
        }
    }

    /** bin/cas-compile's native client, built by the script if need be. */
    private Path builtNativeClient() throws IOException, InterruptedException {
        Path script = Path.of("..", "bin", "cas-compile").toAbsolutePath().normalize();
        Run built = Launchers.await(new ProcessBuilder(script.toString(), "--version").start());
        assertThat(built.exit()).as(built.stderr()).isZero();
        Path nativeClient = Path.of("target", "cas-compile-client").toAbsolutePath();
        assertThat(nativeClient).isExecutable();
        return nativeClient;
    }

    /** The cache of {@link #cacheEnv()} with the default settings, which the native client starts workers with. */
    private Map<String, String> defaultSettingsEnv() {
        return Map.of("CAS_CACHE_DIR", dir.resolve("cache").toString());
    }

    private Run nativeClientWithoutJava(Path nativeClient, String stdin, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(nativeClient.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
        builder.environment().remove("CAS_WORKER_IDLE_SECONDS");
        builder.environment().remove("CAS_CACHE_MAX_SIZE");
        builder.environment().putAll(defaultSettingsEnv());
        builder.environment().put("CAS_JAVA_LAUNCHER", "/bin/false"); // any hand-over to Java would fail
        Process process = builder.start();
        try (var in = process.getOutputStream()) {
            in.write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        return Launchers.await(process);
    }

    @Test
    void theNativeClientServesCompilesWithoutStartingAJvm() throws Exception {
        Path script = Path.of("..", "bin", "cas-compile").toAbsolutePath().normalize();
        Path nativeClient = Path.of("target", "cas-compile-client").toAbsolutePath();
        Files.writeString(dir.resolve("start.c"), "int start(void) { return 0; }\n");
        ProcessBuilder viaScript = new ProcessBuilder(script.toString(), "cc", "-c", "start.c")
                .directory(dir.toFile());
        viaScript.environment().putAll(cacheEnv()); // no worker yet: the native client hands over to Java
        Run started = Launchers.await(viaScript.start());
        assertThat(started.exit()).as(started.stderr()).isZero();
        assertThat(nativeClient).isExecutable();

        List<Process> clients = new ArrayList<>();
        for (int i = 0; i < UNITS; i++) {
            Files.writeString(dir.resolve("n" + i + ".c"), "int n" + i + "(void) { return " + i + "; }\n");
            ProcessBuilder builder = new ProcessBuilder(nativeClient.toString(), "cc", "-O2", "-c", "n" + i + ".c")
                    .directory(dir.toFile());
            builder.environment().putAll(cacheEnv());
            builder.environment().put("CAS_JAVA_LAUNCHER", "/bin/false"); // any fallback to Java would fail
            clients.add(builder.start());
        }
        for (int i = 0; i < UNITS; i++) {
            Run run = Launchers.await(clients.get(i));
            assertThat(run.exit()).as(run.stderr()).isZero();
            assertThat(dir.resolve("n" + i + ".o")).isNotEmptyFile();
        }
    }

    /**
     * bin/cas-compile's fast path leaves the check for a stale jar or client to the native client: it must hand back to
     * the script (which rebuilds) when a source is newer than the jar, and go on when nothing is.
     */
    @Test
    void theNativeClientHandsBackToTheScriptWhenASourceIsNewerThanTheJar() throws Exception {
        Path nativeClient = Path.of("target", "cas-compile-client").toAbsolutePath();
        assertThat(casCompile(cacheEnv(), "--version").exit()).isZero(); // builds the native client if need be
        FileTime built = Files.getLastModifiedTime(nativeClient);
        Path root = dir.resolve("tree");
        Path jar = root.resolve("client/target/cas-compile.jar");
        Path source = root.resolve("compiler-worker/src/main/java/Unit.java");
        Files.createDirectories(jar.getParent());
        Files.createDirectories(source.getParent());
        Files.writeString(jar, "jar");
        Files.writeString(source, "class Unit {}");
        Path script = root.resolve("callback.sh");
        Files.writeString(script, "#!/bin/sh\necho \"script called: [$CAS_STALE_CHECKED] $*\"\n");
        assertThat(script.toFile().setExecutable(true)).isTrue();
        try (var paths = Files.walk(root)) { // directories count too: a source removed is a change
            for (Path path : paths.toList()) {
                Files.setLastModifiedTime(path, FileTime.fromMillis(built.toMillis() - 7_200_000));
            }
        }
        Files.setLastModifiedTime(jar, FileTime.fromMillis(built.toMillis() - 3_600_000));

        Files.setLastModifiedTime(source, FileTime.fromMillis(built.toMillis() - 1_800_000)); // newer than the jar
        Run stale = nativeClient(root, script, "cc", "-c", "x.c");
        assertThat(stale.stdout()).isEqualTo("script called: [1] cc -c x.c\n");

        Files.setLastModifiedTime(source, FileTime.fromMillis(built.toMillis() - 7_200_000)); // older than the jar
        Run current = nativeClient(root, script, "stats");
        assertThat(current.stdout()).as("handed to Java for a subcommand, no rebuild asked")
                .isEqualTo("script called: [] stats\n");
    }

    private Run nativeClient(Path root, Path script, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of("target", "cas-compile-client").toAbsolutePath()
                .toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile());
        builder.environment().putAll(cacheEnv());
        builder.environment().remove("CAS_STALE_CHECKED");
        builder.environment().put("CAS_SOURCE_ROOT", root.toString());
        builder.environment().put("CAS_JAVA_LAUNCHER", script.toString());
        return Launchers.await(builder.start());
    }

    /**
     * The worker JVM maps the class archive bin/cas-compile made for this build, where it was written: the worker's
     * command line names it and asks for no relocation, and a JVM with {@code -Xshare:on} (which refuses an archive
     * that does not match the jar) and those options accepts it.
     */
    @Test
    void theWorkerMapsTheClassArchiveMadeForThisBuild() throws Exception {
        Files.writeString(dir.resolve("a.c"), "int a(void) { return 1; }\n");
        Run compiled = casCompile(cacheEnv(), "cc", "-c", "a.c");
        assertThat(compiled.exit()).as(compiled.stderr()).isZero();
        Path jar = Path.of("target", "cas-compile.jar").toAbsolutePath();
        Path archive = jar.resolveSibling("cas-worker.jsa");
        assertThat(archive).isRegularFile();

        String worker = Files.readString(workerProcess().resolve("cmdline")).replace('\0', ' ');
        Matcher flag = Pattern.compile("-XX:SharedArchiveFile=(\\S+)").matcher(worker);
        assertThat(flag.find()).as(worker).isTrue();
        assertThat(Path.of(flag.group(1)).toRealPath()).isEqualTo(archive.toRealPath());
        assertThat(worker).contains("-XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0");

        Process java = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xshare:on", "-XX:SharedArchiveFile=" + archive, "-XX:+UnlockDiagnosticVMOptions",
                "-XX:ArchiveRelocationMode=0", "-cp", jar.toString(), "-version")
                .redirectErrorStream(true).start();
        Run check = Launchers.await(java);
        assertThat(check.exit()).as(check.stdout()).isZero();
    }

    /**
     * A worker for a new cache starts without RocksDB's start-up costs: it is told which C library it runs on, the
     * answer RocksDB's own check gives (`ldd /usr/bin/env`, four processes at every open, which the variable spares),
     * and it loads RocksDB's library from beside the jar rather than extracting 15 MB into the new cache.
     */
    @Test
    void aNewCachesWorkerNeitherAsksLddNorCopiesItsNativeLibraries() throws Exception {
        Files.writeString(dir.resolve("a.c"), "int a(void) { return 1; }\n");
        Run compiled = casCompile(cacheEnv(), "cc", "-c", "a.c");
        assertThat(compiled.exit()).as(compiled.stderr()).isZero();
        Path worker = workerProcess();
        List<String> environment = List.of(Files.readString(worker.resolve("environ")).split("\0"));
        Process ldd = new ProcessBuilder("/usr/bin/env", "sh", "-c", "ldd /usr/bin/env | grep -q musl").start();
        boolean musl = Launchers.await(ldd).exit() == 0;
        assertThat(environment).contains("ROCKSDB_MUSL_LIBC=" + musl);

        Path besideTheJar = Path.of("target", "native").toAbsolutePath();
        assertThat(Files.readAllLines(worker.resolve("maps")))
                .anyMatch(line -> line.contains(besideTheJar + "/") && line.contains("rocksdb"));
        assertThat(dir.resolve("cache").resolve("native")).doesNotExist();
        // the native SHA-256 (loaded in the background) from its copy beside the jar too, not from a new one in /tmp
        List<String> maps = List.of();
        for (long until = System.nanoTime() + 10_000_000_000L; System.nanoTime() < until; Thread.sleep(50)) {
            maps = Files.readAllLines(worker.resolve("maps"));
            if (maps.stream().anyMatch(line -> line.contains("amazonCorrettoCryptoProvider"))) {
                break;
            }
        }
        assertThat(maps.stream().filter(line -> line.contains("amazonCorrettoCryptoProvider")))
                .isNotEmpty().allMatch(line -> line.contains(besideTheJar + "/aws-lc-"));
    }

    /** The /proc directory of this test's worker. */
    private Path workerProcess() throws IOException {
        try (var processes = Files.list(Path.of("/proc"))) {
            for (Path process : processes.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String command = Files.readString(process.resolve("cmdline")).replace('\0', ' ');
                    if (command.contains(WorkerDaemon.class.getName() + " " + dir.resolve("cache"))) {
                        return process;
                    }
                } catch (IOException gone) {
                    // a process that ended meanwhile
                }
            }
        }
        throw new AssertionError("no worker for " + dir.resolve("cache"));
    }

    @Test
    void explainTellsWhatTheLastBuildCompiled() throws Exception {
        Files.writeString(dir.resolve("lib.c"), "int f(int x) { return x * 2; }\nint g(int x) { return x + 2; }\n");
        Map<String, String> env = new HashMap<>(cacheEnv());
        env.put("CAS_PER_FUNCTION", "1");
        assertThat(casCompile(env, "cc", "-O2", "-c", "lib.c").exit()).isZero();
        Run explained = casCompile(env, "explain", "lib.c");
        assertThat(explained.exit()).as(explained.stderr()).isZero();
        assertThat(explained.stdout()).startsWith("lib.c: translation unit miss: per-function build")
                .contains("new (no earlier per-function build of this unit): 3");

        Run unknown = casCompile(env, "explain", "never-built.c");
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.stderr()).contains("no build of 'never-built.c' is recorded");
    }

    @Test
    void aBrokenCacheNeverFailsTheBuild() throws Exception {
        Files.writeString(dir.resolve("main.c"), "#include <stdio.h>\nint main(void) { puts(\"built\"); }\n");
        Files.writeString(dir.resolve("not-a-directory"), "a file where the cache directory should be");
        Map<String, String> env = Map.of("CAS_CACHE_DIR", dir.resolve("not-a-directory/cache").toString());
        Run run = casCompile(env, "cc", "-o", "prog", "main.c");
        assertThat(run.exit()).as(run.stderr()).isZero();
        assertThat(run.stderr()).contains("cache unavailable").contains("compiling without it");
        Process program = new ProcessBuilder(dir.resolve("prog").toString()).start();
        assertThat(new String(program.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("built\n");
    }

    @Test
    void exitStatusAndDiagnosticsComeThrough() throws Exception {
        Files.writeString(dir.resolve("bad.c"), "int f(void) { return undeclared; }\n");
        Run run = casCompile(cacheEnv(), "cc", "-c", "bad.c");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.stderr()).contains("bad.c:1:22: error: use of undeclared identifier 'undeclared'");
    }
}
