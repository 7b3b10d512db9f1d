package dev.cas.server;

import dev.cas.store.BlobStore;
import dev.cas.store.BlobWriter;
import dev.cas.store.Digest;
import dev.cas.store.StorageFullException;
import dev.cas.store.VerifyingBlobStore;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RestController;

/**
 * The HTTP cache protocol on the same store, under any path prefix but {@code /actuator} (Actuator's, left open for
 * probes: nothing under it is a cache key): {@code .../cas/{sha256}} is Bazel's CAS (a body
 * must hash to its name), {@code .../ac/{64 hex}} is an opaque action entry (Bazel's action results, ccache's
 * {@code layout=bazel} entries), and any other path of plain segments is an opaque key (ccache's {@code flat} and
 * {@code subdirs} layouts). GET and HEAD answer 200 or 404, PUT 201 (400 on a bad name or digest, 411 for a CAS
 * upload without a length, 413 when too large, 507 while the data directory is full), DELETE 204. Bodies stream through the store. Keys never reach the file system; names with {@code ..}, empty or odd segments are refused.
 */
@RestController
public class HttpCacheController {
    private static final Logger log = LoggerFactory.getLogger(HttpCacheController.class);
    private static final int MAX_SEGMENT_CHARS = 255;
    /** Actuator's base path: never a cache prefix, so no cache entry is reachable where authentication is not asked. */
    private static final String ACTUATOR = "actuator";

    /** Bodies up to this size are read (and, for the CAS, verified) whole and sent with a Content-Length. */
    private static final int WHOLE_BODY_BYTES = 1 << 20;

    private final VerifyingBlobStore cas;
    private final BlobStore entries;
    private final long maxBlobBytes;

    public HttpCacheController(ServerStores.Stores stores, CasServerProperties properties) {
        this.cas = stores.casByHash();
        this.entries = stores.actions();
        this.maxBlobBytes = properties.storage().maxBlobSize().toBytes();
    }

    @RequestMapping(path = "/**", method = RequestMethod.HEAD)
    public ResponseEntity<Void> head(HttpServletRequest request) {
        Key key = Key.of(request);
        if (key == null) {
            return ResponseEntity.badRequest().build();
        }
        boolean held = key.cas() ? cas.containsHash(key.digest().hash()) : entries.contains(key.digest());
        return held ? ResponseEntity.ok().build() : ResponseEntity.notFound().build();
    }

    /**
     * Sends an entry: small ones whole, once read and checked; large ones streamed, and a large CAS blob found
     * damaged on the way ends the connection before the last byte, so a client never receives it complete.
     */
    @RequestMapping(path = "/**", method = RequestMethod.GET)
    public void get(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Key key = Key.of(request);
        if (key == null) {
            response.sendError(HttpStatus.BAD_REQUEST.value(), "not a cache key");
            return;
        }
        if (key.actionResult()) {
            Optional<byte[]> result = entries.get(key.digest()).filter(this::servable);
            if (result.isEmpty()) {
                response.setStatus(HttpStatus.NOT_FOUND.value());
            } else {
                sendWhole(response, result.get());
            }
            return;
        }
        Optional<InputStream> value = key.cas() ? cas.openReadByHash(key.digest().hash())
                : entries.openRead(key.digest());
        if (value.isEmpty()) {
            response.setStatus(HttpStatus.NOT_FOUND.value());
            return;
        }
        try (InputStream in = value.get()) {
            byte[] first;
            try {
                first = in.readNBytes(WHOLE_BODY_BYTES);
            } catch (IOException e) {
                response.setStatus(HttpStatus.NOT_FOUND.value()); // damaged (now removed) or the wrong size
                return;
            }
            if (first.length < WHOLE_BODY_BYTES) {
                sendWhole(response, first);
                return;
            }
            response.setStatus(HttpStatus.OK.value());
            response.setContentType(MediaType.APPLICATION_OCTET_STREAM_VALUE);
            OutputStream out = response.getOutputStream();
            out.write(first);
            in.transferTo(out);
        }
    }

    @RequestMapping(path = "/**", method = RequestMethod.PUT)
    public ResponseEntity<String> put(HttpServletRequest request) throws IOException {
        Key key = Key.of(request);
        if (key == null) {
            return ResponseEntity.badRequest().body("not a cache key: " + request.getRequestURI() + "\n");
        }
        long length = request.getContentLengthLong();
        if (length > maxBlobBytes) {
            return tooLarge("entry of " + length + " bytes exceeds the limit of " + maxBlobBytes + " bytes\n");
        }
        if (key.cas() && length < 0) {
            return ResponseEntity.status(HttpStatus.LENGTH_REQUIRED).body("a CAS upload needs a Content-Length\n");
        }
        BlobStore store = key.cas() ? cas : entries;
        Digest digest = key.cas() ? new Digest(key.digest().hash(), length) : key.digest();
        try (BlobWriter writer = store.openWrite(digest); InputStream body = request.getInputStream()) {
            long copied = copy(body, writer, maxBlobBytes + 1);
            if (copied > maxBlobBytes) {
                return tooLarge("entry exceeds the limit of " + maxBlobBytes + " bytes\n");
            }
            writer.commit();
        } catch (IllegalArgumentException e) {
            return ResponseEntity.badRequest().body("body does not hash to " + digest.hash() + ": " + e.getMessage()
                    + "\n");
        }
        return ResponseEntity.status(HttpStatus.CREATED).build();
    }

    @RequestMapping(path = "/**", method = RequestMethod.DELETE)
    public ResponseEntity<Void> delete(HttpServletRequest request) {
        Key key = Key.of(request);
        if (key == null || key.cas()) {
            return key == null ? ResponseEntity.badRequest().build()
                    : ResponseEntity.status(HttpStatus.METHOD_NOT_ALLOWED).build();
        }
        entries.delete(key.digest());
        return ResponseEntity.noContent().build();
    }

    private static void sendWhole(HttpServletResponse response, byte[] body) throws IOException {
        response.setStatus(HttpStatus.OK.value());
        response.setContentType(MediaType.APPLICATION_OCTET_STREAM_VALUE);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    /**
     * An {@code ac/} entry that is a Bazel action result is served only while the blobs it names are held (as over
     * gRPC). Entries that are not action results (ccache's {@code layout=bazel}) pass as they are.
     */
    private boolean servable(byte[] entry) {
        try {
            return ActionResults.parse(entry).map(result -> ActionResults.complete(result, cas)).orElse(true);
        } catch (RuntimeException notAnActionResult) {
            return true; // parsed, but names no well-formed digests: not Bazel's
        }
    }

    /** A write refused while the data directory is at its bound (bazel-remote's answer): reads go on. */
    @ExceptionHandler(StorageFullException.class)
    ResponseEntity<String> full(StorageFullException e) {
        log.warn("PUT refused: {}", e.getMessage());
        return ResponseEntity.status(HttpStatus.INSUFFICIENT_STORAGE).body(e.getMessage() + "\n");
    }

    private static ResponseEntity<String> tooLarge(String message) {
        return ResponseEntity.status(HttpStatus.PAYLOAD_TOO_LARGE).body(message);
    }

    /** Copies at most {@code limit} bytes; returns how many were copied. */
    private static long copy(InputStream in, OutputStream out, long limit) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long copied = 0;
        int n;
        while (copied < limit && (n = in.read(buffer, 0, (int) Math.min(buffer.length, limit - copied))) >= 0) {
            out.write(buffer, 0, n);
            copied += n;
        }
        return copied;
    }

    /**
     * Where a path leads: the CAS (by the blob's SHA-256; its size comes from the body) or an opaque entry, keyed by
     * the digest of the path (prefix dropped for {@code ac/}, so any prefix reaches the same action entries).
     */
    record Key(boolean cas, boolean actionResult, Digest digest) {
        private static final String ATTRIBUTE = Key.class.getName();
        /** Stands for "no cache key" among request attributes, where null means "not parsed yet". */
        private static final Key NONE = new Key(false, false, null);

        /** The request's key (null when it names none), parsed once per request: the auth filter asks first. */
        static Key of(HttpServletRequest request) {
            Key parsed = (Key) request.getAttribute(ATTRIBUTE);
            if (parsed == null) {
                Key key = of(request.getRequestURI());
                parsed = key == null ? NONE : key;
                request.setAttribute(ATTRIBUTE, parsed);
            }
            return parsed == NONE ? null : parsed;
        }

        static Key of(String uri) {
            String[] segments = uri.split("/", -1);
            if (segments.length < 2 || !segments[0].isEmpty() || segments[1].equals(ACTUATOR)) {
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
                return Digest.isSha256Hex(last) ? new Key(true, false, new Digest(last, 0)) : null;
            }
            boolean action = parent.equals("ac") && Digest.isSha256Hex(last);
            String name = action ? "ac/" + last : uri;
            return new Key(false, action, Digest.of(("http\0" + name).getBytes(StandardCharsets.UTF_8)));
        }

        /**
         * {@code [A-Za-z0-9_][A-Za-z0-9._-]{0,254}}, checked by hand: the regular expression took a fifth of the
         * server's CPU on 4 KiB GETs (JFR), its matcher recursing once per character.
         */
        static boolean plainSegment(String segment) {
            int length = segment.length();
            if (length == 0 || length > MAX_SEGMENT_CHARS || segment.charAt(0) == '.' || segment.charAt(0) == '-') {
                return false;
            }
            for (int i = 0; i < length; i++) {
                char c = segment.charAt(i);
                boolean plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                        || c == '_' || c == '.' || c == '-';
                if (!plain) {
                    return false;
                }
            }
            return true;
        }
    }
}
