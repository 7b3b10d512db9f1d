package dev.cas.store;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HexFormat;
import java.util.List;
import org.rocksdb.RocksDB;
import org.rocksdb.util.Environment;

/**
 * Loads RocksDB's native library from a copy kept in a directory, extracted once per library, where
 * {@code RocksDB.loadLibrary()} copies the 15 MB library out of its jar into a new temporary file at every start
 * (~0.12 s of each worker start, and a file left in /tmp by every process that is killed). Whatever goes wrong here,
 * RocksDB's own loading takes over.
 */
public final class RocksDbLibrary {
    private RocksDbLibrary() {
    }

    /** Loads the library, from {@code directory} when it can; call before the first database is opened. */
    public static void load(Path directory) {
        try {
            Path kept = kept(directory);
            RocksDB.loadLibrary(List.of(kept.getParent().toString()));
        } catch (IOException | RuntimeException | UnsatisfiedLinkError e) {
            RocksDB.loadLibrary();
        }
    }

    /**
     * The library's copy in {@code directory}, extracted if it is not there yet: in a subdirectory named by the jar
     * entry it comes from and its size (another RocksDB version, another copy), under the name
     * {@code RocksDB.loadLibrary(paths)} looks for, written to a temporary file and renamed, so a process loading it
     * at the same moment never sees half of it.
     */
    private static Path kept(Path directory) throws IOException {
        String resource = Environment.getJniLibraryFileName("rocksdb");
        URL url = RocksDB.class.getClassLoader().getResource(resource);
        if (url == null) {
            throw new IOException("no " + resource + " in RocksDB's jar");
        }
        URLConnection connection = url.openConnection();
        long size = connection.getContentLengthLong();
        byte[] origin = (url + " " + size).getBytes(StandardCharsets.UTF_8);
        String version = HexFormat.of().formatHex(Digest.sha256().digest(origin), 0, 8);
        Path kept = directory.resolve("rocksdb-" + version).resolve(Environment.getJniLibraryFileName("rocksdbjni"));
        if (Files.isRegularFile(kept) && Files.size(kept) == size) {
            return kept;
        }
        Files.createDirectories(kept.getParent());
        Path temporary = Files.createTempFile(kept.getParent(), "extracting-", ".so");
        try (InputStream in = connection.getInputStream()) {
            Files.copy(in, temporary, StandardCopyOption.REPLACE_EXISTING);
            Files.move(temporary, kept, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temporary);
        }
        return kept;
    }
}
