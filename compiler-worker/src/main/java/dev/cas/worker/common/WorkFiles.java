package dev.cas.worker.common;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two file operations every stage shares: writing an output the user's build reads (never left half-written),
 * and removing a scratch directory (never failing the build that used it).
 */
public final class WorkFiles {
    private static final Logger log = LoggerFactory.getLogger(WorkFiles.class);
    /**
     * What clang asks for when it creates an object (0666); the kernel takes the umask off, so {@code umask 022} gives
     * 0644 as with clang. A temporary file's default (0600) left every object unreadable to other users of a shared
     * build tree.
     */
    private static final FileAttribute<Set<PosixFilePermission>> LIKE_CLANG =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-rw-rw-"));

    private WorkFiles() {
    }

    /**
     * Writes through a temporary sibling and a rename, so a failed write never leaves a truncated object. The file gets
     * the permissions clang's would: 0666 less the worker's umask (which it has from the build that started it; the
     * processes it runs, clang and the linker, use the same).
     */
    public static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        Path temporary = createTemporary(parent, "." + target.getFileName());
        try {
            Files.write(temporary, bytes);
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    private static Path createTemporary(Path directory, String prefix) throws IOException {
        try {
            return Files.createTempFile(directory, prefix, ".tmp", LIKE_CLANG);
        } catch (UnsupportedOperationException noPosixPermissions) {
            return Files.createTempFile(directory, prefix, ".tmp");
        }
    }

    /** Removes {@code directory} and everything in it; what cannot be removed is logged and left. */
    public static void deleteRecursively(Path directory) {
        try (var paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            log.debug("cannot remove scratch directory {}: {}", directory, e.toString());
        }
    }
}
