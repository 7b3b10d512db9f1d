package dev.cas.worker.direct;

import dev.cas.store.Digest;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * SHA-256 of source and header files, and whether they use {@code __DATE__}, {@code __TIME__},
 * {@code __TIMESTAMP__} or {@code #embed} (what the hashes of the files a unit read do not capture), remembered while a
 * file's identity (device and inode, size, modification and change times; of the file a link names) stays the same,
 * as ccache's inode cache does: a direct-mode hit on sqlite3.c then reads no 9 MB file. A file changed more recently
 * than its file system's timestamp granularity allows to tell apart ({@link #settleMillis}) is hashed but its hash
 * not reused, so an edit within that granularity is never missed.
 */
final class FileHashes {
    /** After a write, before a hash is reused: time stamps in whole seconds (or FAT's two). */
    static final long SETTLE_MILLIS = 2_000;
    /** The same for sub-second time stamps (ext4, xfs, btrfs, tmpfs: the kernel's tick, at most 10 ms). */
    static final long FINE_SETTLE_MILLIS = 200;
    /** How far behind the wall clock sub-second time stamps may be: they come from the kernel's coarse clock. */
    static final long FINE_STAMP_LAG_MILLIS = 10;

    private record Identity(Object fileKey, long size, FileTime modified, FileTime changed) {
        /**
         * The fields compared one by one, not by the record's generated {@code equals}: that one is linked at its
         * first call (an invokedynamic bootstrap): 25-30 ms of a fresh JVM's first check of sqlite3.c's 143 headers.
         */
        boolean sameAs(Identity other) {
            return size == other.size && fileKey.equals(other.fileKey) && modified.equals(other.modified)
                    && changed.equals(other.changed);
        }
    }

    /**
     * What direct and depend mode need of a file's content: its hash, and whether the file makes its unit depend on
     * more than the files the compiler lists as read (a time macro; {@code #embed}, whose file is not listed).
     */
    record Content(String sha256, boolean usesTimeOrEmbed) {
    }

    /**
     * A file's hash, and what the scan found when the file was scanned too (empty when it was only hashed), reused
     * only when {@code settled}; the identity alone tells that it was edited.
     */
    private record Remembered(Identity identity, String sha256, Optional<Content> content, boolean settled) {
        boolean reusableFor(Identity current) {
            return settled && identity.sameAs(current);
        }
    }

    private static final byte[][] TIME_MACROS = {bytes("__TIME__"), bytes("__DATE__"), bytes("__TIMESTAMP__")};
    private static final byte[] EMBED = bytes("embed");
    private static final ThreadLocal<ByteBuffer> READ_BUFFERS =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(1 << 20));

    private final Map<Path, Remembered> remembered = new ConcurrentHashMap<>();
    private final Clock clock;

    FileHashes(Clock clock) {
        this.clock = clock;
    }

    /**
     * The hex SHA-256 of {@code file}'s content, without the scan: what checking a record needs, since a file with
     * the recorded hash has the content that was scanned when the record was made. On a shared record's first check
     * in a fresh worker the scan of sqlite3.c was most of the file's time.
     */
    String sha256(Path file) throws IOException {
        Path key = file.toAbsolutePath().normalize();
        Identity before = identity(key);
        Remembered known = remembered.get(key);
        if (known != null && known.reusableFor(before)) {
            return known.sha256();
        }
        String hash = HexFormat.of().formatHex(hashOnly(key));
        remember(key, before, hash, Optional.empty());
        return hash;
    }

    /**
     * Hashes the regular files of {@code directory} ahead of need, one at a time until {@code busy} says to stop;
     * returns how many it hashed.
     */
    int hashAhead(Path directory, BooleanSupplier busy) throws IOException {
        int hashed = 0;
        try (Stream<Path> files = Files.list(directory)) {
            Iterator<Path> each = files.iterator();
            while (each.hasNext() && !busy.getAsBoolean()) {
                Path file = each.next();
                if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
                    sha256(file);
                    hashed++;
                }
            }
        }
        return hashed;
    }

    /**
     * The hex SHA-256 of {@code file}'s content and whether it names a time macro or embeds a file. Remembered, since
     * every unit of a build reads the same headers: scanning them again for each unit was the worker's largest cost
     * at -O0.
     */
    Content content(Path file) throws IOException {
        Path key = file.toAbsolutePath().normalize();
        Identity before = identity(key);
        Remembered known = remembered.get(key);
        if (known != null && known.reusableFor(before) && known.content().isPresent()) {
            return known.content().get();
        }
        byte[] bytes = Files.readAllBytes(key);
        Content content = new Content(HexFormat.of().formatHex(Digest.sha256().digest(bytes)), usesTimeOrEmbed(bytes));
        remember(key, before, content.sha256(), Optional.of(content));
        return content;
    }

    /**
     * The file's SHA-256, read in pieces into a native buffer the digest takes as it is: no array of the file's size
     * to allocate and fill (sqlite3.c: 19-29 ms against 31-39 in a fresh worker).
     */
    private static byte[] hashOnly(Path file) throws IOException {
        MessageDigest digest = Digest.sha256();
        ByteBuffer buffer = READ_BUFFERS.get();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            buffer.clear();
            while (channel.read(buffer) >= 0) {
                buffer.flip();
                digest.update(buffer);
                buffer.clear();
            }
        }
        return digest.digest();
    }

    /** Keeps what was learnt of the file; reused later only if it had settled and did not change while read. */
    private void remember(Path key, Identity before, String sha256, Optional<Content> content) throws IOException {
        long now = clock.millis();
        long settle = settleMillis(before.modified(), before.changed());
        boolean settled = now - before.modified().toMillis() > settle && now - before.changed().toMillis() > settle;
        remembered.put(key, new Remembered(before, sha256, content, settled && before.sameAs(identity(key))));
    }

    /**
     * Whether {@code file}, as last hashed or checked here, was written at or after {@code epochMillis}, or so shortly
     * before that its time stamps cannot tell: then what was hashed may not be what a compile that started at
     * {@code epochMillis} read (ccache's "include file too new"). True for a file not hashed here.
     */
    boolean writtenSince(Path file, long epochMillis) {
        Remembered known = remembered.get(file.toAbsolutePath().normalize());
        if (known == null) {
            return true;
        }
        Identity identity = known.identity();
        long lag = subSecond(identity.modified(), identity.changed()) ? FINE_STAMP_LAG_MILLIS : SETTLE_MILLIS;
        return Math.max(identity.modified().toMillis(), identity.changed().toMillis()) + lag >= epochMillis;
    }

    /**
     * Whether {@code file} was hashed before and has been written since (its identity is not the one hashed): an
     * edited file. False for a file never hashed here, or gone.
     */
    boolean editedSinceHashed(Path file) {
        Path key = file.toAbsolutePath().normalize();
        Remembered known = remembered.get(key);
        try {
            return known != null && !known.identity().sameAs(identity(key));
        } catch (IOException gone) {
            return false;
        }
    }

    /**
     * How long after a file's last write (its modification and change times) its hash may be reused: longer than the
     * granularity of its file system's time stamps, so that a later write is sure to change them (racy git's rule).
     * Told from the stamps themselves: a file system keeping sub-second stamps shows a fraction of a second.
     */
    static long settleMillis(FileTime modified, FileTime changed) {
        return subSecond(modified, changed) ? FINE_SETTLE_MILLIS : SETTLE_MILLIS;
    }

    /** Whether the file system keeps sub-second time stamps, told from the stamps: one shows a fraction. */
    private static boolean subSecond(FileTime modified, FileTime changed) {
        return modified.toInstant().getNano() != 0 || changed.toInstant().getNano() != 0;
    }

    static boolean usesTimeOrEmbed(byte[] content) {
        for (int i = 0; i + 1 < content.length; i++) {
            if (content[i] == '_' && content[i + 1] == '_') {
                for (byte[] macro : TIME_MACROS) {
                    if (startsAt(content, i, macro)) {
                        return true;
                    }
                }
            } else if (content[i] == '#' && embedFollows(content, i + 1)) {
                return true;
            }
        }
        return false;
    }

    /** {@code # embed} with any blanks between: the directive (or a macro spelling it; either way, in doubt). */
    private static boolean embedFollows(byte[] content, int from) {
        int at = from;
        while (at < content.length && (content[at] == ' ' || content[at] == '\t')) {
            at++;
        }
        return startsAt(content, at, EMBED);
    }

    private static boolean startsAt(byte[] content, int at, byte[] pattern) {
        return at + pattern.length <= content.length
                && Arrays.equals(content, at, at + pattern.length, pattern, 0, pattern.length);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * The identity of the file {@code file} names, through symbolic links: the file that is read and hashed. (The
     * link's own identity, compared before, stays the same when the file it names is edited.)
     */
    private static Identity identity(Path file) throws IOException {
        Map<String, Object> unix = Files.readAttributes(file, "unix:dev,ino,size,lastModifiedTime,ctime");
        return new Identity(List.of(unix.get("dev"), unix.get("ino")), (Long) unix.get("size"),
                (FileTime) unix.get("lastModifiedTime"), (FileTime) unix.get("ctime"));
    }
}
