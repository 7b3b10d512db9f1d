package dev.cas.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.util.HexFormat;

/**
 * A SHA-256 content digest and the size of the content, as REAPI names blobs.
 * Every key in the cache, whether of a blob or of an action, is one of these.
 */
public record Digest(String hash, long size) {
    /** One-shot hashing reuses a per-thread instance: looking the algorithm up costs more than hashing 4 KiB. */
    private static final ThreadLocal<MessageDigest> ONE_SHOT = ThreadLocal.withInitial(Digest::sha256);
    /** Where {@link #sha256()} comes from: the JDK's choice until a process prefers another ({@link #prefer}). */
    private static volatile Provider preferred;
    /** The digest of the empty blob, which every store holds implicitly. */
    public static final Digest EMPTY = of(new byte[0]);

    public Digest {
        if (!isSha256Hex(hash)) {
            throw new IllegalArgumentException("not a lower-case SHA-256 hex digest: '" + hash + "'");
        }
        if (size < 0) {
            throw new IllegalArgumentException("negative blob size " + size + " for " + hash);
        }
    }

    /**
     * 64 lower-case hex digits. Servers check ten thousand of these per FindMissingBlobs call and one per read: a loop
     * over the characters, not a regex (which took half the call) nor a copy of the string's bytes.
     */
    public static boolean isSha256Hex(String hash) {
        if (hash.length() != 64) {
            return false;
        }
        for (int i = 0; i < 64; i++) {
            char c = hash.charAt(i);
            if ((c < '0' || c > '9') && (c < 'a' || c > 'f')) {
                return false;
            }
        }
        return true;
    }

    public static Digest of(byte[] content) {
        return new Digest(HexFormat.of().formatHex(sha256Of(content)), content.length);
    }

    private static byte[] sha256Of(byte[] content) {
        MessageDigest digest = ONE_SHOT.get();
        Provider wanted = preferred;
        if (wanted != null && digest.getProvider() != wanted) {
            digest = sha256();
            ONE_SHOT.set(digest);
        }
        return digest.digest(content);
    }

    public static Digest of(String content) {
        return of(content.getBytes(StandardCharsets.UTF_8));
    }

    /** Parses the {@code hash/size} form produced by {@link #toString()}. */
    public static Digest parse(String text) {
        int slash = text.indexOf('/');
        if (slash < 0) {
            throw new IllegalArgumentException("digest must be 'hash/size': '" + text + "'");
        }
        try {
            return new Digest(text.substring(0, slash), Long.parseLong(text.substring(slash + 1)));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("digest size is not a number: '" + text + "'", e);
        }
    }

    public static MessageDigest sha256() {
        Provider wanted = preferred;
        try {
            return wanted == null ? MessageDigest.getInstance("SHA-256") : MessageDigest.getInstance("SHA-256", wanted);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }

    /**
     * Makes {@code provider} the source of every SHA-256 from now on (instances made before keep theirs), once it has
     * computed a known digest as the JDK's does; returns whether it did. For a process that has a faster
     * implementation than the JDK's at hand: the compiler worker, which runs without C2 and so without its SHA
     * intrinsic.
     */
    public static boolean prefer(Provider provider) {
        byte[] probe = "cas digest probe".getBytes(StandardCharsets.UTF_8);
        try {
            byte[] theirs = MessageDigest.getInstance("SHA-256", provider).digest(probe);
            if (!MessageDigest.isEqual(theirs, MessageDigest.getInstance("SHA-256").digest(probe))) {
                return false;
            }
        } catch (NoSuchAlgorithmException | RuntimeException e) {
            return false;
        }
        preferred = provider;
        return true;
    }

    /** True when {@code content} is exactly what this digest names. */
    public boolean matches(byte[] content) {
        return content.length == size && hashMatches(content);
    }

    /**
     * True when {@code content} hashes to this digest's hash, whatever its size. Compares the raw hash with the hex
     * digits in place: the check runs on every read the server serves.
     */
    public boolean hashMatches(byte[] content) {
        byte[] raw = sha256Of(content);
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] != (byte) (Character.digit(hash.charAt(2 * i), 16) << 4
                    | Character.digit(hash.charAt(2 * i + 1), 16))) {
                return false;
            }
        }
        return true;
    }

    /**
     * Written out rather than the record's generated one, which profiles of the memory cache's key comparison (one
     * per hit) showed behind a not-inlined {@code invokedynamic} call site; the 64-character hash compare remains.
     */
    @Override
    public boolean equals(Object other) {
        return other instanceof Digest digest && size == digest.size && hash.equals(digest.hash);
    }

    @Override
    public int hashCode() {
        return 31 * hash.hashCode() + Long.hashCode(size);
    }

    @Override
    public String toString() {
        return hash + "/" + size;
    }
}
