package dev.cas.store;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.rocksdb.RocksDB;
import org.rocksdb.util.Environment;

/**
 * Loads RocksDB's native library from a copy kept in a directory ({@link KeptLibrary}), where
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

    /** The library's copy in {@code directory} ({@link KeptLibrary}), under the name RocksDB looks for. */
    private static Path kept(Path directory) throws IOException {
        return KeptLibrary.of(RocksDB.class.getClassLoader(), Environment.getJniLibraryFileName("rocksdb"), directory,
                "rocksdb", Environment.getJniLibraryFileName("rocksdbjni")).extracted();
    }
}
