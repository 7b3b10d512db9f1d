package dev.cas.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cas.worker.cache.Stat;
import dev.cas.worker.clang.DirectClang;
import dev.cas.worker.clang.ProcessRunner;
import dev.cas.worker.clang.Toolchain;
import dev.cas.worker.command.BuildContext;
import dev.cas.worker.testing.TestCorpora;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A real worker (bundled clang, in-process LLVM, RocksDB) over a cache in a temp directory, plus the plain bundled
 * clang to compare against, and a way to run what they built.
 */
final class WorkerFixture implements AutoCloseable {
    final Path cacheDirectory;
    final Worker worker;
    final Toolchain toolchain = Toolchain.load();
    /** The environment the commands run with; tests add switches such as CAS_PER_FUNCTION. */
    final Map<String, String> environment = new HashMap<>(System.getenv());

    WorkerFixture(Path cacheDirectory) {
        this.cacheDirectory = cacheDirectory;
        this.worker = Worker.open(cacheDirectory, 5L << 30);
        // every per-function object a test builds is checked against the whole unit's symbol table
        environment.put("CAS_VERIFY", "1");
    }

    WorkerResponse cas(Path cwd, String compiler, String... args) {
        afterTheLastWrite();
        return worker.compile(compiler, Arrays.asList(args), new BuildContext(cwd, environment));
    }

    /**
     * A unit that read a file written within 10 ms of its compile's start (FileHashes.FINE_STAMP_LAG_MILLIS: time
     * stamps come from the kernel's coarse clock) is not recorded, as ccache's "include file too new". Tests write
     * files and compile at once, and then expect the next build to hit: each compile here starts that long after.
     */
    private static void afterTheLastWrite() {
        try {
            Thread.sleep(15);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Like {@link #cas} but the command must succeed. */
    WorkerResponse casOk(Path cwd, String compiler, String... args) {
        WorkerResponse response = cas(cwd, compiler, args);
        assertThat(response.exitCode()).as("cas-compile %s %s failed:%n%s", compiler, List.of(args),
                new String(response.stderr(), StandardCharsets.UTF_8)).isZero();
        return response;
    }

    /** The same command through the plain bundled clang, no cache. */
    void clangOk(Path cwd, String compiler, String... args) {
        ProcessRunner.Result result = ProcessRunner.run(DirectClang.command(toolchain, compiler, List.of(args)), cwd,
                System.getenv());
        assertThat(result.exitCode()).as("clang failed:%n%s", new String(result.stderr(), StandardCharsets.UTF_8))
                .isZero();
    }

    /** The plain clang build's output on the SQLite workload, by optimisation level: built once per test JVM. */
    private static final Map<String, String> SQLITE_WORKLOAD_BY_CLANG = new HashMap<>();

    /**
     * What SQLite's shell built by the plain bundled clang at {@code opt} ({@code -DSQLITE_THREADSAFE=0
     * -DSQLITE_OMIT_LOAD_EXTENSION}) prints for the corpus workload: the answer every SQLite build through cas is
     * compared with. The tests that need it share one build per level (each takes ~30 s at -O2).
     */
    static synchronized String sqliteWorkloadByClang(String opt) throws IOException, InterruptedException {
        String known = SQLITE_WORKLOAD_BY_CLANG.get(opt);
        if (known != null) {
            return known;
        }
        Path corpus = TestCorpora.sqlite();
        Path dir = Files.createTempDirectory("sqlite-clang");
        Path program = dir.resolve("sqlite-clang" + opt);
        ProcessRunner.Result result = ProcessRunner.run(DirectClang.command(Toolchain.load(), "cc", List.of(opt,
                "-DSQLITE_THREADSAFE=0", "-DSQLITE_OMIT_LOAD_EXTENSION", "-o", program.toString(),
                corpus.resolve("shell.c").toString(), corpus.resolve("sqlite3.c").toString(), "-lm")), dir,
                System.getenv());
        assertThat(result.exitCode()).as("clang failed:%n%s", new String(result.stderr(), StandardCharsets.UTF_8))
                .isZero();
        String output = run(program, corpus.resolve("workload.sql"), ":memory:");
        assertThat(output).isNotBlank();
        Files.delete(program);
        Files.delete(dir);
        SQLITE_WORKLOAD_BY_CLANG.put(opt, output);
        return output;
    }

    long stat(Stat stat) {
        return worker.stats().get(stat.key());
    }

    /** Runs a built program with {@code stdin} as its input and returns its standard output. */
    static String run(Path program, Path stdin, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(program.toString()));
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        if (stdin != null) {
            builder.redirectInput(stdin.toFile());
        }
        Process process = builder.start();
        byte[] out = process.getInputStream().readAllBytes();
        assertThat(process.waitFor(2, TimeUnit.MINUTES)).isTrue();
        assertThat(process.exitValue()).as("%s exited with %d:%n%s", program, process.exitValue(),
                new String(out, StandardCharsets.UTF_8)).isZero();
        return new String(out, StandardCharsets.UTF_8);
    }

    /**
     * Waits until {@code done} holds or {@code limit} passes, whichever comes first; the caller asserts what it waited
     * for (a background job of the worker: a split when idle, a memory release).
     */
    static void waitUntil(BooleanSupplier done, Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
    }

    static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    Map<String, Long> stats() {
        return worker.stats();
    }

    /** Closes the worker; a test whose per-function build had to fall back to a whole unit fails here. */
    @Override
    public void close() {
        try {
            assertThat(stat(Stat.FUNCTION_SPLIT_FAILURES)).as("per-function builds that failed and fell back "
                    + "(see the worker's log for the report)").isZero();
        } finally {
            worker.close();
        }
    }
}
