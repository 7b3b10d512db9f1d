package dev.cas.worker.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The test corpora kept in the repository under {@code testdata/} (compressed source archives: the SQLite
 * amalgamation and the real projects), unpacked on first use into the module's {@code target/testdata/}. A clean
 * clone needs nothing beside it. Shared by every module's tests (the compiler-worker test jar).
 */
public final class TestCorpora {
    private TestCorpora() {
    }

    /** The SQLite 3.52.0 amalgamation, its shell and {@code workload.sql}. */
    public static Path sqlite() {
        return unpack("sqlite-3.52.0.tar.gz").resolve("sqlite");
    }

    /** A real project from {@code testdata/real/}, e.g. {@code yaml-cpp-0.9.0}: its unpacked source tree. */
    public static Path realProject(String name) {
        return unpack("real/" + name + ".tar.gz").resolve(name);
    }

    /** The repository's root: the nearest directory above the working directory that holds {@code testdata/}. */
    public static Path repositoryRoot() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("testdata")) && Files.isRegularFile(dir.resolve("pom.xml"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no testdata/ above " + Path.of("").toAbsolutePath());
    }

    /**
     * Unpacks {@code archive} (relative to {@code testdata/}) once: into a fresh directory that is renamed into place
     * when complete, so an interrupted run never leaves a half-unpacked tree behind for the next.
     */
    private static synchronized Path unpack(String archive) {
        Path source = repositoryRoot().resolve("testdata").resolve(archive);
        Path target = Path.of("target", "testdata", archive.replace(".tar.gz", "")).toAbsolutePath();
        if (Files.isDirectory(target)) {
            return target;
        }
        try {
            Files.createDirectories(target.getParent());
            Path partial = Files.createTempDirectory(target.getParent(), target.getFileName() + ".partial");
            Process tar = new ProcessBuilder(List.of("tar", "-xzf", source.toString(), "-C", partial.toString()))
                    .redirectErrorStream(true).start();
            String output = new String(tar.getInputStream().readAllBytes());
            if (!tar.waitFor(5, TimeUnit.MINUTES) || tar.exitValue() != 0) {
                throw new IllegalStateException("tar -xzf " + source + " failed: " + output);
            }
            try {
                Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                if (!Files.isDirectory(target)) { // else another test JVM unpacked it first
                    throw e;
                }
            }
            return target;
        } catch (IOException e) {
            throw new IllegalStateException("cannot unpack " + source, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted unpacking " + source, e);
        }
    }
}
