package dev.cas.worker.direct;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cas.store.Digest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileHashesTest {
    @TempDir
    Path dir;

    @Test
    void hashesContent() throws Exception {
        Path file = dir.resolve("a.h");
        Files.writeString(file, "#define A 1\n");
        assertThat(new FileHashes(Clock.systemUTC()).sha256(file)).isEqualTo(Digest.of("#define A 1\n").hash());
    }

    @Test
    void aFileLargerThanTheReadBufferHashesWhole() throws Exception {
        byte[] content = new byte[(3 << 20) + 12_345];
        new Random(7).nextBytes(content);
        Path file = dir.resolve("large.c");
        Files.write(file, content);
        FileHashes hashes = new FileHashes(Clock.systemUTC());
        assertThat(hashes.sha256(file)).isEqualTo(Digest.of(content).hash());
        assertThat(hashes.content(file).sha256()).isEqualTo(Digest.of(content).hash());
    }

    @Test
    void aFileOnlyHashedIsScannedWhenItsContentIsAsked() throws Exception {
        Path file = dir.resolve("stamp.h");
        Files.writeString(file, "const char *built = __DATE__;\n");
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(Duration.ofHours(1))));
        // a clock far ahead: the hash is remembered, but the scan was never done
        FileHashes hashes = new FileHashes(Clock.fixed(Instant.now().plus(Duration.ofDays(1)), ZoneOffset.UTC));
        String hash = hashes.sha256(file);
        FileHashes.Content content = hashes.content(file);
        assertThat(content.sha256()).isEqualTo(hash);
        assertThat(content.usesTimeOrEmbed()).isTrue();
    }

    @Test
    void timeMacrosAndEmbedsAreFoundAnywhereInAFile() throws Exception {
        FileHashes hashes = new FileHashes(Clock.systemUTC());
        String[] users = {"const char *d = __DATE__;", "x __TIME__", "__TIMESTAMP__", "a___DATE__b",
            "char d[] = {\n#embed \"data.bin\"\n};", "#  embed <x>", "#\tembed"};
        String[] others = {"__DAT", "_DATE__", "__TIME_", "int __x__;", "_", "", "# emb", "#include <embed.h>",
            "int embed;"};
        for (int i = 0; i < users.length; i++) {
            Path file = dir.resolve("user" + i + ".h");
            Files.writeString(file, users[i]);
            assertThat(hashes.content(file).usesTimeOrEmbed()).as(users[i]).isTrue();
        }
        for (int i = 0; i < others.length; i++) {
            Path file = dir.resolve("other" + i + ".h");
            Files.writeString(file, others[i]);
            assertThat(hashes.content(file).usesTimeOrEmbed()).as(others[i]).isFalse();
        }
    }

    @Test
    void theScanFindsAMatchAtAnyOffsetAndNothingElse() {
        String[] users = {"__DATE__", "__TIME__", "__TIMESTAMP__", "___TIME__", "#embed", "# embed", "#\tembed"};
        String[] others = {"__DAT", "_DATE__", "__TIME_", "int __x__;", "#emb", "#include <embed.h>", "_ _DATE__"};
        for (int offset = 0; offset < 20; offset++) {
            for (String padding : new String[] {"a", "_", "#"}) {
                String before = padding.repeat(offset);
                for (String user : users) {
                    String text = before + user + "abcdefghijklmnop";
                    assertThat(FileHashes.usesTimeOrEmbed(text.getBytes())).as(text).isTrue();
                    assertThat(FileHashes.usesTimeOrEmbed((before + user).getBytes())).as(before + user).isTrue();
                }
                for (String other : others) {
                    String text = "x".repeat(offset) + other + "x".repeat(offset);
                    assertThat(FileHashes.usesTimeOrEmbed(text.getBytes())).as(text).isFalse();
                }
            }
        }
    }

    @Test
    void anEditIsSeenEvenWhenSizeAndModificationTimeAreKept() throws Exception {
        Path file = dir.resolve("a.h");
        Files.writeString(file, "#define A 1\n");
        FileTime old = FileTime.from(Instant.now().minus(Duration.ofHours(1)));
        Files.setLastModifiedTime(file, old);
        // a clock far ahead: every file counts as settled, so its hash is remembered
        FileHashes hashes = new FileHashes(Clock.fixed(Instant.now().plus(Duration.ofDays(1)), ZoneOffset.UTC));
        String first = hashes.sha256(file);

        Files.writeString(file, "#define A 2\n"); // same size
        Files.setLastModifiedTime(file, old);     // same mtime: only the change time and content differ
        assertThat(hashes.sha256(file)).isNotEqualTo(first).isEqualTo(Digest.of("#define A 2\n").hash());
    }

    /**
     * A header reached through a symbolic link (an include directory of links, as CMake installs and Bazel's virtual
     * includes make): an edit of the file it names is seen, in both the hash and the scanned content. Before, the
     * link's own identity was compared, which an edit of its target leaves alone: a running worker served the object
     * built with the old header.
     */
    @Test
    void anEditOfTheFileALinkNamesIsSeen() throws Exception {
        Path target = Files.createDirectories(dir.resolve("real")).resolve("v.h");
        Files.writeString(target, "#define V 1\n");
        Path link = Files.createDirectories(dir.resolve("include")).resolve("v.h");
        Files.createSymbolicLink(link, target);
        FileHashes hashes = new FileHashes(Clock.fixed(Instant.now().plus(Duration.ofDays(1)), ZoneOffset.UTC));
        String first = hashes.sha256(link);
        assertThat(hashes.content(link).sha256()).isEqualTo(first);

        Files.writeString(target, "#define V 2\n");
        String second = Digest.of("#define V 2\n").hash();
        assertThat(hashes.sha256(link)).isNotEqualTo(first).isEqualTo(second);
        assertThat(hashes.content(link).sha256()).isEqualTo(second);
        assertThat(hashes.editedSinceHashed(link)).isFalse(); // hashed again since
    }

    @Test
    void aHashIsReusedSoonerWhereTimeStampsHaveFractionsOfASecond() throws Exception {
        FileTime whole = FileTime.from(Instant.parse("2026-12-01T02:18:22Z"));
        FileTime fine = FileTime.from(Instant.parse("2026-12-01T02:18:22.829761628Z"));
        assertThat(FileHashes.settleMillis(fine, fine)).isEqualTo(FileHashes.FINE_SETTLE_MILLIS);
        assertThat(FileHashes.settleMillis(whole, fine)).isEqualTo(FileHashes.FINE_SETTLE_MILLIS);
        assertThat(FileHashes.settleMillis(whole, whole)).isEqualTo(FileHashes.SETTLE_MILLIS);
    }

    @Test
    void aFreshlyWrittenFileIsNotRemembered() throws Exception {
        Path file = dir.resolve("b.h");
        Files.writeString(file, "int b;\n");
        FileHashes hashes = new FileHashes(Clock.systemUTC());
        hashes.sha256(file);
        Files.writeString(file, "int c;\n");
        assertThat(hashes.sha256(file)).isEqualTo(Digest.of("int c;\n").hash());
    }

    @Test
    void filesHashedAheadAreKnownSoTheirEditsAreSeen() throws Exception {
        Path headers = Files.createDirectory(dir.resolve("include"));
        Files.writeString(headers.resolve("a.h"), "int a;\n");
        Files.writeString(headers.resolve("b.h"), "int b;\n");
        Files.createDirectory(headers.resolve("sys"));
        Path elsewhere = Files.writeString(dir.resolve("c.h"), "int c;\n");
        FileHashes hashes = new FileHashes(Clock.systemUTC());

        assertThat(hashes.hashAhead(headers, () -> false)).isEqualTo(2);
        Files.writeString(headers.resolve("a.h"), "int a2;\n");
        Files.writeString(elsewhere, "int c2;\n");
        assertThat(hashes.editedSinceHashed(headers.resolve("a.h"))).isTrue();
        assertThat(hashes.editedSinceHashed(headers.resolve("b.h"))).isFalse();
        assertThat(hashes.editedSinceHashed(elsewhere)).isFalse(); // never hashed: not known as edited
        assertThat(hashes.sha256(headers.resolve("a.h"))).isEqualTo(Digest.of("int a2;\n").hash());
    }

    @Test
    void hashingAheadStopsAsSoonAsABuildRuns() throws Exception {
        Path headers = Files.createDirectory(dir.resolve("include"));
        for (int i = 0; i < 5; i++) {
            Files.writeString(headers.resolve(i + ".h"), "int x" + i + ";\n");
        }
        assertThat(new FileHashes(Clock.systemUTC()).hashAhead(headers, () -> true)).isZero();
        AtomicInteger asked = new AtomicInteger();
        assertThat(new FileHashes(Clock.systemUTC()).hashAhead(headers, () -> asked.incrementAndGet() > 2))
                .isEqualTo(2);
    }

    @Test
    void aFileWrittenJustBeforeTheCompileCountsAsWrittenDuringIt() throws Exception {
        Path header = dir.resolve("a.h");
        Files.writeString(header, "#define A 1\n");
        FileHashes hashes = new FileHashes(Clock.systemUTC());
        hashes.content(header);
        long changed = Files.getLastModifiedTime(header).toMillis();
        // the file system's stamps trail the wall clock by up to a tick: within it, a write cannot be told apart
        assertThat(hashes.writtenSince(header, changed + FileHashes.FINE_STAMP_LAG_MILLIS)).isTrue();
        assertThat(hashes.writtenSince(header, changed + FileHashes.SETTLE_MILLIS + 1)).isFalse();
        assertThat(hashes.writtenSince(dir.resolve("never-hashed.h"), changed + 3_600_000)).isTrue();
    }
}
