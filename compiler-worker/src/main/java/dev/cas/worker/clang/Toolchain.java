package dev.cas.worker.clang;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.llvm.global.LLVM;
import org.bytedeco.llvm.program.clang;

/**
 * The compilers this project runs, all from the bytedeco LLVM preset on Maven Central: the bundled clang driver and
 * frontend, lld, and the in-process LLVM C API. Its {@link #identity()} goes into every fingerprint, so results of
 * one toolchain are never served to another.
 */
public final class Toolchain {
    public static final String TARGET_TRIPLE = "x86_64-unknown-linux-gnu";

    private final Path binDir;
    private final String identity;

    private Toolchain(Path binDir, String identity) {
        this.binDir = binDir;
        this.identity = identity;
    }

    /**
     * Extracts the bundled executables (first time ~5 s, then ~0.15 s) and repairs the preset's packaging: its
     * executables need {@code libLLVM.so.20.1} and {@code libclang-cpp.so.20.1}, the jar ships only the unversioned
     * names, and clang finds lld only as {@code ld.lld}.
     */
    public static Toolchain load() {
        Path clangPath = Path.of(Loader.load(clang.class));
        Path binDir = clangPath.getParent();
        int[] major = new int[1];
        int[] minor = new int[1];
        int[] patch = new int[1];
        LLVM.LLVMGetVersion(major, minor, patch);
        String llvmVersion = major[0] + "." + minor[0] + "." + patch[0];
        String soVersion = major[0] + "." + minor[0];
        link(binDir.resolve("libLLVM.so." + soVersion), "libLLVM.so");
        link(binDir.resolve("libclang-cpp.so." + soVersion), "libclang-cpp.so");
        link(binDir.resolve("ld.lld"), "lld");
        // the extraction marks only some of the bundled programs executable
        for (String tool : new String[] {"lld", "llvm-objcopy"}) {
            binDir.resolve(tool).toFile().setExecutable(true);
        }
        String identity = "llvm=" + llvmVersion + ";preset=" + buildProperty("llvm.preset")
                + ";triple=" + TARGET_TRIPLE + ";cas=" + buildProperty("version");
        return new Toolchain(binDir, identity);
    }

    /** LLVM version, preset version, target triple and this project's version; CPU and features come from flags. */
    public String identity() {
        return identity;
    }

    public Path clang() {
        return binDir.resolve("clang");
    }

    public Path binDir() {
        return binDir;
    }

    public static String buildProperty(String name) {
        Properties properties = new Properties();
        try (InputStream in = Toolchain.class.getResourceAsStream("build.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return properties.getProperty(name, "unknown");
    }

    /** Creates {@code link -> target} unless it exists; tolerates a concurrent process creating it first. */
    private static void link(Path link, String target) {
        if (Files.exists(link)) {
            return;
        }
        try {
            Files.createSymbolicLink(link, Path.of(target));
        } catch (FileAlreadyExistsException raced) {
            // another process repaired it at the same moment
        } catch (IOException e) {
            throw new UncheckedIOException("cannot repair the LLVM preset's packaging at " + link, e);
        }
    }
}
