package dev.cas.worker.clang;

import dev.cas.worker.command.CompilerInvocation;
import dev.cas.worker.command.SourceFile;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The bundled clang run on the user's arguments as they are, linking with the bundled lld: for commands the cache
 * cannot help with, and for compiling without the cache when the worker is unavailable.
 */
public final class DirectClang {
    private static final Set<String> NOT_LINKING = Set.of("-c", "-E", "-S", "-M", "-MM", "-fsyntax-only");
    /**
     * Links with the bundled lld, as Debian's GNU ld would: lld refuses a version script that names a symbol the
     * library does not define ({@code --no-undefined-version} is its default since LLVM 16, not GNU ld's), and real
     * {@code configure} scripts probe exactly that before building shared libraries. GNU ld accepts the flag too, for
     * a user who picks it with {@code -fuse-ld=bfd}.
     */
    static final List<String> LINKER_FLAGS = List.of("-fuse-ld=lld", "-Wl,--undefined-version");

    private DirectClang() {
    }

    public static List<String> command(Toolchain toolchain, String compiler, List<String> args) {
        List<String> command = driver(toolchain, compiler);
        if (links(args)) {
            command.addAll(LINKER_FLAGS);
        }
        command.addAll(args);
        return command;
    }

    /**
     * Whether clang links on these arguments: an input (a file, or {@code -} for standard input) and no flag that
     * stops it before. Without an input ({@code -v}, {@code -###}, {@code -print-*}) the linker flags would change
     * what clang does: {@code -Wl,} is a linker input of its own (clang links, and fails without {@code main}), and
     * {@code -fuse-ld=} draws an unused-argument warning.
     */
    static boolean links(List<String> args) {
        boolean input = false;
        for (int i = 0; i < args.size(); i++) {
            String arg = args.get(i);
            if (NOT_LINKING.contains(arg)) {
                return false;
            }
            if (CompilerInvocation.separateValueOptions().contains(arg)) {
                i++;
            } else if (arg.equals("-") || !arg.startsWith("-")) {
                input = true;
            }
        }
        return input;
    }

    /** The flags that stop clang before linking; without them, and with an input, {@link #linkerFlags()} go first. */
    public static Set<String> notLinkingFlags() {
        return NOT_LINKING;
    }

    public static List<String> linkerFlags() {
        return LINKER_FLAGS;
    }

    /** The bundled clang in the driver mode {@code compiler} asks for; callers add the arguments. */
    static List<String> driver(Toolchain toolchain, String compiler) {
        List<String> command = new ArrayList<>();
        command.add(toolchain.clang().toString());
        command.add(SourceFile.driverModeFlag(compiler));
        return command;
    }
}
