package dev.cas.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cas.worker.cache.Stat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * One small program per class of symbol the per-function pipeline once got wrong on real C++ (yaml-cpp, fmt): each is
 * built with every unit split ({@code CAS_PER_FUNCTION=1}, checked by {@code CAS_VERIFY=1} against the whole unit's
 * symbol table), one unit after another in one cache, linked, run, and compared with clang's build of the same
 * sources. The fixture fails a test whose split fell back to a whole build.
 */
class PerFunctionCxxIT {
    /** A failure class: its sources (compiled in this order, the first holds main) and what it exercises. */
    enum Program {
        /**
         * Lambdas are named {@code $_N}, which the IR printer quotes: their pieces' keys once left out their bodies,
         * so the second unit's lambda pieces were served the first unit's (undefined symbols, or the wrong code).
         */
        LAMBDAS(Map.of("a.cpp", """
                #include <algorithm>
                #include <cstdio>
                #include <functional>
                #include <vector>
                std::vector<int> values{5, 1, 4, 2, 3};
                long findAbove(int k);
                long findEqual(int k) {
                    return std::find_if(values.begin(), values.end(), [k](int x) { return x == k; }) - values.begin();
                }
                int main() {
                    std::function<int(int)> twice = [](int x) { return 2 * x; };
                    std::sort(values.begin(), values.end(), [](int a, int b) { return a > b; });
                    std::printf("%ld %ld %d %d\\n", findEqual(4), findAbove(3), twice(21),
                                (int)std::count_if(values.begin(), values.end(), [](int x) { return x % 2; }));
                }
                """, "b.cpp", """
                #include <algorithm>
                #include <vector>
                extern std::vector<int> values;
                long findAbove(int k) {
                    return std::find_if(values.begin(), values.end(), [k](int x) { return x > k; }) - values.begin();
                }
                """), "1 0 42 3\n"),
        /**
         * Constructor and destructor variants: clang emits a complete destructor as an alias of the base destructor,
         * which is itself an alias of the base class's when the class adds nothing: a chain the splitter must follow
         * to the function that defines it. Also a C alias of an alias.
         */
        STRUCTORS(Map.of("structors.h", """
                #pragma once
                #include <stdexcept>
                #include <string>
                struct Base : std::runtime_error {
                    explicit Base(const std::string& m);
                    ~Base() noexcept override;
                };
                struct Derived : Base {
                    Derived();
                    ~Derived() noexcept override;
                };
                struct Leaf final : Derived {
                    ~Leaf() noexcept override;
                };
                """, "a.cpp", """
                #include <cstdio>
                #include <memory>
                #include "structors.h"
                extern "C" int alias_of_alias(int);
                int main() {
                    std::unique_ptr<Base> p(new Leaf());
                    try { throw Derived(); } catch (const Base& e) { std::printf("caught %s\\n", e.what()); }
                    Derived onStack;
                    std::printf("%s %d\\n", p->what(), alias_of_alias(20));
                }
                """, "b.cpp", """
                #include "structors.h"
                Base::Base(const std::string& m) : std::runtime_error(m) {}
                Base::~Base() noexcept = default;
                Derived::Derived() : Base("derived") {}
                Derived::~Derived() noexcept = default;
                Leaf::~Leaf() noexcept = default;
                extern "C" int impl(int x) { return x + 1; }
                extern "C" int alias_one(int) __attribute__((alias("impl")));
                extern "C" int alias_of_alias(int) __attribute__((alias("alias_one")));
                """), "caught derived\nderived 21\n"),
        /**
         * Internal-linkage classes and everything instantiated with them: anonymous-namespace types with virtual
         * functions (internal vtables), templates over local types, static locals of internal functions.
         */
        INTERNAL_CLASSES(Map.of("a.cpp", """
                #include <algorithm>
                #include <cstdio>
                #include <map>
                #include <memory>
                #include <string>
                #include <vector>
                namespace {
                struct Shape { virtual ~Shape() = default; virtual int area() const = 0; };
                struct Square : Shape { int s; explicit Square(int v) : s(v) {} int area() const override { return s * s; } };
                struct ByArea { bool operator()(const std::unique_ptr<Shape>& a, const std::unique_ptr<Shape>& b) const {
                    return a->area() < b->area(); } };
                int calls() { static int n; return ++n; }
                }
                int other();
                int main() {
                    std::vector<std::unique_ptr<Shape>> shapes;
                    for (int i : {3, 1, 2}) shapes.push_back(std::make_unique<Square>(i));
                    std::sort(shapes.begin(), shapes.end(), ByArea());
                    std::map<std::string, int> names{{"b", 2}, {"a", 1}};
                    calls();
                    std::printf("%d %d %s %d %d\\n", shapes[0]->area(), shapes[2]->area(), names.begin()->first.c_str(),
                                calls(), other());
                }
                """, "b.cpp", """
                #include <memory>
                #include <vector>
                namespace {
                struct Shape { virtual ~Shape() = default; virtual int area() const = 0; };
                struct Square : Shape { int s; explicit Square(int v) : s(v) {} int area() const override { return s + 100; } };
                int calls() { static int n = 10; return ++n; }
                }
                int other() { std::unique_ptr<Shape> s = std::make_unique<Square>(1); calls(); return s->area() + calls(); }
                """), "1 9 a 2 113\n"),
        /**
         * Statics of one name: file-scope statics with the same name in two units, block-scope statics of one name
         * in one function, static locals of inline functions (guard variables in comdats) used from two units.
         */
        SAME_NAMED_STATICS(Map.of("a.cpp", """
                #include <cstdio>
                static int helper(int x) { return x * 2; }
                static int state = 1;
                inline int shared_counter() { static int n = 0; return ++n; }
                int from_b();
                int blocks() {
                    int total = 0;
                    { static int n = 1; total += n++; }
                    { static int n = 10; total += n++; }
                    return total;
                }
                int main() {
                    shared_counter();
                    blocks();
                    std::printf("%d %d %d %d %d\\n", helper(state), from_b(), blocks(), shared_counter(), state);
                }
                """, "b.cpp", """
                static int helper(int x) { return x + 1000; }
                static int state = 5;
                inline int shared_counter() { static int n = 0; return ++n; }
                int from_b() { shared_counter(); return helper(state); }
                """), "2 1005 13 3 1\n");

        final Map<String, String> sources;
        final String expected;

        Program(Map<String, String> sources, String expected) {
            this.sources = sources;
            this.expected = expected;
        }
    }

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

    /**
     * Unnamed internal globals and functions (IR from other frontends and tools has them): each gets a renamed name
     * of its own that the merge makes local again; once the second one's name escaped as a hidden global, and two
     * units defining it did not link.
     */
    @Test
    void unnamedStaticsStayLocalToTheirUnit() throws Exception {
        for (String unit : List.of("one", "two")) {
            WorkerFixture.write(dir.resolve(unit + ".ll"), """
                    target triple = "x86_64-pc-linux-gnu"
                    @0 = internal global i32 NUMBER
                    @1 = internal global i32 4
                    define internal i32 @2(ptr %p) {
                      %v = load i32, ptr %p
                      ret i32 %v
                    }
                    define i32 @NAME() {
                      %a = call i32 @2(ptr @0)
                      %b = call i32 @2(ptr @1)
                      %s = add i32 %a, %b
                      ret i32 %s
                    }
                    """.replace("NUMBER", unit.equals("one") ? "3" : "30").replace("NAME", "sum_" + unit));
            fixture.casOk(dir, "cc", "-O2", "-c", unit + ".ll", "-o", unit + ".o");
        }
        WorkerFixture.write(dir.resolve("main.c"), """
                #include <stdio.h>
                int sum_one(void); int sum_two(void);
                int main(void) { printf("%d %d\\n", sum_one(), sum_two()); return 0; }
                """);
        fixture.casOk(dir, "cc", "-O2", "-o", "prog", "main.c", "one.o", "two.o");
        assertThat(WorkerFixture.run(dir.resolve("prog"), null)).isEqualTo("7 34\n");
        assertThat(fixture.stat(Stat.FUNCTION_FALLBACKS)).as("units not split").isZero();
    }

    /** The program's translation units, in the order they are compiled. */
    private static List<String> units(Program program) {
        return program.sources.keySet().stream().filter(name -> name.endsWith(".cpp")).sorted().toList();
    }

    private static void write(Path file, String text) {
        try {
            WorkerFixture.write(file, text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @ParameterizedTest
    @EnumSource(Program.class)
    void behavesAsClangsBuild(Program program) throws Exception {
        List<String> objects = new ArrayList<>();
        program.sources.forEach((name, text) -> write(dir.resolve(name), text));
        for (String source : units(program)) {
            String object = source.replace(".cpp", ".o");
            // one unit at a time into one cache: a key that wrongly matches an earlier unit's piece is served
            fixture.casOk(dir, "c++", "-O2", "-c", source, "-o", object);
            objects.add(object);
        }
        List<String> link = new ArrayList<>(List.of("-o", "cas-prog"));
        link.addAll(objects);
        fixture.casOk(dir, "c++", link.toArray(String[]::new));

        List<String> plain = new ArrayList<>(List.of("-O2", "-o", "clang-prog"));
        plain.addAll(units(program));
        fixture.clangOk(dir, "c++", plain.toArray(String[]::new));

        String clangOutput = WorkerFixture.run(dir.resolve("clang-prog"), null);
        assertThat(clangOutput).isEqualTo(program.expected);
        assertThat(WorkerFixture.run(dir.resolve("cas-prog"), null)).isEqualTo(clangOutput);
        assertThat(fixture.stat(Stat.FUNCTION_MISSES)).as("pieces compiled").isPositive();
        assertThat(fixture.stat(Stat.FUNCTION_FALLBACKS)).as("units not split").isZero();
    }
}
