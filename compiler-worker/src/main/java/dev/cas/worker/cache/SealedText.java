package dev.cas.worker.cache;

import dev.cas.store.Digest;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Text records stored in the action cache (manifests), sealed with a SHA-256 of their own text on the first line:
 * the content store verifies blobs by their key, but an action's key says nothing about its value, so a damaged
 * record must be recognisable by itself and read as a miss.
 */
public final class SealedText {
    private SealedText() {
    }

    /** {@code header} and {@code body} under a checksum line. */
    public static byte[] seal(String header, String body) {
        String text = header + "\n" + body;
        return (Digest.of(text).hash() + "\n" + text).getBytes(StandardCharsets.UTF_8);
    }

    /** The body of a record sealed with {@code header}; empty when the checksum or the header does not match. */
    public static Optional<String> open(byte[] stored, String header) {
        String all = new String(stored, StandardCharsets.UTF_8);
        int newline = all.indexOf('\n');
        if (newline < 0) {
            return Optional.empty();
        }
        String text = all.substring(newline + 1);
        if (!all.substring(0, newline).equals(Digest.of(text).hash()) || !text.startsWith(header + "\n")) {
            return Optional.empty();
        }
        return Optional.of(text.substring(header.length() + 1));
    }
}
