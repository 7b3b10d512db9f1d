package dev.cas.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cas.worker.cache.Stat;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * C++ through the in-process back end: templates, inline variables with dynamic initialisers in two units (comdat
 * constructors), exceptions, virtual calls, iostreams, static constructors with priorities and static destructors.
 */
class CxxProgramIT {
    static final String EXPECTED = """
            registered: 2
            banner:ok
            sum 6 0.75
            caught empty
            caught out_of_range
            area 9
            counters 2
            early 7
            static destructor ran
            late destructor
            """;

    @TempDir
    static Path dir;
    static WorkerFixture fixture;

    @BeforeAll
    static void setUp() throws Exception {
        fixture = new WorkerFixture(dir.resolve("cache"));
        writeSources(dir);
    }

    /** registry.h, a.cpp and main.cpp: the program whose output is {@link #EXPECTED}. */
    static void writeSources(Path dir) throws Exception {
        WorkerFixture.write(dir.resolve("registry.h"), """
                #pragma once
                #include <iostream>
                #include <string>
                #include <vector>
                struct Registry { std::vector<std::string> names; void add(const std::string& n) { names.push_back(n); } };
                inline Registry& registry() { static Registry r; return r; }
                struct Registrar { explicit Registrar(const char* n) { registry().add(n); } };
                template <typename T> struct Counter {
                    static inline int created = 0;
                    T value;
                    explicit Counter(T v) : value(v) { ++created; }
                };
                inline std::string banner = std::string("banner:") + "ok";
                template <typename T> T sum(const std::vector<T>& v) { T s{}; for (const auto& x : v) s += x; return s; }
                """);
        WorkerFixture.write(dir.resolve("a.cpp"), """
                #include "registry.h"
                static Registrar ra("a");
                int from_a() { return sum(std::vector<int>{1, 2, 3}) + static_cast<int>(banner.size()) * 0; }
                """);
        WorkerFixture.write(dir.resolve("main.cpp"), """
                #include "registry.h"
                #include <cstdio>
                #include <map>
                #include <memory>
                #include <stdexcept>
                static Registrar rm("main");
                static int early_value;
                __attribute__((constructor(101))) static void early() { early_value = 7; }
                __attribute__((destructor)) static void late() { std::printf("late destructor\\n"); }
                struct Noisy { ~Noisy() { std::cout << "static destructor ran" << std::endl; } } noisy;
                int from_a();
                struct Shape { virtual ~Shape() = default; virtual double area() const = 0; };
                struct Square : Shape {
                    double s;
                    explicit Square(double side) : s(side) {}
                    double area() const override { return s * s; }
                };
                int parse(const std::string& s) { if (s.empty()) throw std::invalid_argument("empty"); return std::stoi(s); }
                int main() {
                    std::cout << "registered: " << registry().names.size() << "\\n";
                    std::cout << banner << "\\n";
                    std::cout << "sum " << from_a() << " " << sum(std::vector<double>{0.5, 0.25}) << "\\n";
                    try { parse(""); } catch (const std::invalid_argument& e) { std::cout << "caught " << e.what() << "\\n"; }
                    try { std::map<int, int> m; m.at(3); } catch (const std::out_of_range&) { std::cout << "caught out_of_range\\n"; }
                    std::unique_ptr<Shape> sq = std::make_unique<Square>(3);
                    std::cout << "area " << sq->area() << "\\n";
                    Counter<int> c1(1), c2(2);
                    std::cout << "counters " << Counter<int>::created << "\\n";
                    std::cout << "early " << early_value << std::endl;
                }
                """);
    }

    @AfterAll
    static void tearDown() {
        fixture.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"-O0", "-O2"})
    void runsLikeClangsBuild(String opt) throws Exception {
        String viaCache = "cxx-cas" + opt;
        String viaClang = "cxx-clang" + opt;
        fixture.casOk(dir, "c++", opt, "-std=c++17", "-c", "a.cpp", "-o", "a" + opt + ".o");
        fixture.casOk(dir, "c++", opt, "-std=c++17", "-c", "main.cpp", "-o", "main" + opt + ".o");
        fixture.casOk(dir, "c++", "-o", viaCache, "a" + opt + ".o", "main" + opt + ".o");
        fixture.clangOk(dir, "c++", opt, "-std=c++17", "-o", viaClang, "a.cpp", "main.cpp");

        String expected = WorkerFixture.run(dir.resolve(viaClang), null);
        assertThat(expected).isEqualTo(EXPECTED);
        assertThat(WorkerFixture.run(dir.resolve(viaCache), null)).isEqualTo(expected);

        // the one-step compile-and-link path, now served from the cache
        long hits = fixture.stat(Stat.UNIT_HITS);
        fixture.casOk(dir, "clang++", opt, "-std=c++17", "-o", viaCache + "-linked", "a.cpp", "main.cpp");
        assertThat(fixture.stat(Stat.UNIT_HITS) - hits).isEqualTo(2);
        assertThat(WorkerFixture.run(dir.resolve(viaCache + "-linked"), null)).isEqualTo(expected);
    }
}
