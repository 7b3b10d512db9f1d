package dev.cas.worker.direct;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A record is made only of files written before the compile that read them started: a file written since may not be
 * what the compiler read, and a record of its new hash would serve the old object for the new content.
 */
class IncludeManifestTest {
    private static final long HOUR = 3_600_000;

    @TempDir
    Path dir;

    @Test
    void filesWrittenBeforeTheCompileAreRecorded() throws Exception {
        Files.writeString(dir.resolve("a.c"), "#include \"a.h\"\n");
        Files.writeString(dir.resolve("a.h"), "#define A 1\n");
        FileHashes hashes = new FileHashes(Clock.systemUTC());
        long startedLater = System.currentTimeMillis() + HOUR;
        assertThat(IncludeManifest.hash(List.of("a.c", "a.h"), dir, hashes, startedLater)).get()
                .extracting(List::size).isEqualTo(2);
    }

    @Test
    void aFileWrittenSinceTheCompileStartedLeavesNoRecord() throws Exception {
        Files.writeString(dir.resolve("a.c"), "#include \"a.h\"\n");
        Files.writeString(dir.resolve("a.h"), "#define A 1\n");
        FileHashes hashes = new FileHashes(Clock.systemUTC());
        long startedBefore = System.currentTimeMillis() - HOUR;
        assertThat(IncludeManifest.hash(List.of("a.c", "a.h"), dir, hashes, startedBefore)).isEmpty();
    }
}
