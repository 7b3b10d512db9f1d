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

/**
 * A native library shipped inside a jar, kept as one copy in a directory instead of being copied out to a new
 * temporary file by every process that loads it (RocksDB's 15 MB and AWS-LC's 9.6 MB library: ~0.1 s of processor
 * time each, at every worker start). The copy lives in a subdirectory named by the jar entry it comes from and its
 * size, so another version of the library gets another copy; it is written to a temporary file and renamed, so a
 * process loading it at the same moment never sees half of it.
 */
public final class KeptLibrary {
    private final URL resource;
    private final Path directory;
    private final String fileName;

    private KeptLibrary(URL resource, Path directory, String fileName) {
        this.resource = resource;
        this.directory = directory;
        this.fileName = fileName;
    }

    /**
     * The copy of {@code loader}'s resource {@code entry}, kept under {@code root} in a subdirectory whose name starts
     * with {@code prefix}, under the file name {@code fileName}.
     */
    public static KeptLibrary of(ClassLoader loader, String entry, Path root, String prefix, String fileName)
            throws IOException {
        URL resource = resource(loader, entry);
        long size = resource.openConnection().getContentLengthLong();
        byte[] origin = (resource + " " + size).getBytes(StandardCharsets.UTF_8);
        String version = HexFormat.of().formatHex(Digest.sha256().digest(origin), 0, 8);
        return new KeptLibrary(resource, root.resolve(prefix + "-" + version), fileName);
    }

    /** The copy of {@code entry} in {@code directory}: one that {@link #of} named, told to another process. */
    public static KeptLibrary at(ClassLoader loader, String entry, Path directory, String fileName)
            throws IOException {
        return new KeptLibrary(resource(loader, entry), directory, fileName);
    }

    private static URL resource(ClassLoader loader, String entry) throws IOException {
        URL resource = loader.getResource(entry);
        if (resource == null) {
            throw new IOException("no " + entry + " on the class path");
        }
        return resource;
    }

    /** The directory the copy is (or will be) in: what a loader that searches directories is given. */
    public Path directory() {
        return directory;
    }

    /** The copy, extracted first if it is missing or not the size of the jar's entry. */
    public Path extracted() throws IOException {
        URLConnection connection = resource.openConnection();
        long size = connection.getContentLengthLong();
        Path kept = directory.resolve(fileName);
        if (Files.isRegularFile(kept) && Files.size(kept) == size) {
            return kept;
        }
        Files.createDirectories(directory);
        Path temporary = Files.createTempFile(directory, "extracting-", ".so");
        try (InputStream in = connection.getInputStream()) {
            Files.copy(in, temporary, StandardCopyOption.REPLACE_EXISTING);
            Files.move(temporary, kept, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(temporary);
        }
        return kept;
    }
}
