package dev.cas.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cas.worker.cache.Stat;
import dev.cas.worker.clang.ProcessRunner;
import dev.cas.worker.testing.TestCorpora;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Optimised builds with debug info ({@code -O2 -g}) through per-function pieces: the objects are valid DWARF, and
 * Debian's gdb, driven in batch mode, answers on the program built through cas exactly as on clang's build of the
 * same source: breakpoints by function and by {@code file:line}, backtraces with inlined frames, arguments, locals,
 * structures printed through pointers (whose types the pieces only declare), stepping into callees.
 *
 * <p>One difference is normalised away, and it is a known limit of the in-process back end, whole units included:
 * the LLVM C API cannot ask for call-site information, so the objects carry no call-site parameters and gdb shows
 * {@code p=0x...} where on clang's build it shows {@code p=p@entry=0x...}. And the sessions stay where the code is
 * the same: a split unit inlines less than clang's whole unit (a piece cannot drop the out-of-line copy of a static
 * function called once, so it is not inlined into its caller), so deeper backtraces and steps out of a function
 * differ with the code, not with the debug info.
 */
class DebugInfoPiecesIT {
    /**
     * A program whose parameter {@code c} stays live to the end, so no answer needs an entry value (see above); the
     * per-function build keeps the out-of-line {@code counter} that clang's inlines away, so it is {@code noinline}.
     */
    static final String PROGRAM = """
            #include <stdio.h>
            struct point { int x, y; };
            typedef struct { int a; double b; } anon_t;
            enum color { RED, GREEN = 5, BLUE };
            __attribute__((noinline)) static int counter(void) { static int calls; return ++calls; }
            int global_total = 3;
            static inline __attribute__((always_inline)) int twice(int v) {
                int w = v * global_total;
                return w > 100 ? w - 100 : w;
            }
            __attribute__((noinline)) int area(struct point *p, anon_t *t, enum color c) {
                int local = p->x * p->y + twice(c);
                for (int i = 0; i < 2; i++) {
                    int inner = i + local;
                    local += inner;
                }
                return local + (int) t->b + counter() + c;
            }
            int main(void) {
                struct point p = {3, 4};
                anon_t t = {1, 2.5};
                counter();
                printf("%d %d\\n", area(&p, &t, GREEN), global_total);
                return 0;
            }
            """;
    /** Stops in both functions, steps into the inlined {@code twice}, prints through pointers and typedefs. */
    static final String PROGRAM_GDB = """
            break area
            break counter
            break p.c:15
            run
            bt
            continue
            bt
            info args
            info locals
            print *p
            print *t
            ptype t
            ptype p
            print c
            print global_total
            step
            bt
            step
            bt
            info locals
            continue
            bt
            continue
            bt
            """;

    /**
     * A program for line shifts: types, an enum, a static table, an inlined callee, and one function whose code holds
     * its line ({@code __LINE__}), which must be compiled again when it moves. {@code sum_points} is external and
     * uses {@code n} to the end so that its code is clang's (a static one called once would be specialised) and no
     * answer needs an entry value (see the class comment).
     */
    static final String SHIFTED_PROGRAM = """
            #include <stdio.h>
            #include <stdlib.h>

            typedef unsigned char u8;
            struct point { int x; int y; u8 tag; };
            enum colour { RED, GREEN, BLUE };
            static int table[16];

            static inline int twice(int v) {
                return v * 2;
            }

            __attribute__((noinline)) int sum_points(const struct point *p, int n) {
                int total = 0;
                for (int i = 0; i < n; i++) {
                    if (p[i].tag)
                        total += twice(p[i].x) + p[i].y;
                    else
                        total -= p[i].y;
                }
                return total + n;
            }

            __attribute__((noinline)) int colour_value(enum colour c) {
                switch (c) {
                case RED: return 3;
                case GREEN: return 5;
                default: return 7;
                }
            }

            __attribute__((noinline)) static int where(void) {
                return __LINE__;
            }

            static void fill(int seed) {
                for (int i = 0; i < 16; i++)
                    table[i] = (seed * 31 + i) % 97;
            }

            int main(int argc, char **argv) {
                struct point points[8];
                int seed = argc > 1 ? atoi(argv[1]) : 4;
                fill(seed);
                for (int i = 0; i < 8; i++) {
                    points[i].x = table[i];
                    points[i].y = table[i + 8];
                    points[i].tag = (u8) (i & 1);
                }
                printf("%d %d %d\\n", sum_points(points, 8), colour_value((enum colour) (seed % 3)), where());
                return 0;
            }
            """;
    static final String SHIFTED_GDB = """
            break sum_points
            break s.c:%d
            run
            bt
            info args
            info locals
            print p[1]
            ptype p
            continue
            bt
            info locals
            step
            bt
            continue
            """;

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

    @Test
    void aSmallProgramIsSplitIsValidDwarfAndDebugsAsClangsBuild() throws Exception {
        WorkerFixture.write(dir.resolve("p.c"), PROGRAM);
        WorkerFixture.write(dir.resolve("p.gdb"), PROGRAM_GDB);
        fixture.clangOk(dir, "cc", "-O2", "-g", "-o", "p-clang", "p.c");
        fixture.casOk(dir, "cc", "-O2", "-g", "-o", "p-cas", "p.c");
        assertThat(fixture.stat(Stat.FUNCTION_MISSES)).as("pieces compiled").isEqualTo(4);
        assertThat(fixture.stat(Stat.FUNCTION_DEBUG_FALLBACKS)).isZero();
        assertThat(WorkerFixture.run(dir.resolve("p-cas"), null)).isEqualTo("118 3\n");
        assertThat(verifyDwarf(dir.resolve("p-cas"))).contains("No errors.");
        String expected = gdb(dir, "p-clang", "p.gdb");
        assertThat(expected).contains("area (p=", "local = ", "$1 = {x = 3, y = 4}", "int a;", "twice (v=5) at p.c:8",
                "counter () at p.c:5", "in area (p=ADDR, t=ADDR, c=GREEN) at p.c:17");
        assertThat(gdb(dir, "p-cas", "p.gdb")).isEqualTo(expected);
    }

    @Test
    void cxxUnitsWithDebugInfoAreSplitAndAreValidDwarf() throws Exception {
        CxxProgramIT.writeSources(dir);
        fixture.casOk(dir, "c++", "-O2", "-g", "-std=c++17", "-c", "a.cpp");
        fixture.casOk(dir, "c++", "-O2", "-g", "-std=c++17", "-o", "cxx-cas", "a.o", "main.cpp");
        assertThat(WorkerFixture.run(dir.resolve("cxx-cas"), null)).isEqualTo(CxxProgramIT.EXPECTED);
        assertThat(fixture.stat(Stat.FUNCTION_DEBUG_FALLBACKS)).isZero();
        assertThat(fixture.stat(Stat.FUNCTION_MISSES)).isGreaterThan(100);
        // the object, not the program: a linked C++ program's debug info names discarded copies of inline
        // functions at address 0, which llvm-dwarfdump reports as overlapping (clang's own build does the same)
        assertThat(verifyDwarf(dir.resolve("a.o"))).contains("No errors.");
    }

    @Test
    void aLineShiftMovesTheCachedPiecesLinesInsteadOfCompilingThem() throws Exception {
        WorkerFixture.write(dir.resolve("s.c"), SHIFTED_PROGRAM);
        fixture.casOk(dir, "cc", "-O2", "-g", "-c", "s.c", "-o", "before.o");
        long cold = fixture.stat(Stat.FUNCTION_MISSES);
        assertThat(cold).as("pieces of the cold build").isGreaterThanOrEqualTo(5);

        WorkerFixture.write(dir.resolve("s.c"), "/* three lines\n * inserted above\n * everything */\n"
                + SHIFTED_PROGRAM);
        fixture.casOk(dir, "cc", "-O2", "-g", "-c", "s.c", "-o", "moved.o");
        assertThat(fixture.stat(Stat.FUNCTION_MISSES) - cold).as("pieces compiled after the shift: where()")
                .isEqualTo(1);
        assertThat(fixture.stat(Stat.FUNCTION_LINES_MOVED)).isEqualTo(cold - 1);
        assertThat(fixture.stat(Stat.FUNCTION_LINES_UNMOVABLE)).isZero();

        // the moved objects carry exactly the line information compiling them again gives
        try (WorkerFixture fresh = new WorkerFixture(dir.resolve("fresh-cache"))) {
            fresh.environment.put("CAS_PER_FUNCTION", "1");
            fresh.casOk(dir, "cc", "-O2", "-g", "-c", "s.c", "-o", "compiled.o");
        }
        String moved = dwarf(dir.resolve("moved.o"));
        assertThat(moved).contains("DW_AT_decl_line\t(16)", "DW_AT_call_line\t(47)");
        assertThat(moved).isEqualTo(dwarf(dir.resolve("compiled.o")));
        assertThat(verifyDwarf(dir.resolve("moved.o"))).contains("No errors.");

        // and a debugger sees the moved lines as on clang's build
        fixture.casOk(dir, "cc", "-O2", "-g", "-o", "s-cas", "s.c");
        fixture.clangOk(dir, "cc", "-O2", "-g", "-o", "s-clang", "s.c");
        assertThat(WorkerFixture.run(dir.resolve("s-cas"), null)).isEqualTo("260 5 36\n");
        WorkerFixture.write(dir.resolve("s.gdb"), SHIFTED_GDB.formatted(lineIn("s.c", "total -= p[i].y;")));
        String expected = gdb(dir, "s-clang", "s.gdb");
        assertThat(expected).contains("sum_points (p=", "total = ");
        assertThat(gdb(dir, "s-cas", "s.gdb")).isEqualTo(expected);
    }

    /** The line table rows and the debug entries of an object, without offsets and addresses. */
    private String dwarf(Path object) {
        Path dwarfdump = fixture.toolchain.binDir().resolve("llvm-dwarfdump");
        dwarfdump.toFile().setExecutable(true);
        ProcessRunner.Result result = ProcessRunner.run(List.of(dwarfdump.toString(), "--debug-line",
                "--debug-info", object.toString()), dir, Map.of());
        return new String(result.stdout(), StandardCharsets.UTF_8).replaceAll("0x[0-9a-f]+", "ADDR")
                .replaceAll(".*file format.*\n", "");
    }

    private int lineIn(String file, String text) throws IOException {
        String source = Files.readString(dir.resolve(file));
        return (int) source.substring(0, source.indexOf(text)).chars().filter(c -> c == '\n').count() + 1;
    }

    /**
     * A C++ corpus program: fmt's library unit (format.cc: templates, namespaces, classes with member functions)
     * split at -O2 -g, linked with a small program built by clang; gdb stops in its overloaded functions by qualified
     * name and at a file and line, shows backtraces into the program's template instantiations, prints arguments,
     * locals and class types (with their methods), and steps into a callee as on clang's build.
     */
    @Test
    void fmtDebugsAsClangsBuild() throws Exception {
        fixture.environment.put("CAS_VERIFY", "0");
        Path fmt = TestCorpora.realProject("fmt-12.2.0");
        String include = "-I" + fmt.resolve("include");
        WorkerFixture.write(dir.resolve("main.cc"), """
                #include <fmt/format.h>
                #include <string>
                int main() {
                    std::string s = fmt::format("{}-{:>5}|{:.3f}", 42, "ab", 3.14159);
                    fmt::print("{}\\n", s);
                    return s.size() == 0;
                }
                """);
        // fmt and args stay out of the session: on clang's build gdb recovers them from entry values at the
        // breakpoint (see the class comment); and so do types main.o defines too, since gdb then takes the
        // definition from another compile unit than the one it stopped in, with other template members
        WorkerFixture.write(dir.resolve("fmt.gdb"), """
                break fmt::v12::vprint
                break fmt::v12::vprint_buffered
                run
                bt 2
                ptype fmt
                whatis args
                continue
                bt 2
                print f
                whatis fmt
                ptype f
                continue
                """);
        List<String> flags = List.of("-O2", "-g", "-std=c++17", include);
        fixture.clangOk(dir, "c++", concat(flags, "-c", "main.cc", "-o", "main.o"));
        fixture.clangOk(dir, "c++", concat(flags, "-c", fmt.resolve("src/format.cc").toString(), "-o", "fmt-clang.o"));
        fixture.casOk(dir, "c++", concat(flags, "-c", fmt.resolve("src/format.cc").toString(), "-o", "fmt-cas.o"));
        assertThat(fixture.stat(Stat.FUNCTION_MISSES)).as("pieces of format.cc").isGreaterThan(100);
        assertThat(fixture.stat(Stat.FUNCTION_DEBUG_FALLBACKS)).isZero();
        assertThat(verifyDwarf(dir.resolve("fmt-cas.o"))).contains("No errors.");
        fixture.clangOk(dir, "c++", "-o", "fmt-clang", "main.o", "fmt-clang.o");
        fixture.clangOk(dir, "c++", "-o", "fmt-cas", "main.o", "fmt-cas.o");
        assertThat(WorkerFixture.run(dir.resolve("fmt-cas"), null)).isEqualTo("42-   ab|3.142\n");
        String expected = gdb(dir, "fmt-clang", "fmt.gdb");
        assertThat(expected).contains("Breakpoint 1 at ADDR: fmt::v12::vprint. (2 locations)",
                "fmt::v12::vprint (f=ADDR <_IO_2_1_stdout_>, fmt=..., args=...) at ", "format-inl.h:1764",
                "in fmt::v12::print<std::__cxx11::basic_string<char", "type = class fmt::v12::basic_string_view<char>",
                "    size_t size(void) const;", "type = struct _IO_FILE {");
        assertThat(gdb(dir, "fmt-cas", "fmt.gdb")).isEqualTo(expected);

        // by file and line: a stop, the locals, a step to the next line and one into a callee, its arguments
        WorkerFixture.write(dir.resolve("lines.gdb"), """
                break format-inl.h:1764
                run
                bt 1
                info locals
                step
                bt 1
                step
                bt 1
                info args
                continue
                """);
        String byLine = gdb(dir, "fmt-clang", "lines.gdb");
        assertThat(byLine).contains("Breakpoint 1, fmt::v12::vprint (f=ADDR <_IO_2_1_stdout_>", "buffer = ",
                "format-inl.h:1766", "file_print_buffer (this=ADDR, f=ADDR <_IO_2_1_stdout_>) at ", "f = ADDR");
        assertThat(gdb(dir, "fmt-cas", "lines.gdb")).isEqualTo(byLine);
    }

    @Test
    void sqliteShellDebugsAsClangsBuildColdAndAfterAnEditAndALineShift() throws Exception {
        fixture.environment.put("CAS_VERIFY", "0"); // PerFunctionIT compares symbol tables; here it would double the time
        Path corpus = TestCorpora.sqlite();
        Files.copy(corpus.resolve("sqlite3.c"), dir.resolve("sqlite3.c"));
        Files.copy(corpus.resolve("sqlite3.h"), dir.resolve("sqlite3.h"));
        List<String> flags = List.of("-O2", "-g", "-DSQLITE_THREADSAFE=0", "-DSQLITE_OMIT_LOAD_EXTENSION");
        // the shell's own unit, built once by clang, is linked into every build: gdb is driven inside sqlite3.c
        fixture.clangOk(dir, "cc", concat(flags, "-c", corpus.resolve("shell.c").toString(), "-o", "shell.o"));
        Path workload = corpus.resolve("workload.sql");

        String cold = compareUnderGdb("cold", flags, workload);
        assertThat(cold).contains("whereLoopOutputAdjust (pWC=", "nRow = ", "iReduce = ", "$1 = {pWInfo = ",
                "type = struct WhereInfo {", "$2 = 2", "$3 = {prereq = ", "3.52.0|1");
        assertThat(fixture.stat(Stat.FUNCTION_MISSES)).isGreaterThan(2000);

        // the edit alone: one piece compiled, the program answers the workload as clang's cold build did (gdb runs on
        // a rebuilt piece among cached ones below, where clang's build of the same source costs no extra compile)
        String answers = WorkerFixture.run(dir.resolve("cold-clang"), workload, ":memory:");
        edit("k = 20;", "k = 21;");
        long before = fixture.stat(Stat.FUNCTION_MISSES);
        fixture.casOk(dir, "cc", concat(flags, "-o", "edited-cas", "shell.o", "sqlite3.c", "-lm"));
        assertThat(fixture.stat(Stat.FUNCTION_MISSES) - before).as("pieces compiled after a one-function edit")
                .isEqualTo(1);
        assertThat(WorkerFixture.run(dir.resolve("edited-cas"), workload, ":memory:")).isEqualTo(answers);

        // edited again and every line shifted: the edited piece compiled, and those whose code holds __LINE__
        // (SQLITE_CORRUPT_BKPT and the like) or inlines one that does; the rest keep their code, their lines moved
        edit("k = 21;", "k = 22;");
        Files.writeString(dir.resolve("sqlite3.c"), "\n" + Files.readString(dir.resolve("sqlite3.c")));
        before = fixture.stat(Stat.FUNCTION_MISSES);
        compareUnderGdb("shifted", flags, workload);
        assertThat(fixture.stat(Stat.FUNCTION_MISSES) - before).as("pieces compiled after an edit and a line shift")
                .isBetween(2L, 250L);
        assertThat(fixture.stat(Stat.FUNCTION_LINES_MOVED)).isGreaterThan(2000);
        assertThat(fixture.stat(Stat.FUNCTION_LINES_UNMOVABLE)).isZero();
        assertThat(fixture.stat(Stat.FUNCTION_DEBUG_FALLBACKS)).isZero();
    }

    /** Builds the shell by clang and through cas, runs the same gdb session on both, and returns clang's answers. */
    private String compareUnderGdb(String name, List<String> flags, Path workload) throws Exception {
        String source = Files.readString(dir.resolve("sqlite3.c"));
        int editedLine = lineOf(source, "k = 2");
        WorkerFixture.write(dir.resolve(name + ".gdb"), """
                break whereLoopOutputAdjust
                break sqlite3.c:%d
                run :memory: < %s
                bt 2
                info args
                info locals
                print *pWC
                ptype pWC->pWInfo
                print pWC->pWInfo->pParse->db->nDb
                print *pLoop
                step
                continue
                bt 2
                info locals
                kill
                """.formatted(editedLine, workload));
        fixture.clangOk(dir, "cc", concat(flags, "-o", name + "-clang", "shell.o", "sqlite3.c", "-lm"));
        fixture.casOk(dir, "cc", concat(flags, "-o", name + "-cas", "shell.o", "sqlite3.c", "-lm"));
        String expected = gdb(dir, name + "-clang", name + ".gdb");
        assertThat(expected).contains("in whereLoopAddBtree (pBuilder=", "Breakpoint 2 at ADDR: file sqlite3.c, line ");
        assertThat(gdb(dir, name + "-cas", name + ".gdb")).as("gdb on the %s build", name).isEqualTo(expected);
        return expected;
    }

    private void edit(String from, String to) throws IOException {
        Path file = dir.resolve("sqlite3.c");
        String source = Files.readString(file);
        int at = source.indexOf(from, source.indexOf("static void whereLoopOutputAdjust("));
        Files.writeString(file, source.substring(0, at) + to + source.substring(at + from.length()));
    }

    private static int lineOf(String source, String text) {
        int at = source.indexOf(text, source.indexOf("static void whereLoopOutputAdjust("));
        assertThat(at).as("'%s' in sqlite3.c", text).isPositive();
        return (int) source.substring(0, at).chars().filter(c -> c == '\n').count() + 1;
    }

    /**
     * Debian's gdb (bin/install-prerequisites installs it) in batch mode on {@code program}: its answers with addresses, process numbers and the
     * entry-value annotations (see the class comment) taken out.
     */
    static String gdb(Path cwd, String program, String script) {
        ProcessRunner.Result result = ProcessRunner.run(List.of("gdb", "-batch", "-nx", "-ex", "set pagination off",
                "-ex", "set confirm off", "-x", script, "./" + program), cwd, Map.of("PATH", System.getenv("PATH")));
        String out = new String(result.stdout(), StandardCharsets.UTF_8) + new String(result.stderr(),
                StandardCharsets.UTF_8);
        return out.replaceAll("0x[0-9a-f]+", "ADDR")
                .replaceAll("process \\d+", "process N")
                .replaceAll("(\\w+)=\\1@entry=", "$1=")
                .replaceAll("(?m)^warning: Source file is more recent than executable\\.\\n", "");
    }

    private String verifyDwarf(Path object) {
        Path dwarfdump = fixture.toolchain.binDir().resolve("llvm-dwarfdump");
        dwarfdump.toFile().setExecutable(true);
        ProcessRunner.Result result = ProcessRunner.run(List.of(dwarfdump.toString(), "--verify", object.toString()),
                dir, Map.of());
        return new String(result.stdout(), StandardCharsets.UTF_8) + new String(result.stderr(),
                StandardCharsets.UTF_8);
    }

    private static String[] concat(List<String> flags, String... more) {
        List<String> all = new java.util.ArrayList<>(flags);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }
}