package dev.cas.worker.direct;

import dev.cas.store.Digest;
import dev.cas.worker.cache.SealedText;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The direct-mode record of a unit, as ccache keeps one: every file the preprocessor read (with the SHA-256 of its
 * content), the unit key that preprocessing gave, and the dependency file clang wrote. When every file still has the
 * recorded content, the unit key is known without running the preprocessor. Stored with a checksum of its own text.
 */
public record IncludeManifest(Digest unitKey, List<FileHash> files, byte[] dependencyFile) {
    private static final Logger log = LoggerFactory.getLogger(IncludeManifest.class);

    private static final String HEADER = "cas-include-manifest 1";

    /** One file the preprocessor read, as named in the line markers (relative to the working directory or absolute). */
    record FileHash(String path, String sha256) {
    }

    /**
     * Builds the record from preprocessed text: the files are those its line markers name. Empty when the unit cannot
     * be served in direct mode (a file is gone already, or uses {@code __TIME__}, {@code __DATE__}...).
     */
    static Optional<IncludeManifest> fromPreprocessed(Digest unitKey, byte[] text, Path workingDirectory,
            byte[] dependencyFile, FileHashes hashes, long compileStartedMillis) throws IOException {
        return hash(lineMarkerFiles(text), workingDirectory, hashes, compileStartedMillis)
                .map(files -> new IncludeManifest(unitKey, files, dependencyFile));
    }

    /**
     * The content hash of each named file (relative to the working directory or absolute); empty when one is not a
     * regular file, uses {@code __TIME__}, {@code __DATE__}... or {@code #embed} (such a unit is never served without
     * compiling it), or was written since the compile that read it started (the content hashed now may not be the
     * content compiled: a record of it would serve that object for the new content).
     */
    static Optional<List<FileHash>> hash(Collection<String> names, Path workingDirectory, FileHashes hashes,
            long compileStartedMillis) throws IOException {
        List<FileHash> files = new ArrayList<>();
        for (String name : names) {
            Path file = workingDirectory.resolve(name);
            if (!Files.isRegularFile(file)) {
                return Optional.empty();
            }
            FileHashes.Content content = hashes.content(file);
            if (content.usesTimeOrEmbed()) {
                return Optional.empty();
            }
            if (hashes.writtenSince(file, compileStartedMillis)) {
                log.debug("no record: {} was written while the unit compiled", name);
                return Optional.empty();
            }
            files.add(new FileHash(name, content.sha256()));
        }
        return Optional.of(files);
    }

    /** True when every recorded file still has the recorded content. */
    boolean stillMatches(Path workingDirectory, FileHashes hashes) {
        for (FileHash file : files) {
            try {
                if (!hashes.sha256(workingDirectory.resolve(file.path())).equals(file.sha256())) {
                    return false;
                }
            } catch (IOException gone) {
                return false;
            }
        }
        return true;
    }

    byte[] encode() {
        StringBuilder body = new StringBuilder();
        body.append("unit ").append(unitKey).append('\n');
        body.append("deps ").append(Base64.getEncoder().encodeToString(dependencyFile)).append('\n');
        for (FileHash file : files) {
            body.append("file ").append(file.sha256()).append(' ').append(file.path()).append('\n');
        }
        return SealedText.seal(HEADER, body.toString());
    }

    static Optional<IncludeManifest> decode(byte[] stored) {
        Optional<String> body = SealedText.open(stored, HEADER);
        if (body.isEmpty()) {
            return Optional.empty();
        }
        Digest unit = null;
        byte[] deps = null;
        List<FileHash> files = new ArrayList<>();
        try {
            for (String line : body.get().split("\n")) {
                if (line.startsWith("unit ")) {
                    unit = Digest.parse(line.substring(5));
                } else if (line.startsWith("deps ")) {
                    deps = Base64.getDecoder().decode(line.substring(5));
                } else if (line.startsWith("file ")) {
                    files.add(new FileHash(line.substring(5 + 64 + 1), line.substring(5, 5 + 64)));
                } else {
                    return Optional.empty();
                }
            }
        } catch (RuntimeException malformed) {
            return Optional.empty();
        }
        return unit == null || deps == null ? Optional.empty() : Optional.of(new IncludeManifest(unit, files, deps));
    }

    /** The distinct file names in {@code # N "name" ...} lines, leaving out {@code <built-in>} and the like. */
    static Set<String> lineMarkerFiles(byte[] text) {
        Set<String> names = new LinkedHashSet<>();
        LineMarkers.forEach(text, (open, close) -> {
            if (close > open + 1 && text[open + 1] != '<') {
                String name = new String(text, open + 1, close - open - 1, StandardCharsets.UTF_8);
                if (!name.contains("\\")) {
                    names.add(name);
                }
            }
        });
        return names;
    }
}
