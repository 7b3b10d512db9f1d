package dev.cas.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cas.worker.cache.Stat;
import dev.cas.worker.testing.TestCorpora;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Optimised builds through per-function pieces ({@code CAS_PER_FUNCTION=1}): every program behaves as clang's build
 * of it, and after an edit only the pieces that changed are compiled again.
 */
class PerFunctionIT {
    /** What real C throws at a splitter, in one program. */
    static final String PITFALLS = """
            #include <stdarg.h>
            #include <stdio.h>
            #include <string.h>
            __asm__(".globl cas_asm_answer\\n.type cas_asm_answer,@function\\ncas_asm_answer:\\n movl $42, %eax\\n ret\\n");
            int cas_asm_answer(void);
            static _Thread_local int tls_counter = 5;
            __attribute__((weak)) int weak_value(void) { return 7; }
            static int hidden_impl(int x) { return x * 3; }
            int aliased(int x) __attribute__((alias("hidden_impl_public")));
            int hidden_impl_public(int x) { return hidden_impl(x) + 1; }
            static const int table[] = {2, 3, 5, 7, 11, 13};
            static int (*const ops[])(int) = {hidden_impl, hidden_impl_public};
            static int ctor_ran;
            __attribute__((constructor)) static void init(void) { ctor_ran = 1; }
            __attribute__((destructor)) static void fini(void) { printf("bye\\n"); }
            static int sum(int n, ...) {
                va_list ap;
                va_start(ap, n);
                int total = 0;
                for (int i = 0; i < n; i++) total += va_arg(ap, int);
                va_end(ap);
                return total;
            }
            static int counter(void) { static int calls; return ++calls; }
            DISPATCH
            int main(void) {
                int asm_out;
                __asm__("movl $9, %0" : "=r"(asm_out));
                tls_counter++;
                counter();
                printf("asm %d %d tls %d weak %d alias %d table %d ops %d %d ctor %d sum %d goto %d %d counter %d str %zu\\n",
                       cas_asm_answer(), asm_out, tls_counter, weak_value(), aliased(4), table[3], ops[0](2), ops[1](2),
                       ctor_ran, sum(4, 1, 2, 3, 4), dispatch(1), dispatch(5), counter(), strlen("hello, pieces"));
                return 0;
            }
            """;
    static final String PLAIN_DISPATCH = "static int dispatch(int op) { return 100 + op % 3; }";
    static final String COMPUTED_GOTO = """
            static int dispatch(int op) {
                static void *labels[] = {&&zero, &&one, &&two};
                goto *labels[op % 3];
            zero: return 100;
            one: return 101;
            two: return 102;
            }
            """;
    static final String PITFALLS_OUTPUT =
            "asm 42 9 tls 6 weak 7 alias 13 table 7 ops 6 7 ctor 1 sum 10 goto 101 102 counter 2 str 13\nbye\n";

    @TempDir
    Path dir;
    WorkerFixture fixture;

    @BeforeEach
    void setUp() {
        fixture = new WorkerFixture(dir.resolve("cache"));
        fixture.environment.put("CAS_PER_FUNCTION", "1");
    }

    @AfterEach
    void tearDown() {
        fixture.close();
    }

    private String buildAndRun(String name, String... args) throws Exception {
        fixture.casOk(dir, "cc", args);
        return WorkerFixture.run(dir.resolve(name), null);
    }

    @Test
    void cPitfallsRunAsClangsBuild() throws Exception {
        WorkerFixture.write(dir.resolve("pit.c"), PITFALLS.replace("DISPATCH", PLAIN_DISPATCH));
        fixture.clangOk(dir, "cc", "-O2", "-o", "pit-clang", "pit.c");
        assertThat(WorkerFixture.run(dir.resolve("pit-clang"), null)).isEqualTo(PITFALLS_OUTPUT);
        long pieces = fixture.stat(Stat.FUNCTION_MISSES);
        assertThat(buildAndRun("pit-cas", "-O2", "-o", "pit-cas", "pit.c")).isEqualTo(PITFALLS_OUTPUT);
        assertThat(fixture.stat(Stat.FUNCTION_MISSES) - pieces).isGreaterThanOrEqualTo(8);
        assertThat(fixture.stat(Stat.FUNCTION_FALLBACKS)).isZero();
    }

    @Test
    void computedGotoTablesFallBackToTheWholeUnit() throws Exception {
        WorkerFixture.write(dir.resolve("goto.c"), PITFALLS.replace("DISPATCH", COMPUTED_GOTO));
        assertThat(buildAndRun("goto-cas", "-O2", "-o", "goto-cas", "goto.c")).isEqualTo(PITFALLS_OUTPUT);
        assertThat(fixture.stat(Stat.FUNCTION_FALLBACKS)).isEqualTo(1);
    }

    @Test
    void cxxProgramRunsAsClangsBuild() throws Exception {
        CxxProgramIT.writeSources(dir);
        fixture.casOk(dir, "c++", "-O2", "-std=c++17", "-o", "cxx-cas", "a.cpp", "main.cpp");
        assertThat(fixture.stat(Stat.FUNCTION_MISSES)).isPositive();
        assertThat(WorkerFixture.run(dir.resolve("cxx-cas"), null)).isEqualTo(CxxProgramIT.EXPECTED);
    }

    @Test
    void cxxThreadLocalsWithDynamicInitialisersAcrossThreads() throws Exception {
        WorkerFixture.write(dir.resolve("tls.cpp"), """
                #include <cstdio>
                #include <string>
                #include <thread>
                #include <vector>
                struct Tracker { std::string name; int hits = 0; explicit Tracker(const char* n) : name(n) {} };
                thread_local Tracker tracker("worker");
                static thread_local int local_count = 10;
                inline thread_local std::vector<int> inline_tls{1, 2, 3};
                int bump() { return ++tracker.hits + ++local_count + static_cast<int>(inline_tls.size()); }
                int main() {
                    int main_value = bump();
                    int thread_value = 0;
                    std::thread t([&] { thread_value = bump() + bump(); });
                    t.join();
                    std::printf("%s %d %d %d\\n", tracker.name.c_str(), main_value, thread_value, tracker.hits);
                }
                """);
        fixture.clangOk(dir, "c++", "-O2", "-std=c++17", "-pthread", "-o", "tls-clang", "tls.cpp");
        String expected = WorkerFixture.run(dir.resolve("tls-clang"), null);
        assertThat(expected).isEqualTo("worker 15 32 1\n");
        fixture.casOk(dir, "c++", "-O2", "-std=c++17", "-pthread", "-o", "tls-cas", "tls.cpp");
        assertThat(fixture.stat(Stat.FUNCTION_MISSES)).isPositive();
        assertThat(WorkerFixture.run(dir.resolve("tls-cas"), null)).isEqualTo(expected);
    }

    @Test
    void sameSourceUnderTwoConfigurationsInOneProgram() throws Exception {
        WorkerFixture.write(dir.resolve("variant.c"), """
                static int scale(int x) { return x * FACTOR; }
                int NAME(int x) { return scale(x) + 1; }
                """);
        WorkerFixture.write(dir.resolve("main.c"), """
                #include <stdio.h>
                int twice(int); int thrice(int);
                int main(void) { printf("%d %d\\n", twice(10), thrice(10)); return 0; }
                """);
        fixture.casOk(dir, "cc", "-O2", "-DFACTOR=2", "-DNAME=twice", "-c", "variant.c", "-o", "v2.o");
        fixture.casOk(dir, "cc", "-O2", "-DFACTOR=3", "-DNAME=thrice", "-c", "variant.c", "-o", "v3.o");
        assertThat(buildAndRun("variants", "-O2", "-o", "variants", "main.c", "v2.o", "v3.o")).isEqualTo("21 31\n");
    }

    @Test
    void aHeaderInlineFunctionIsGeneratedOnceForTwoUnits() throws Exception {
        WorkerFixture.write(dir.resolve("shared.h"), """
                static inline int mix(int a, int b) { int r = a; for (int i = 0; i < b; i++) r = r * 31 + i; return r; }
                __attribute__((noinline)) static int shared_work(int x) { return mix(x, 7) ^ mix(x, 3); }
                """);
        WorkerFixture.write(dir.resolve("one.c"), "#include \"shared.h\"\nint one(int x) { return shared_work(x); }\n");
        WorkerFixture.write(dir.resolve("two.c"), "#include \"shared.h\"\nint two(int x) { return shared_work(x) + 2; }\n");
        fixture.casOk(dir, "cc", "-O2", "-c", "one.c");
        long hits = fixture.stat(Stat.FUNCTION_HITS);
        fixture.casOk(dir, "cc", "-O2", "-c", "two.c");
        assertThat(fixture.stat(Stat.FUNCTION_HITS) - hits).as("shared_work's piece").isGreaterThanOrEqualTo(1);
    }

    @Test
    void byDefaultOnlyUnitsWorthSplittingAreSplit() throws Exception {
        fixture.environment.remove("CAS_PER_FUNCTION");
        WorkerFixture.write(dir.resolve("small.c"), "int twice(int x) { return 2 * x; }\n");
        fixture.casOk(dir, "cc", "-O2", "-c", "small.c");
        assertThat(fixture.worker.explain(dir, "small.c")).hasValueSatisfying(text -> assertThat(text)
                .contains("a small unit (frontend IR under 64 KiB)"));
        assertThat(fixture.stat(Stat.FUNCTION_MISSES)).isZero();

        StringBuilder large = new StringBuilder();
        for (int i = 0; i < 400; i++) {
            large.append("int f").append(i).append("(int x) { int s = 0; for (int i = 0; i < x; i++) s += i * ")
                    .append(i).append(" ^ (s >> 3); return s; }\n");
        }
        WorkerFixture.write(dir.resolve("large.c"), large.toString());
        fixture.casOk(dir, "cc", "-O2", "-c", "large.c");
        assertThat(fixture.stat(Stat.FUNCTION_MISSES)).isGreaterThanOrEqualTo(400);
    }

    /**
     * At the default policy, units built for the first time while others compile are compiled whole (a cold parallel
     * build then costs what clang costs) and split when the worker is idle, so the first edit already compiles one
     * piece. The program built each way behaves as clang's.
     */
    @Test
    void aParallelColdBuildCompilesUnitsWholeAndSplitsThemWhenIdle() throws Exception {
        fixture.environment.remove("CAS_PER_FUNCTION");
        fixture.environment.remove("CAS_VERIFY"); // a checked split is never put off
        List<String> units = List.of("alpha", "beta", "gamma");
        StringBuilder main = new StringBuilder("#include <stdio.h>\n");
        for (String unit : units) {
            writeLoopFunctions(unit, 300);
            for (int i = 0; i < 300; i++) {
                main.append("int ").append(unit).append(i).append("(int);\n");
            }
        }
        main.append("int main(void) { printf(\"%d %d %d\\n\", alpha7(50), beta7(60), gamma7(70)); return 0; }\n");
        WorkerFixture.write(dir.resolve("main.c"), main.toString());

        fixture.casOk(dir, "cc", "-O2", "-c", "alpha.c", "beta.c", "gamma.c");
        long deferred = fixture.stat(Stat.FUNCTION_DEFERRED);
        assertThat(deferred).as("units built whole while others compiled").isBetween(1L, 3L);
        String later = units.stream().filter(unit -> fixture.worker.explain(dir, unit + ".c").orElseThrow()
                .contains("split into pieces when the worker is idle")).findFirst().orElseThrow();

        WorkerFixture.waitUntil(() -> fixture.stat(Stat.FUNCTION_DEFERRED_WAITING) == 0, Duration.ofMinutes(3));
        assertThat(fixture.stat(Stat.FUNCTION_DEFERRED_SPLIT)).as("units split when idle").isEqualTo(deferred);
        assertThat(fixture.stat(Stat.FUNCTION_DEFERRED_PIECES)).isGreaterThanOrEqualTo(300 * deferred);

        fixture.casOk(dir, "cc", "-O2", "-o", "before", "main.c", "alpha.o", "beta.o", "gamma.o");
        String expected = WorkerFixture.run(dir.resolve("before"), null);
        long misses = fixture.stat(Stat.FUNCTION_MISSES);
        Path edited = dir.resolve(later + ".c");
        Files.writeString(edited, Files.readString(edited).replace("int " + later + "7(int x) { int s = 0;",
                "int " + later + "7(int x) { int s = 0; __asm__ __volatile__(\"\" ::: \"memory\");"));
        fixture.casOk(dir, "cc", "-O2", "-c", later + ".c");
        assertThat(fixture.stat(Stat.FUNCTION_MISSES) - misses).as("pieces compiled after a one-function edit")
                .isEqualTo(1);
        assertThat(fixture.worker.explain(dir, later + ".c")).hasValueSatisfying(text -> assertThat(text)
                .contains("body changed (or a declaration, type or constant it uses): 1\n    " + later + "7\n"));

        fixture.casOk(dir, "cc", "-O2", "-o", "after", "main.c", "alpha.o", "beta.o", "gamma.o");
        fixture.clangOk(dir, "cc", "-O2", "-o", "clang", "main.c", "alpha.c", "beta.c", "gamma.c");
        assertThat(WorkerFixture.run(dir.resolve("after"), null)).isEqualTo(expected)
                .isEqualTo(WorkerFixture.run(dir.resolve("clang"), null));
    }

    /**
     * A worker asked to stop while it splits a unit in the background (seen by the pieces it stores) stops before the
     * split's next piece instead of waiting for all of them ({@code cas-compile stop} waited ~22 s for a yaml-cpp
     * unit): the split is counted as dropped (the unit's next miss splits it, as after a queued split dropped at a
     * stop).
     */
    @Test
    void stoppingTheWorkerStopsARunningSplit() throws Exception {
        fixture.environment.remove("CAS_PER_FUNCTION");
        fixture.environment.remove("CAS_VERIFY"); // a checked split is never put off
        writeLoopFunctions("alpha", 1000);
        writeLoopFunctions("beta", 1000);
        fixture.casOk(dir, "cc", "-O2", "-c", "alpha.c", "beta.c");
        assertThat(fixture.stat(Stat.FUNCTION_DEFERRED)).as("units built whole while the other compiled")
                .isPositive();
        // a split starts once the worker has been idle for 0.3 s; it is running once it has stored a piece
        long stored = fixture.stat(Stat.BYTES_STORED);
        WorkerFixture.waitUntil(() -> fixture.stat(Stat.BYTES_STORED) != stored, Duration.ofMinutes(1));
        assertThat(fixture.stat(Stat.BYTES_STORED)).as("bytes stored once a split runs").isGreaterThan(stored);

        long begin = System.nanoTime();
        fixture.worker.close();
        long stopMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin);
        fixture = new WorkerFixture(dir.resolve("cache"));
        assertThat(fixture.stat(Stat.FUNCTION_DEFERRED_SPLIT)).as("splits finished before the stop").isZero();
        assertThat(fixture.stat(Stat.FUNCTION_DEFERRED_DROPPED)).isEqualTo(fixture.stat(Stat.FUNCTION_DEFERRED));
        assertThat(stopMillis).as("the stop, in ms").isLessThan(3_000);
    }

    /** Writes {@code unit}.c: {@code count} small functions {@code unit0}, {@code unit1}, ..., each with a loop. */
    private void writeLoopFunctions(String unit, int count) throws IOException {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < count; i++) {
            text.append("int ").append(unit).append(i).append("(int x) { int s = 0; for (int i = 0; i < x; i++) ")
                    .append("s += i * ").append(i).append(" ^ (s >> 3); return s; }\n");
        }
        WorkerFixture.write(dir.resolve(unit + ".c"), text.toString());
    }

    @Test
    void explainGivesEachMissItsReason() throws Exception {
        WorkerFixture.write(dir.resolve("lib.c"), """
                static int helper(int x) { return x + 1; }
                int api(int x) { return helper(x) * 2; }
                int other(int x) { return x - 1; }
                """);
        fixture.casOk(dir, "cc", "-O2", "-c", "lib.c");
        assertThat(fixture.worker.explain(dir, "lib.c")).hasValueSatisfying(text -> assertThat(text)
                .contains("new (no earlier per-function build of this unit)"));
        fixture.casOk(dir, "cc", "-O2", "-c", "lib.c");
        assertThat(fixture.worker.explain(dir, "lib.c")).hasValueSatisfying(text -> assertThat(text)
                .startsWith("translation unit hit"));

        WorkerFixture.write(dir.resolve("lib.c"), """
                static int helper(int x) { return x + 2; }
                int api(int x) { return helper(x) * 2; }
                int other(int x) { return x - 1; }
                int added(int x) { return x * 7; }
                """);
        fixture.casOk(dir, "cc", "-O2", "-c", "lib.c");
        assertThat(fixture.worker.explain(dir, "lib.c")).hasValueSatisfying(text -> assertThat(text)
                .contains("body changed (or a declaration, type or constant it uses): 1\n    helper\n")
                .contains("imported callee changed (helper): 1\n    api\n")
                .contains("new function: 1\n    added\n")
                .doesNotContain("other"));

        fixture.casOk(dir, "cc", "-O3", "-c", "lib.c");
        assertThat(fixture.worker.explain(dir, "lib.c")).hasValueSatisfying(text -> assertThat(text)
                .contains("options changed"));

        fixture.casOk(dir, "cc", "-O2", "-g", "-c", "lib.c");
        assertThat(fixture.worker.explain(dir, "lib.c")).hasValueSatisfying(text -> assertThat(text)
                .contains("per-function build", "options changed"));
        // a line inserted above everything: every function moved, none of their code changed, nothing is compiled
        long compiled = fixture.stat(Stat.FUNCTION_MISSES);
        WorkerFixture.write(dir.resolve("lib.c"), "\n" + Files.readString(dir.resolve("lib.c")));
        fixture.casOk(dir, "cc", "-O2", "-g", "-c", "lib.c");
        assertThat(fixture.stat(Stat.FUNCTION_MISSES)).isEqualTo(compiled);
        assertThat(fixture.stat(Stat.FUNCTION_LINES_MOVED)).as("the four functions").isEqualTo(4);
        assertThat(fixture.worker.explain(dir, "lib.c")).hasValueSatisfying(text -> assertThat(text)
                .contains("5 pieces, 5 hits, 0 compiled"));
        // a line inserted between helper and api, which inlines it: api moved away from the code it inlines
        // (compiled again); helper did not move, the functions below moved together (moved, not compiled)
        WorkerFixture.write(dir.resolve("lib.c"), Files.readString(dir.resolve("lib.c"))
                .replace("int api(int x)", "\nint api(int x)"));
        fixture.casOk(dir, "cc", "-O2", "-g", "-c", "lib.c");
        assertThat(fixture.worker.explain(dir, "lib.c")).hasValueSatisfying(text -> assertThat(text)
                .contains("only its position changed (lines moved; its code did not change): 1\n    api\n")
                .doesNotContain("body changed", "other", "added"));
        assertThat(fixture.stat(Stat.FUNCTION_DEBUG_FALLBACKS)).isZero();
    }

    /**
     * A piece must not see the body of a callee it does not import: were {@code big} inlined into {@code user} when
     * {@code user} alone is rebuilt, a later edit of {@code big} (which leaves {@code user}'s key alone) would leave
     * the old body running.
     */
    @Test
    void aPieceRebuiltAloneNeverKeepsACalleeItDoesNotImport() throws Exception {
        StringBuilder cases = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            cases.append("    case ").append(i).append(": r = r * ").append(i + 3).append(" + (r >> ").append(i % 7 + 1)
                    .append("); r ^= r << 3; break;\n");
        }
        String big = """
                #include <stdio.h>
                int big(int mode, int seed) {
                  int r = seed;
                  switch (mode) {
                CASES  case 99: return RESULT;
                  }
                  return r;
                }
                """.replace("CASES", cases);
        String rest = "__attribute__((noinline)) int user(void) { return big(99, 1) + ADD; }\nint main(void) { printf(\"%d\\n\", user()); }\n";
        WorkerFixture.write(dir.resolve("prog.c"), big.replace("RESULT", "30") + rest.replace("ADD", "1"));
        assertThat(buildAndRun("prog", "-O2", "-o", "prog", "prog.c")).isEqualTo("31\n");

        WorkerFixture.write(dir.resolve("prog.c"), big.replace("RESULT", "30") + rest.replace("ADD", "2"));
        long misses = fixture.stat(Stat.FUNCTION_MISSES);
        assertThat(buildAndRun("prog", "-O2", "-o", "prog", "prog.c")).isEqualTo("32\n");
        assertThat(fixture.stat(Stat.FUNCTION_MISSES) - misses).as("only user is rebuilt").isEqualTo(1);

        WorkerFixture.write(dir.resolve("prog.c"), big.replace("RESULT", "40") + rest.replace("ADD", "2"));
        misses = fixture.stat(Stat.FUNCTION_MISSES);
        assertThat(buildAndRun("prog", "-O2", "-o", "prog", "prog.c")).isEqualTo("42\n");
        assertThat(fixture.stat(Stat.FUNCTION_MISSES) - misses).as("only big is rebuilt").isEqualTo(1);
    }

    @Test
    void sqliteAtO2AndTheStandardEditRecompilesOnlyTheEditedFunction() throws Exception {
        Path corpus = TestCorpora.sqlite();
        for (String file : new String[] {"sqlite3.c", "sqlite3.h", "shell.c", "sqlite3ext.h"}) {
            Files.copy(corpus.resolve(file), dir.resolve(file));
        }
        String[] build = {"-O2", "-DSQLITE_THREADSAFE=0", "-DSQLITE_OMIT_LOAD_EXTENSION", "-o", "sqlite-cas",
            "shell.c", "sqlite3.c", "-lm"};
        fixture.casOk(dir, "cc", build);
        Path workload = corpus.resolve("workload.sql");
        String expected = WorkerFixture.sqliteWorkloadByClang("-O2");
        assertThat(WorkerFixture.run(dir.resolve("sqlite-cas"), workload, ":memory:")).isEqualTo(expected);

        String source = Files.readString(dir.resolve("sqlite3.c"));
        int function = source.indexOf("static void whereLoopOutputAdjust(");
        int edit = source.indexOf("k = 20;", function);
        Files.writeString(dir.resolve("sqlite3.c"), source.substring(0, edit) + "k = 21;" + source.substring(edit + 7));
        // the cold build's symbol tables were checked against the whole unit's; checking again would compile it whole
        fixture.environment.put("CAS_VERIFY", "0");
        long misses = fixture.stat(Stat.FUNCTION_MISSES);
        fixture.casOk(dir, "cc", build);
        assertThat(fixture.stat(Stat.FUNCTION_MISSES) - misses).as("pieces compiled after the edit")
                .isEqualTo(1);
        assertThat(fixture.worker.explain(dir, "sqlite3.c")).hasValueSatisfying(text -> assertThat(text)
                .contains("1 compiled", "body changed", "whereLoopOutputAdjust"));
        assertThat(WorkerFixture.run(dir.resolve("sqlite-cas"), workload, ":memory:")).isEqualTo(expected);
        // a line shift (pieces holding __LINE__ change, the rest keep their code): DebugInfoPiecesIT, with -g
    }
}
