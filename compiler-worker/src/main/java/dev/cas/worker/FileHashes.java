package dev.cas.worker;

import dev.cas.store.Digest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SHA-256 of source and header files, remembered while a file's identity (inode, size, modification and change
 * times) stays the same, as ccache's inode cache does: a direct-mode hit on sqlite3.c then reads no 9 MB file.
 * A file changed less than {@link #SETTLE_MILLIS} ago is hashed but not remembered, so an edit within the
 * file system's timestamp granularity is never missed.
 */
final class FileHashes {
    static final long SETTLE_MILLIS = 2_000;

    private record Identity(Object fileKey, long size, FileTime modified, FileTime changed) {
    }

    private record Remembered(Identity identity, String sha256) {
    }

    private final Map<Path, Remembered> remembered = new ConcurrentHashMap<>();
    private final Clock clock;

    FileHashes(Clock clock) {
        this.clock = clock;
    }

    /** The hex SHA-256 of {@code file}'s content. */
    String sha256(Path file) throws IOException {
        Path key = file.toAbsolutePath().normalize();
        Identity before = identity(key);
        Remembered known = remembered.get(key);
        if (known != null && known.identity().equals(before)) {
            return known.sha256();
        }
        String hash = HexFormat.of().formatHex(Digest.sha256().digest(Files.readAllBytes(key)));
        long now = clock.millis();
        boolean settled = now - before.modified().toMillis() > SETTLE_MILLIS
                && now - before.changed().toMillis() > SETTLE_MILLIS;
        if (settled && before.equals(identity(key))) {
            remembered.put(key, new Remembered(before, hash));
        } else {
            remembered.remove(key);
        }
        return hash;
    }

    private static Identity identity(Path file) throws IOException {
        Map<String, Object> unix = Files.readAttributes(file, "unix:ino,size,lastModifiedTime,ctime",
                LinkOption.NOFOLLOW_LINKS);
        return new Identity(unix.get("ino"), (Long) unix.get("size"), (FileTime) unix.get("lastModifiedTime"),
                (FileTime) unix.get("ctime"));
    }
}
