package dev.cas.worker.clang;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;
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
     * Extracts the bundled executables (first time ~5 s) and repairs the preset's packaging: its executables need
     * {@code libLLVM.so.20.1} and {@code libclang-cpp.so.20.1}, the jar ships only the unversioned names, and clang
     * finds lld only as {@code ld.lld}. Loads no library: LLVM's version is the preset's (its version is LLVM's and
     * JavaCPP's, {@code 20.1.7-1.5.12}), and a worker serving -O0 units or hits never needs LLVM in-process.
     */
    public static Toolchain load() {
        String preset = buildProperty("llvm.preset");
        int dash = preset.indexOf('-');
        String llvmVersion = dash > 0 ? preset.substring(0, dash) : loadedLlvmVersion();
        String soVersion = llvmVersion.substring(0, llvmVersion.lastIndexOf('.'));
        Path binDir = binDirectory();
        link(binDir.resolve("libLLVM.so." + soVersion), "libLLVM.so");
        link(binDir.resolve("libclang-cpp.so." + soVersion), "libclang-cpp.so");
        link(binDir.resolve("ld.lld"), "lld");
        // the extraction marks only some of the bundled programs executable
        for (String tool : new String[] {"lld", "llvm-objcopy"}) {
            binDir.resolve(tool).toFile().setExecutable(true);
        }
        String identity = "llvm=" + llvmVersion + ";preset=" + preset
                + ";triple=" + TARGET_TRIPLE + ";cas=" + buildProperty("version");
        return new Toolchain(binDir, identity);
    }

    /**
     * Where the bundled programs are. When an earlier start extracted them, JavaCPP checks each against the jar and
     * extracts it again if it differs (~40 ms); the first time, the preset's loader extracts everything clang needs
     * (~5 s; it also loads clang's libraries into this process, ~0.3 s on every start, which is why it is not the
     * usual path).
     */
    private static Path binDirectory() {
        try {
            String dir = "/org/bytedeco/llvm/" + Loader.getPlatform() + "/";
            Path clangPath = Loader.cacheResource(clang.class, dir + "clang").toPath();
            boolean complete = true;
            for (String file : new String[] {"libLLVM.so", "libclang-cpp.so", "lld", "llvm-objcopy"}) {
                complete &= Files.isRegularFile(clangPath.resolveSibling(file))
                        && Loader.cacheResource(clang.class, dir + file) != null;
            }
            if (complete) {
                return clangPath.getParent();
            }
        } catch (IOException | RuntimeException e) {
            // extracted as the preset does it, below
        }
        return Path.of(Loader.load(clang.class)).getParent();
    }

    /** LLVM's version as the loaded library reports it; loads the library (~0.1 s). */
    private static String loadedLlvmVersion() {
        int[] major = new int[1];
        int[] minor = new int[1];
        int[] patch = new int[1];
        LLVM.LLVMGetVersion(major, minor, patch);
        return major[0] + "." + minor[0] + "." + patch[0];
    }

    /** LLVM version, preset version, target triple and this project's version; CPU and features come from flags. */
    public String identity() {
        return identity;
    }

    public Path clang() {
        return binDir.resolve("clang");
    }

    /** The directory of clang's own headers (stddef.h, stdarg.h, the intrinsics), empty if not found. */
    public Optional<Path> resourceHeaders() {
        try (Stream<Path> versions = Files.list(binDir.resolve("lib").resolve("clang"))) {
            return versions.map(version -> version.resolve("include")).filter(Files::isDirectory).findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    public Path binDir() {
        return binDir;
    }

    public static String buildProperty(String name) {
        return BuildProperties.VALUES.getProperty(name, "unknown");
    }

    /** Read once, when first asked: the worker asks for the build id on every request. */
    private static final class BuildProperties {
        static final Properties VALUES = read();

        private static Properties read() {
            Properties properties = new Properties();
            try (InputStream in = Toolchain.class.getResourceAsStream("/dev/cas/worker/build.properties")) {
                if (in != null) {
                    properties.load(in);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return properties;
        }
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
