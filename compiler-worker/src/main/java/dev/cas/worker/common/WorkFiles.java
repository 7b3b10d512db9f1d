package dev.cas.worker.common;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The two file operations every stage shares: writing an output the user's build reads (never left half-written),
 * and removing a scratch directory (never failing the build that used it).
 */
public final class WorkFiles {
    private static final Logger log = LoggerFactory.getLogger(WorkFiles.class);

    private WorkFiles() {
    }

    /** Writes through a temporary sibling and a rename, so a failed write never leaves a truncated object. */
    public static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        Path temporary = Files.createTempFile(parent, "." + target.getFileName(), ".tmp");
        try {
            Files.write(temporary, bytes);
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
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
