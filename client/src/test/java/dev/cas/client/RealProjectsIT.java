package dev.cas.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cas.worker.testing.TestCorpora;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Real open-source projects no one here wrote (testdata/real), built with their own build systems and
 * {@code bin/cas-compile} as the compiler launcher, then tested with their own tests. cJSON, yaml-cpp and fmt (CMake,
 * {@code ctest}): Release with every optimised unit split ({@code CAS_PER_FUNCTION=1}) and, but for fmt, checked
 * against the whole unit ({@code CAS_VERIFY=1}), a no-change rebuild (all hits), a one-function edit in a library
 * source (one unit misses; compiled again are that function's piece and those importing it), then later configurations,
 * each built clean and tested: cJSON Release with the default policy, then RelWithDebInfo and Debug, both checked;
 * yaml-cpp RelWithDebInfo with the default policy as users run it, unchecked, and Debug, checked; fmt, the heaviest,
 * the first configuration only, unchecked. Left out to keep the suite's time: yaml-cpp's Release with the default
 * policy (211 s, the front end run again on every unit to find the pieces already built and checked), the check of its
 * RelWithDebInfo (423 s against 130 unchecked in CI, every unit split and built whole as well;
 * {@code DebugInfoPiecesIT} checks the pieces of a real C++ unit with debug info, fmt's format.cc, by symbol table and
 * under gdb) and of fmt's split Release (373 s against 280 unchecked). zstd (its Makefiles): the same steps with its
 * own flags, {@code make check}'s script on the split build, a round trip of 20 MB on each later configuration. No
 * per-function build may fall back to a whole one.
 *
 * <p>First of the module's classes ({@code @Order}, see the module's pom): it times nothing, so the image's container
 * tests, which {@code bin/test} runs beside this module, may slow it but not fail it.
 */
@Order(1)
class RealProjectsIT {
    private static final Path LAUNCHER = Path.of("..").toAbsolutePath().normalize().resolve("bin/cas-compile");
    private static final Pattern COUNTER = Pattern.compile("\"([a-z.]+)\": (\\d+)");
    /** A first build's switches: every optimised unit split, and checked against the whole unit. */
    private static final Map<String, String> SPLIT_AND_CHECKED = Map.of("CAS_PER_FUNCTION", "1", "CAS_VERIFY", "1");
    /** The same, unchecked. */
    private static final Map<String, String> SPLIT = Map.of("CAS_PER_FUNCTION", "1");

    /**
     * A project, its CMake options for building its tests, a one-function edit in a library source (a compiler
     * barrier after the given start of the function: the code changes, the behaviour does not), the switches of its
     * first build ({@link #SPLIT_AND_CHECKED} or {@link #SPLIT}), and the configurations built after it.
     */
    enum Project {
        CJSON("cJSON-1.7.19", List.of("-DENABLE_CJSON_TEST=ON"), "cJSON.c",
                "CJSON_PUBLIC(void) cJSON_Delete(cJSON *item)\n{\n    cJSON *next = NULL;\n", // C89: after it
                SPLIT_AND_CHECKED, Configuration.RELEASE, Configuration.REL_WITH_DEB_INFO_CHECKED,
                Configuration.DEBUG_CHECKED),
        YAML_CPP("yaml-cpp-0.9.0", List.of("-DYAML_CPP_BUILD_TESTS=ON"), "src/node.cpp",
                "Node Clone(const Node& node) {\n", SPLIT_AND_CHECKED, Configuration.REL_WITH_DEB_INFO,
                Configuration.DEBUG_CHECKED),
        /**
         * The heaviest (36 units, 36,195 pieces): Release with every unit split, unchecked (280 s here against 373 s
         * checked), linked and tested by its 21 tests; the first configuration only.
         */
        FMT("fmt-12.2.0", List.of("-DFMT_TEST=ON", "-DFMT_DOC=OFF"), "src/os.cc",
                "auto getpagesize() -> long {\n", SPLIT);

        final String directory;
        final List<String> options;
        final String editedSource;
        final String editedFunctionStart;
        final Map<String, String> firstBuild;
        final List<Configuration> laterConfigurations;

        Project(String directory, List<String> options, String editedSource, String editedFunctionStart,
                Map<String, String> firstBuild, Configuration... laterConfigurations) {
            this.directory = directory;
            this.options = options;
            this.editedSource = editedSource;
            this.editedFunctionStart = editedFunctionStart;
            this.firstBuild = firstBuild;
            this.laterConfigurations = List.of(laterConfigurations);
        }
    }

    /**
     * A configuration built clean and tested after the first one, with the default policy; checked ones compare every
     * split unit with its whole build ({@code CAS_VERIFY=1}). Release is not checked: it splits the same units (IR of
     * 64 KiB and more) into the same pieces as the first configuration, whose merged objects were checked there.
     */
    enum Configuration {
        RELEASE("Release", Map.of()),
        REL_WITH_DEB_INFO("RelWithDebInfo", Map.of()),
        REL_WITH_DEB_INFO_CHECKED("RelWithDebInfo", Map.of("CAS_VERIFY", "1")),
        DEBUG_CHECKED("Debug", Map.of("CAS_VERIFY", "1"));

        final String buildType;
        final Map<String, String> environment;

        Configuration(String buildType, Map<String, String> environment) {
            this.buildType = buildType;
            this.environment = environment;
        }
    }

    @TempDir
    Path dir;

    private Map<String, String> env(Map<String, String> extra) {
        Map<String, String> env = new HashMap<>(Map.of("CAS_CACHE_DIR", dir.resolve("cache").toString(),
                "CAS_WORKER_IDLE_SECONDS", "120"));
        env.putAll(extra);
        return env;
    }

    private String run(Path cwd, Map<String, String> env, String... command) throws IOException, InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(cwd.toFile()).redirectErrorStream(true);
        builder.environment().remove("CAS_PER_FUNCTION");
        builder.environment().remove("CAS_VERIFY");
        builder.environment().putAll(env);
        long start = System.nanoTime();
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(30, TimeUnit.MINUTES)).isTrue();
        System.out.printf("%6.1f s  %s (in %s)%n", (System.nanoTime() - start) / 1e9, String.join(" ", command),
                dir.relativize(cwd));
        assertThat(process.exitValue()).as("%s failed:%n%s", List.of(command), tail(output)).isZero();
        return output;
    }

    private Map<String, Long> stats() throws Exception {
        String json = run(dir, env(Map.of()), LAUNCHER.toString(), "stats", "--json");
        Map<String, Long> stats = new HashMap<>();
        Matcher matcher = COUNTER.matcher(json);
        while (matcher.find()) {
            stats.put(matcher.group(1), Long.parseLong(matcher.group(2)));
        }
        return stats;
    }

    /** Counter changes between two {@link #stats()} readings. */
    private static long delta(Map<String, Long> before, Map<String, Long> after, String counter) {
        return after.getOrDefault(counter, 0L) - before.getOrDefault(counter, 0L);
    }

    /**
     * Starts the worker and waits for it, before a cold build: a command that compiles and links in one go (zstd's
     * Makefile tests for pthread, zlib, lzma that way) runs on clang directly, uncached, while the worker starts, so
     * how many of them the cache saw would depend on the start's timing, and a no-change rebuild compiles those it
     * did not. LauncherIT covers builds that start the worker themselves.
     */
    private void startWorker() throws Exception {
        stats();
    }

    @AfterEach
    void stopWorker() throws Exception {
        run(dir, env(Map.of()), LAUNCHER.toString(), "stop");
    }

    @ParameterizedTest
    @EnumSource(Project.class)
    void buildsAndPassesItsOwnTests(Project project) throws Exception {
        Path source = dir.resolve(project.directory);
        copyTree(TestCorpora.realProject(project.directory), source);
        Map<String, String> splitAll = env(project.firstBuild);

        startWorker();
        Path release = configureBuildAndTest(source, "Release", splitAll);
        Map<String, Long> cold = stats();
        assertThat(cold.get("function.misses")).as("pieces compiled").isPositive();
        assertThat(cold.get("function.fallbacks")).as("units that could not be split").isZero();

        run(release, splitAll, "make", "clean");
        run(release, splitAll, "make", "-j2");
        Map<String, Long> rebuilt = stats();
        assertThat(delta(cold, rebuilt, "unit.misses")).as("misses in a no-change rebuild").isZero();
        assertThat(delta(cold, rebuilt, "unit.hits")).as("every compile of the cold build (some units are "
                + "compiled twice, by two targets) hits").isEqualTo(cold.get("unit.misses") + cold.get("unit.hits"));

        Path edited = source.resolve(project.editedSource);
        insertBarrier(edited, project.editedFunctionStart);
        run(release, splitAll, "make", "-j2");
        Map<String, Long> afterEdit = stats();
        // missed: only units that read the edited file, as their dependency files list them (cJSON's tests
        // #include cJSON.c; fmt compiles os.cc into its library and several tests, some alike, which then hit)
        List<Path> readers = unitsReading(release, edited);
        assertThat(delta(rebuilt, afterEdit, "unit.misses")).as("units missed after a one-function edit (%d read "
                + "the edited file)", readers.size()).isBetween(1L, (long) readers.size());
        // compiled again in those units: the edited function's piece and the pieces that import its body for
        // inlining, nothing else (explain names each compiled piece with its reason). explain keeps the last build
        // of each source, so sources built into several targets with other options (fmt's os.cc) are left out.
        assertOnlyTheEditedFunctionCompiled(readers.stream()
                .filter(unit -> Collections.frequency(readers, unit) == 1).toList());
        assertThat(delta(rebuilt, afterEdit, "function.misses")).isPositive();
        ctest(release);

        for (Configuration configuration : project.laterConfigurations) {
            configureBuildAndTest(source, configuration.buildType, env(configuration.environment));
        }
        assertThat(stats().get("function.fallbacks.failed")).as("per-function builds that fell back").isZero();
        assertThat(stats().get("failed.compiles")).isZero();
    }

    /**
     * Zstandard with its own Makefiles (~45 C units; the corpus builds it that way, with {@code make check}, its CLI
     * round trips, as its tests): the CLI at -O3 with every unit split and checked, a no-change rebuild (all hits),
     * a one-function edit in the library (only that unit misses; compiled again are the edited function's piece and
     * those importing it), {@code make check}'s tests on the edited build; then the default policy at -O3, -O2 -g
     * (RelWithDebInfo's flags) and -O0 -g (Debug's), each built clean and round-tripped (20 MB compressed and back).
     */
    @org.junit.jupiter.api.Test
    void zstdBuildsWithItsMakefilesAndPassesMakeCheck() throws Exception {
        Path source = dir.resolve("zstd-1.5.6");
        copyTree(TestCorpora.realProject("zstd-1.5.6"), source);
        Map<String, String> splitAll = env(SPLIT_AND_CHECKED);
        String cc = "CC=" + LAUNCHER + " cc";
        startWorker();
        run(source, splitAll, "make", "-j2", "-C", "programs", "zstd", cc);
        Map<String, Long> cold = stats();
        assertThat(cold.get("function.misses")).as("pieces compiled").isPositive();

        run(source, splitAll, "make", "-C", "programs", "clean");
        run(source, splitAll, "make", "-j2", "-C", "programs", "zstd", cc);
        Map<String, Long> rebuilt = stats();
        assertThat(delta(cold, rebuilt, "unit.misses")).as("misses in a no-change rebuild").isZero();
        assertThat(delta(cold, rebuilt, "unit.hits")).as("hits in a no-change rebuild")
                .isEqualTo(cold.get("unit.misses") + cold.getOrDefault("unit.hits", 0L));

        Path edited = source.resolve("lib/compress/zstd_compress.c");
        insertBarrier(edited, "size_t ZSTD_compressBound(size_t srcSize) {\n");
        run(source, splitAll, "make", "-j2", "-C", "programs", "zstd", cc);
        Map<String, Long> afterEdit = stats();
        assertThat(delta(rebuilt, afterEdit, "unit.misses")).as("units missed after a one-function edit").isOne();
        assertOnlyTheEditedFunctionCompiled(List.of(edited));
        run(source, splitAll, "make", "-C", "tests", "datagen", cc);
        playTests(source);

        Map<String, String> defaults = env(Map.of());
        for (String flags : List.of("-O3", "-O2 -g -DNDEBUG", "-O0 -g")) {
            run(source, defaults, "make", "-C", "programs", "clean");
            run(source, defaults, "make", "-j2", "-C", "programs", "zstd", cc, "CFLAGS=" + flags);
            // playTests.sh took 41-55 s a run in CI; with the default policy make -j2 builds most units whole
            // (clang's own objects at -O0), so a round trip of 20 MB shows the CLI works
            roundTrip(source);
        }
        assertThat(stats().get("function.fallbacks.failed")).as("per-function builds that fell back").isZero();
        // no failed.compiles check here: zstd's Makefile probes for optional libraries (lz4, lzma, zlib) by compiling
        // programs that fail where their headers are missing, as they fail with plain clang; its tests passed
    }

    /**
     * zstd's {@code make check} on the CLI just built: the same script ({@code tests/playTests.sh} without its long
     * tests), run on {@code programs/zstd} itself. {@code make check} would first build another CLI, with its debug
     * flags added, and test that one instead.
     */
    private void playTests(Path source) throws Exception {
        run(source.resolve("tests"), env(Map.of("ZSTD_BIN", source.resolve("programs/zstd").toString(),
                "DATAGEN_BIN", "./datagen", "EXE_PREFIX", "")), "./playTests.sh");
    }

    /** 20 MB of datagen's data compressed and decompressed by the CLI just built: the same bytes come back. */
    private void roundTrip(Path source) throws Exception {
        Path tests = source.resolve("tests");
        Path zstd = source.resolve("programs/zstd");
        run(tests, env(Map.of()), "sh", "-c", "./datagen -g20MB > roundtrip.data");
        run(tests, env(Map.of()), zstd.toString(), "-q", "-f", "roundtrip.data", "-o", "roundtrip.zst");
        run(tests, env(Map.of()), zstd.toString(), "-q", "-f", "-d", "roundtrip.zst", "-o", "roundtrip.out");
        assertThat(tests.resolve("roundtrip.out")).hasSameBinaryContentAs(tests.resolve("roundtrip.data"));
    }

    /**
     * The one-function edit: a compiler barrier after the function's opening line (its code changes, not what it
     * does).
     */
    private static void insertBarrier(Path source, String functionStart) throws IOException {
        String text = Files.readString(source);
        assertThat(text).contains(functionStart);
        Files.writeString(source, text.replace(functionStart,
                functionStart + "    __asm__ __volatile__(\"\" ::: \"memory\");\n"));
    }

    /**
     * Compiled again in the given units (each built once in the last build): the edited function's piece and the
     * pieces that import its body for inlining, nothing else ({@code explain} names each compiled piece with its
     * reason). An empty list checks nothing.
     */
    private void assertOnlyTheEditedFunctionCompiled(List<Path> units) throws Exception {
        boolean editedFunctionCompiled = units.isEmpty();
        for (Path unit : units) {
            String explanation = run(dir, env(Map.of()), LAUNCHER.toString(), "explain", unit.toString());
            for (String reason : explanation.lines().filter(line -> line.matches("  \\S.*: \\d+")).toList()) {
                boolean edit = reason.equals("  body changed (or a declaration, type or constant it uses): 1");
                editedFunctionCompiled |= edit;
                assertThat(edit || reason.startsWith("  imported callee changed")).as(explanation).isTrue();
            }
        }
        assertThat(editedFunctionCompiled).as("the edited function was compiled again").isTrue();
    }

    /**
     * The source of each object in {@code build} whose unit read {@code file}, from the objects' .d files (a source
     * built into several targets appears once per object).
     */
    private static List<Path> unitsReading(Path build, Path file) throws IOException {
        Path wanted = file.toAbsolutePath().normalize();
        List<Path> readers = new ArrayList<>();
        try (var files = Files.walk(build)) {
            for (Path depfile : files.filter(f -> f.toString().endsWith(".o.d")).sorted().toList()) {
                List<Path> paths = new ArrayList<>();
                for (String token : Files.readString(depfile).split("[\\s\\\\]+")) {
                    if (!token.isEmpty() && !token.endsWith(":")) {
                        paths.add(build.resolve(token).normalize());
                    }
                }
                if (paths.contains(wanted)) {
                    readers.add(paths.get(0)); // the unit's own source comes first
                }
            }
        }
        return readers;
    }

    private Path configureBuildAndTest(Path source, String buildType, Map<String, String> env) throws Exception {
        Path build = dir.resolve("build-" + buildType + "-" + env.getOrDefault("CAS_PER_FUNCTION", "default"));
        Project project = projectOf(source);
        List<String> cmake = new ArrayList<>(List.of("cmake", "-S", source.toString(), "-B", build.toString(),
                "-DCMAKE_BUILD_TYPE=" + buildType, "-DCMAKE_C_COMPILER_LAUNCHER=" + LAUNCHER,
                "-DCMAKE_CXX_COMPILER_LAUNCHER=" + LAUNCHER));
        cmake.addAll(project.options);
        run(dir, env, cmake.toArray(String[]::new));
        run(build, env, "make", "-j2");
        ctest(build);
        return build;
    }

    private void ctest(Path build) throws Exception {
        String output = run(build, env(Map.of()), "ctest", "-j2", "--output-on-failure");
        assertThat(output).contains("100% tests passed");
    }

    private Project projectOf(Path source) {
        for (Project project : Project.values()) {
            if (source.getFileName().toString().equals(project.directory)) {
                return project;
            }
        }
        throw new IllegalArgumentException(source.toString());
    }

    private static String tail(String output) {
        return output.length() <= 20_000 ? output : "…" + output.substring(output.length() - 20_000);
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (var files = Files.walk(from)) {
            for (Path file : files.toList()) {
                Path target = to.resolve(from.relativize(file).toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target);
                }
            }
        }
    }
}
