package dev.cas.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cas.client.Launchers.Run;
import dev.cas.worker.remote.RemoteCache;
import dev.cas.worker.remote.RemoteSettings;
import dev.cas.worker.testing.TestCorpora;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * cas-compile sharing results through cas-server, all real processes: the server from its packaged jar on loopback,
 * and "machines" that each have their own cache directory, worker daemon and checkout path. What one machine compiled
 * another reuses, down to single functions after an edit; a read-only token reads but never uploads.
 */
class RemoteCacheIT {
    private static final String WRITER = "ci-writer-secret-0123456789";
    private static final String READER = "laptop-reader-secret-0123456789";
    private static final String[] SQLITE_FILES = {"sqlite3.c", "sqlite3.h", "shell.c", "sqlite3ext.h"};
    private static final String[] SQLITE_BUILD = {"cc", "-O2", "-DSQLITE_THREADSAFE=0", "-DSQLITE_OMIT_LOAD_EXTENSION",
        "-o", "sqlite3", "shell.c", "sqlite3.c", "-lm"};

    @TempDir
    static Path serverDir;
    private static Process server;
    private static int port;

    @TempDir
    Path dir;
    private final List<Machine> machines = new ArrayList<>();

    /** One developer's or CI runner's view: a cache directory, a checkout path and the environment of its builds. */
    record Machine(Path cache, Path checkout, Map<String, String> env) {
        Run ok(String... args) throws Exception {
            return Launchers.ok(checkout, env, args);
        }

        Map<String, Long> stats() throws Exception {
            Map<String, Long> stats = new HashMap<>();
            Matcher field = Pattern.compile("\"([^\"]+)\": (\\d+)")
                    .matcher(Launchers.ok(checkout, env, "stats", "--json").stdout());
            while (field.find()) {
                stats.put(field.group(1), Long.parseLong(field.group(2)));
            }
            return stats;
        }

        /** Stops the worker, which first sends the uploads it still holds. */
        void stop() throws Exception {
            Launchers.ok(checkout, env, "stop");
        }
    }

    @BeforeAll
    static void startServer() throws Exception {
        String jar = System.getProperty("cas.server.jar");
        assertThat(jar).as("failsafe passes cas-server's packaged jar").isNotNull();
        assertThat(Path.of(jar)).as("cas-server is packaged before the client's tests").isRegularFile();
        port = freePort();
        server = new ProcessBuilder(Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-jar", jar, "--cas.storage.path=" + serverDir.resolve("db"), "--cas.grpc.port=" + port,
                "--server.port=0",
                "--cas.auth.tokens[0].name=ci", "--cas.auth.tokens[0].secret=" + WRITER,
                "--cas.auth.tokens[0].scope=read-write",
                "--cas.auth.tokens[1].name=laptop", "--cas.auth.tokens[1].secret=" + READER,
                "--cas.auth.tokens[1].scope=read-only")
                .redirectErrorStream(true).redirectOutput(serverDir.resolve("server.log").toFile()).start();
        awaitServer();
    }

    @AfterAll
    static void stopServer() throws Exception {
        if (server != null) {
            server.destroy();
            server.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @AfterEach
    void stopWorkers() throws Exception {
        for (Machine machine : machines) {
            Launchers.run(machine.checkout(), machine.env(), "stop");
        }
    }

    @Test
    void aSecondMachineBuildsSqliteFromTheFirstMachinesResultsAndAfterAnEditCompilesOnlyTheEditedFunction()
            throws Exception {
        Machine a = machine("a", "home/alice/src/sqlite", WRITER);
        copySqlite(a.checkout());
        a.ok(SQLITE_BUILD);
        Path workload = TestCorpora.sqlite().resolve("workload.sql");
        String expected = Launchers.output(a.checkout().resolve("sqlite3"), workload, ":memory:");
        assertThat(expected).isNotBlank();
        a.stop();
        Map<String, Long> aStats = a.stats();
        assertThat(aStats.get("remote.uploads")).as("results A uploaded").isGreaterThan(1000);
        assertThat(aStats.get("remote.uploads.dropped")).isZero();

        // B: another cache, another absolute path, the server named in a settings file instead of the environment
        Path config = dir.resolve("b-config.properties");
        Files.writeString(config, "remote = grpc://127.0.0.1:" + port + "\ntoken = " + WRITER + "\n");
        Machine b = machine("b", "builds/ci/workspace/checkout-2/sqlite", null);
        b.env().put("CAS_CONFIG", config.toString());
        copySqlite(b.checkout());
        Run built = b.ok(SQLITE_BUILD);
        assertThat(built.stderr()).doesNotContain("warning");
        Map<String, Long> bStats = b.stats();
        assertThat(bStats.get("unit.remote.hits")).as("units B took from the server").isEqualTo(2);
        assertThat(bStats.get("unit.direct.shared.hits")).as("found by A's shared records, without preprocessing")
                .isEqualTo(2);
        assertThat(bStats.get("unit.misses")).isZero();
        assertThat(bStats.get("objects.compiled")).as("B compiled nothing").isZero();
        assertThat(Launchers.output(b.checkout().resolve("sqlite3"), workload, ":memory:")).isEqualTo(expected);

        Path source = b.checkout().resolve("sqlite3.c");
        String text = Files.readString(source);
        int edit = text.indexOf("k = 20;", text.indexOf("static void whereLoopOutputAdjust("));
        Files.writeString(source, text.substring(0, edit) + "k = 21;" + text.substring(edit + 7));
        b.ok(SQLITE_BUILD);
        Map<String, Long> edited = b.stats();
        assertThat(edited.get("function.misses")).as("pieces B compiled after the edit").isEqualTo(1);
        assertThat(edited.get("function.remote.hits")).as("pieces B took from the server").isGreaterThan(1000);
        assertThat(Launchers.output(b.checkout().resolve("sqlite3"), workload, ":memory:")).isEqualTo(expected);
    }

    @Test
    void aSharedDirectModeRecordServesAnotherCheckoutOnlyWhenEveryFileItListsIsTheSameThere() throws Exception {
        String main = """
                #include <stdio.h>
                #include "config.h"
                #ifndef EXTRA
                #define EXTRA 0
                #endif
                int main(void) { printf("%d\\n", ANSWER + EXTRA); }
                """;
        String[] build = {"cc", "-O2", "-Iinclude", "-o", "prog", "main.c"};
        Machine a = machine("shared-a", "alice/project", WRITER);
        checkout(a, main, "#define ANSWER 42\n");
        a.ok(build);
        a.stop();

        Machine same = machine("shared-same", "ci/runner-7/project", WRITER);
        checkout(same, main, "#define ANSWER 42\n");
        same.ok(build);
        Map<String, Long> sameStats = same.stats();
        assertThat(sameStats.get("unit.direct.shared.hits")).as("A's record, at another path").isEqualTo(1);
        assertThat(sameStats.get("objects.compiled")).isZero();
        assertThat(Launchers.output(same.checkout().resolve("prog"), null)).isEqualTo("42\n");

        // the same command and source, but a header found through -Iinclude differs here: A's record must not serve
        Machine changed = machine("shared-changed", "bob/project", WRITER);
        checkout(changed, main, "#define ANSWER 43\n");
        changed.ok(build);
        Map<String, Long> changedStats = changed.stats();
        assertThat(changedStats.get("unit.direct.shared.hits")).isZero();
        assertThat(changedStats.get("unit.misses")).isEqualTo(1);
        assertThat(Launchers.output(changed.checkout().resolve("prog"), null)).isEqualTo("43\n");
        changed.stop();

        // bob's record joined A's under the command's key rather than replacing it: A's state still finds its own
        Machine again = machine("shared-again", "erin/project", WRITER);
        checkout(again, main, "#define ANSWER 42\n");
        again.ok(build);
        assertThat(again.stats().get("unit.direct.shared.hits")).as("A's record, beside bob's").isEqualTo(1);
        assertThat(Launchers.output(again.checkout().resolve("prog"), null)).isEqualTo("42\n");

        // a changed -D is another command: no record of A's applies
        Machine defined = machine("shared-defined", "carol/project", WRITER);
        checkout(defined, main, "#define ANSWER 42\n");
        defined.ok("cc", "-O2", "-DEXTRA=100", "-Iinclude", "-o", "prog", "main.c");
        assertThat(defined.stats().get("unit.direct.shared.hits")).isZero();
        assertThat(Launchers.output(defined.checkout().resolve("prog"), null)).isEqualTo("142\n");

        // with -g the object records its directory: a record made at one path serves no other
        String[] debugBuild = {"cc", "-O2", "-g", "-Iinclude", "-o", "prog", "main.c"};
        Machine debugA = machine("shared-debug-a", "alice/project", WRITER);
        checkout(debugA, main, "#define ANSWER 42\n");
        debugA.ok(debugBuild);
        debugA.stop();
        Machine debugB = machine("shared-debug-b", "dave/project", WRITER);
        checkout(debugB, main, "#define ANSWER 42\n");
        debugB.ok(debugBuild);
        assertThat(debugB.stats().get("unit.direct.shared.hits")).isZero();
        assertThat(debugB.stats().get("unit.remote.hits")).as("nor does its unit").isZero();
    }

    private static void checkout(Machine machine, String main, String config) throws Exception {
        Files.writeString(machine.checkout().resolve("main.c"), main);
        Files.createDirectories(machine.checkout().resolve("include"));
        Files.writeString(machine.checkout().resolve("include/config.h"), config);
    }

    @Test
    void aReadOnlyTokenUsesTheServersResultsButUploadsNothing() throws Exception {
        String program = "#include <stdio.h>\nint main(void) { puts(\"read-only %s\"); return 0; }\n";
        Machine laptop = machine("laptop", "laptop/src", READER);
        Files.writeString(laptop.checkout().resolve("main.c"), program.formatted("first"));
        laptop.ok("cc", "-O2", "-o", "prog", "main.c");
        laptop.stop();
        Map<String, Long> laptopStats = laptop.stats();
        assertThat(laptopStats.get("remote.uploads")).isZero();
        assertThat(laptopStats.get("remote.uploads.dropped")).isPositive();

        Machine ci = machine("ci", "ci/src", WRITER);
        Files.writeString(ci.checkout().resolve("main.c"), program.formatted("first"));
        ci.ok("cc", "-O2", "-o", "prog", "main.c");
        assertThat(ci.stats().get("unit.remote.hits")).as("the read-only machine uploaded nothing").isZero();
        ci.stop();

        Machine second = machine("laptop2", "laptop2/src", READER);
        Files.writeString(second.checkout().resolve("main.c"), program.formatted("first"));
        second.ok("cc", "-O2", "-o", "prog", "main.c");
        assertThat(second.stats().get("unit.remote.hits")).as("read-only reads what CI wrote").isEqualTo(1);
        assertThat(Launchers.output(second.checkout().resolve("prog"), null)).isEqualTo("read-only first\n");
    }

    @Test
    void aServerThatRefusesTheTokenIsOneWarningAndTheBuildRunsLocally() throws Exception {
        Machine machine = machine("stranger", "s/src", "not-a-token-of-this-server");
        Files.writeString(machine.checkout().resolve("main.c"), "int main(void) { return 3; }\n");
        Run run = machine.ok("cc", "-o", "prog", "main.c");
        assertThat(run.stderr().lines().toList()).singleElement().asString()
                .startsWith("cas-compile: warning: remote cache grpc://127.0.0.1:" + port + " unavailable")
                .contains("UNAUTHENTICATED");
        Process program = new ProcessBuilder(machine.checkout().resolve("prog").toString()).start();
        assertThat(program.waitFor()).isEqualTo(3);
    }

    @Test
    void aRemoteSetToSomethingThatIsNotAServerIsAWarningAndTheBuildRunsLocally() throws Exception {
        Machine machine = machine("misconfigured", "m/src", WRITER);
        machine.env().put("CAS_REMOTE", "http://127.0.0.1:" + port);
        Files.writeString(machine.checkout().resolve("main.c"), "int main(void) { return 0; }\n");
        Run run = machine.ok("cc", "-o", "prog", "main.c");
        assertThat(run.stderr()).contains("cas-compile: warning: remote cache not used: CAS_REMOTE must look like "
                + "grpc://host:port");
        assertThat(machine.checkout().resolve("prog")).isExecutable();
    }

    private Machine machine(String name, String checkout, String token) throws Exception {
        Path path = dir.resolve(name).resolve(checkout);
        Files.createDirectories(path);
        Map<String, String> env = new HashMap<>();
        env.put("CAS_CACHE_DIR", dir.resolve(name).resolve("cache").toString());
        env.put("CAS_WORKER_IDLE_SECONDS", "120");
        env.put("XDG_CONFIG_HOME", dir.resolve(name).resolve("config").toString());
        if (token != null) {
            env.put("CAS_REMOTE", "grpc://127.0.0.1:" + port);
            env.put("CAS_TOKEN", token);
        }
        Machine machine = new Machine(dir.resolve(name).resolve("cache"), path, env);
        machines.add(machine);
        return machine;
    }

    private static void copySqlite(Path checkout) throws Exception {
        for (String file : SQLITE_FILES) {
            Files.copy(TestCorpora.sqlite().resolve(file), checkout.resolve(file));
        }
    }

    private static void awaitServer() throws Exception {
        RemoteSettings settings = RemoteSettings.fromEnvironment(Map.of("CAS_REMOTE", "grpc://127.0.0.1:" + port,
                "CAS_TOKEN", READER, "CAS_REMOTE_CONNECT_TIMEOUT_MS", "2000")).orElseThrow();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        try (RemoteCache probe = new RemoteCache(settings)) {
            while (true) {
                try {
                    probe.ensureReachable();
                    return;
                } catch (RuntimeException e) {
                    assertThat(server.isAlive()).as("cas-server exited; see " + serverDir.resolve("server.log"))
                            .isTrue();
                    if (System.nanoTime() > deadline) {
                        throw new AssertionError("cas-server did not come up", e);
                    }
                    TimeUnit.MILLISECONDS.sleep(200);
                }
            }
        }
    }

    static int freePort() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
