package dev.cas.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A SHA-256 content digest and the size of the content, as REAPI names blobs.
 * Every key in the cache, whether of a blob or of an action, is one of these.
 */
public record Digest(String hash, long size) {
    private static final Pattern HEX64 = Pattern.compile("[0-9a-f]{64}");

    /** The digest of the empty blob, which every store holds implicitly. */
    public static final Digest EMPTY = of(new byte[0]);

    public Digest {
        if (!HEX64.matcher(hash).matches()) {
            throw new IllegalArgumentException("not a lower-case SHA-256 hex digest: '" + hash + "'");
        }
        if (size < 0) {
            throw new IllegalArgumentException("negative blob size " + size + " for " + hash);
        }
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
