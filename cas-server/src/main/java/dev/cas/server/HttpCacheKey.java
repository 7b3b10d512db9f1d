package dev.cas.server;

import dev.cas.store.Digest;
import java.nio.charset.StandardCharsets;

/**
 * Where an HTTP cache path leads: the CAS (by the blob's SHA-256; its size comes from the body) or an opaque entry,
 * keyed by the digest of the path (prefix dropped for {@code ac/}, so any prefix reaches the same action entries).
 * Paths of plain segments only; nothing under {@code /actuator} is a key, so no entry is reachable where
 * authentication is not asked. Keys never reach the file system.
 *
 * @param cas a CAS blob, named by its hash (size 0 in the digest)
 * @param actionResult an {@code ac/} entry, which may hold a Bazel action result
 */
record HttpCacheKey(boolean cas, boolean actionResult, Digest digest) {
    /** Actuator's base path: never a cache prefix. */
    static final String ACTUATOR = "actuator";
    private static final int MAX_SEGMENT_CHARS = 255;

    /** The key a request path names, or null when it names none. */
    static HttpCacheKey of(String uri) {
        String[] segments = uri.split("/", -1);
        if (segments.length < 2 || !segments[0].isEmpty() || actuator(uri)) {
            return null;
        }
        for (int i = 1; i < segments.length; i++) {
            if (!plainSegment(segments[i])) {
                return null;
            }
        }
        String last = segments[segments.length - 1];
        String parent = segments.length > 2 ? segments[segments.length - 2] : "";
        if (parent.equals("cas")) {
            return Digest.isSha256Hex(last) ? new HttpCacheKey(true, false, new Digest(last, 0)) : null;
        }
        boolean action = parent.equals("ac") && Digest.isSha256Hex(last);
        String name = action ? "ac/" + last : uri;
        return new HttpCacheKey(false, action, Digest.of(("http\0" + name).getBytes(StandardCharsets.UTF_8)));
    }

    /** Whether the path is Actuator's (or under it): served by Spring MVC, never a cache key. */
    static boolean actuator(String uri) {
        return uri.startsWith("/" + ACTUATOR) && (uri.length() == ACTUATOR.length() + 1
                || uri.charAt(ACTUATOR.length() + 1) == '/');
    }

    /**
     * {@code [A-Za-z0-9_][A-Za-z0-9._-]{0,254}}, checked by hand: the regular expression took a fifth of the server's
     * CPU on 4 KiB GETs (JFR), its matcher recursing once per character.
     */
    static boolean plainSegment(String segment) {
        int length = segment.length();
        if (length == 0 || length > MAX_SEGMENT_CHARS || segment.charAt(0) == '.' || segment.charAt(0) == '-') {
            return false;
        }
        for (int i = 0; i < length; i++) {
            char c = segment.charAt(i);
            boolean plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'
                    || c == '.' || c == '-';
            if (!plain) {
                return false;
            }
        }
        return true;
    }
}
