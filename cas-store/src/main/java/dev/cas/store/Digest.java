package dev.cas.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A SHA-256 content digest and the size of the content, as REAPI names blobs.
 * Every key in the cache, whether of a blob or of an action, is one of these.
 */
public record Digest(String hash, long size) {
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
     * 64 lower-case hex digits. Servers check ten thousand of these per FindMissingBlobs call: a loop over the
     * string's bytes, not a regex (which took half the call).
     */
    static boolean isSha256Hex(String hash) {
        if (hash.length() != 64) {
            return false;
        }
        byte[] bytes = hash.getBytes(StandardCharsets.ISO_8859_1); // a non-Latin-1 char becomes '?', refused below
        for (byte b : bytes) {
            if ((b < '0' || b > '9') && (b < 'a' || b > 'f')) {
                return false;
            }
        }
        return true;
    }

    public static Digest of(byte[] content) {
        return new Digest(HexFormat.of().formatHex(sha256().digest(content)), content.length);
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
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }

    /** True when {@code content} is exactly what this digest names. */
    public boolean matches(byte[] content) {
        return content.length == size && equals(of(content));
    }

    @Override
    public String toString() {
        return hash + "/" + size;
    }
}
