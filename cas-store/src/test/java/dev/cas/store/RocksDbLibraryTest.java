package dev.cas.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.util.Environment;

class RocksDbLibraryTest {
    @TempDir
    Path dir;

    @Test
    void keepsOneCopyOfTheLibraryAndReusesIt() throws Exception {
        RocksDbLibrary.load(dir.resolve("native"));
        Path kept = onlyLibrary();
        long shipped = RocksDB.class.getClassLoader().getResource(Environment.getJniLibraryFileName("rocksdb"))
                .openConnection().getContentLengthLong();
        assertThat(Files.size(kept)).isEqualTo(shipped);
        FileTime written = FileTime.fromMillis(1_000_000_000_000L);
        Files.setLastModifiedTime(kept, written);

        RocksDbLibrary.load(dir.resolve("native"));
        assertThat(onlyLibrary()).isEqualTo(kept);
        assertThat(Files.getLastModifiedTime(kept)).as("not extracted again").isEqualTo(written);
        try (Options options = new Options().setCreateIfMissing(true);
                RocksDB db = RocksDB.open(options, dir.resolve("db").toString())) {
            db.put(new byte[] {1}, new byte[] {2});
            assertThat(db.get(new byte[] {1})).containsExactly(2);
        }
    }

    @Test
    void aTruncatedCopyIsReplaced() throws Exception {
        RocksDbLibrary.load(dir.resolve("native"));
        Path kept = onlyLibrary();
        long size = Files.size(kept);
        // a new file in its place, as an interrupted copy would be: the loaded library's pages stay mapped
        Path truncated = Files.write(dir.resolve("truncated"), new byte[] {0x7f, 'E', 'L', 'F'});
        Files.move(truncated, kept, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        RocksDbLibrary.load(dir.resolve("native"));
        assertThat(Files.size(kept)).isEqualTo(size);
    }

    private Path onlyLibrary() throws Exception {
        try (Stream<Path> files = Files.walk(dir.resolve("native"))) {
            List<Path> libraries = files.filter(Files::isRegularFile).toList();
            assertThat(libraries).hasSize(1);
            return libraries.get(0);
        }
    }
}
