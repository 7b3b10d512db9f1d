package dev.cas.worker.command;

import java.nio.file.Path;
import java.util.Locale;

/**
 * One input of a compiler command line and how it is built: C or C++ source, preprocessed source, LLVM IR,
 * assembly (handed to the driver), or something only the linker reads.
 */
public record SourceFile(String path, Kind kind, String explicitLanguage) {

    /** How an input is turned into an object. */
    public enum Kind {
        C, CXX, PREPROCESSED_C, PREPROCESSED_CXX, LLVM_IR, ASSEMBLY, LINKER_INPUT;

        public boolean isSource() {
            return this == C || this == CXX;
        }

        public boolean isCompiled() {
            return this != LINKER_INPUT;
        }
    }

    /** Classifies an input the way the clang driver would, given its driver mode and any {@code -x} in force. */
    public static SourceFile classify(String path, boolean cxxDriver, String language) {
        if (language != null) {
            return new SourceFile(path, switch (language) {
                case "c" -> Kind.C;
                case "c++" -> Kind.CXX;
                case "cpp-output" -> Kind.PREPROCESSED_C;
                case "c++-cpp-output" -> Kind.PREPROCESSED_CXX;
                case "ir" -> Kind.LLVM_IR;
                case "assembler", "assembler-with-cpp" -> Kind.ASSEMBLY;
                default -> throw new IllegalArgumentException(language);
            }, language);
        }
        String name = Path.of(path).getFileName().toString();
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1);
        Kind kind = switch (ext) {
            case "c" -> cxxDriver ? Kind.CXX : Kind.C;
            case "cc", "cpp", "cxx", "c++", "C", "cp", "CPP" -> Kind.CXX;
            case "i" -> cxxDriver ? Kind.PREPROCESSED_CXX : Kind.PREPROCESSED_C;
            case "ii" -> Kind.PREPROCESSED_CXX;
            case "ll", "bc" -> Kind.LLVM_IR;
            case "s", "S", "sx" -> Kind.ASSEMBLY;
            default -> Kind.LINKER_INPUT;
        };
        return new SourceFile(path, kind, null);
    }

    /** {@code dir/name.c} becomes {@code name.o}, the object clang writes for {@code -c} without {@code -o}. */
    public String defaultObjectName() {
        String name = Path.of(path).getFileName().toString();
        int dot = name.lastIndexOf('.');
        return (dot < 0 ? name : name.substring(0, dot)) + ".o";
    }

    /** The clang driver mode for the compiler named on the command line: g++ for C++ compilers, gcc otherwise. */
    public static String driverModeFlag(String compiler) {
        return isCxxDriver(compiler) ? "--driver-mode=g++" : "--driver-mode=gcc";
    }

    public static boolean isCxxDriver(String compiler) {
        String name = Path.of(compiler).getFileName().toString().toLowerCase(Locale.ROOT);
        return name.contains("++") || name.matches(".*\\bcxx\\b.*");
    }
}
