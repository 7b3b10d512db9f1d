package dev.cas.server;

import dev.cas.store.BlobStore;
import dev.cas.store.Digest;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Pattern;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestMethod;
import org.springframework.web.bind.annotation.RestController;

/**
 * The HTTP cache protocol on the same store, under any path prefix: {@code .../cas/{sha256}} is Bazel's CAS (a body
 * must hash to its name), {@code .../ac/{64 hex}} is an opaque action entry (Bazel's action results, ccache's
 * {@code layout=bazel} entries), and any other path of plain segments is an opaque key (ccache's {@code flat} and
 * {@code subdirs} layouts). GET and HEAD answer 200 or 404, PUT 201 (400 on a bad name or digest, 413 when too
 * large), DELETE 204. Keys never reach the file system; names with {@code ..}, empty or odd segments are refused.
 */
@RestController
public class HttpCacheController {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,254}");

    private final BlobStore cas;
    private final BlobStore casContent;
    private final BlobStore entries;
    private final long maxBlobBytes;

    public HttpCacheController(ServerStores.Stores stores, CasServerProperties properties) {
        this.cas = stores.cas();
        this.casContent = stores.casContent();
        this.entries = stores.actions();
        this.maxBlobBytes = properties.storage().maxBlobSize().toBytes();
    }

    @RequestMapping(path = "/**", method = {RequestMethod.GET, RequestMethod.HEAD})
    public ResponseEntity<byte[]> get(HttpServletRequest request) {
        Key key = Key.of(request.getRequestURI());
        if (key == null) {
            return ResponseEntity.badRequest().build();
        }
        Optional<byte[]> value = key.cas() ? readCas(key.digest().hash()) : entries.get(key.digest());
        return value.map(bytes -> ResponseEntity.ok().contentType(MediaType.APPLICATION_OCTET_STREAM).body(bytes))
                .orElseGet(() -> ResponseEntity.notFound().build());
    }

    @RequestMapping(path = "/**", method = RequestMethod.PUT)
    public ResponseEntity<String> put(HttpServletRequest request) throws IOException {
        Key key = Key.of(request.getRequestURI());
        if (key == null) {
            return ResponseEntity.badRequest().body("not a cache key: " + request.getRequestURI() + "\n");
        }
        long length = request.getContentLengthLong();
        if (length > maxBlobBytes) {
            return ResponseEntity.status(HttpStatus.PAYLOAD_TOO_LARGE)
                    .body("entry of " + length + " bytes exceeds the limit of " + maxBlobBytes + " bytes\n");
        }
        byte[] body = readAtMost(request.getInputStream(), maxBlobBytes);
        if (body == null) {
            return ResponseEntity.status(HttpStatus.PAYLOAD_TOO_LARGE)
                    .body("entry exceeds the limit of " + maxBlobBytes + " bytes\n");
        }
        if (key.cas()) {
            Digest digest = new Digest(key.digest().hash(), body.length);
            if (!digest.matches(body)) {
                return ResponseEntity.badRequest().body("body does not hash to " + digest.hash() + "\n");
            }
            cas.put(digest, body);
        } else {
            entries.put(key.digest(), body);
        }
        return ResponseEntity.status(HttpStatus.CREATED).build();
    }

    @RequestMapping(path = "/**", method = RequestMethod.DELETE)
    public ResponseEntity<Void> delete(HttpServletRequest request) {
        Key key = Key.of(request.getRequestURI());
        if (key == null || key.cas()) {
            return key == null ? ResponseEntity.badRequest().build()
                    : ResponseEntity.status(HttpStatus.METHOD_NOT_ALLOWED).build();
        }
        entries.delete(key.digest());
        return ResponseEntity.noContent().build();
    }

    /** Learns the blob's size from the stored content, then reads it through verification (corrupt = removed). */
    private Optional<byte[]> readCas(String hash) {
        try {
            return casContent.get(new Digest(hash, 0)).flatMap(content -> cas.get(new Digest(hash, content.length)));
        } catch (dev.cas.store.CorruptBlobException e) {
            return cas.get(new Digest(hash, 1)); // the verifying store removes and counts the corrupt entry
        }
    }

    private static byte[] readAtMost(InputStream in, long limit) throws IOException {
        byte[] body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 16, limit + 1));
        return body.length > limit ? null : body;
    }

    /**
     * Where a path leads: the CAS (by the blob's SHA-256; its size comes from the body) or an opaque entry, keyed by
     * the digest of the path (prefix dropped for {@code ac/}, so any prefix reaches the same action entries).
     */
    record Key(boolean cas, Digest digest) {
        static Key of(String uri) {
            String[] segments = uri.split("/", -1);
            if (segments.length < 2 || !segments[0].isEmpty()) {
                return null;
            }
            for (int i = 1; i < segments.length; i++) {
                if (!SEGMENT.matcher(segments[i]).matches()) {
                    return null;
                }
            }
            String last = segments[segments.length - 1];
            String parent = segments.length > 2 ? segments[segments.length - 2] : "";
            if (parent.equals("cas")) {
                return SHA256.matcher(last).matches() ? new Key(true, new Digest(last, 0)) : null;
            }
            String name = parent.equals("ac") && SHA256.matcher(last).matches() ? "ac/" + last : uri;
            return new Key(false, Digest.of(("http\0" + name).getBytes(StandardCharsets.UTF_8)));
        }
    }
}
