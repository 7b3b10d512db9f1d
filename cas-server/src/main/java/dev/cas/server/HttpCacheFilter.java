package dev.cas.server;

import dev.cas.store.BlobStore;
import dev.cas.store.BlobWriter;
import dev.cas.store.Digest;
import dev.cas.store.StoreException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.ToLongFunction;

/**
 * The HTTP cache protocol on the same store, under any path prefix but {@code /actuator} ({@link HttpCacheKey}):
 * {@code .../cas/{sha256}} is Bazel's CAS (a body must hash to its name), {@code .../ac/{64 hex}} is an opaque action
 * entry (Bazel's action results, ccache's {@code layout=bazel} entries), and any other path of plain segments is an
 * opaque key (ccache's {@code flat} and {@code subdirs} layouts). GET and HEAD answer 200 or 404, PUT 201 (400 on a
 * bad name or digest, 411 for a CAS upload without a length, 413 when too large, 507 while the data directory is
 * full), DELETE 204; a path that is no key 400. Bodies stream through the store.
 * <p>
 * A servlet filter ahead of Spring MVC's, not a controller: on 4 KiB GETs the dispatcher, the HTTP observation and
 * the other filters took more than half of the server's CPU (JFR), and a cache request needs none of them. Only
 * Actuator's paths go on to Spring MVC.
 */
class HttpCacheFilter extends HttpFilter {
    /** Bodies up to this size are read (and, for the CAS, verified) whole and sent with a Content-Length. */
    private static final int WHOLE_BODY_BYTES = 1 << 20;
    private static final String OCTET_STREAM = "application/octet-stream";

    private final HttpAuthorization authorization;
    private final BlobStore cas;
    private final ToLongFunction<String> declaredSizes;
    private final BlobStore entries;
    private final long maxBlobBytes;

    HttpCacheFilter(HttpAuthorization authorization, ServerStores.Stores stores, CasServerProperties properties) {
        this.authorization = authorization;
        this.cas = stores.cas();
        this.declaredSizes = stores.declaredSizes();
        this.entries = stores.actions();
        this.maxBlobBytes = properties.storage().maxBlobSize().toBytes();
    }

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        String uri = request.getRequestURI();
        if (HttpCacheKey.actuator(uri)) {
            chain.doFilter(request, response);
            return;
        }
        HttpCacheKey key = HttpCacheKey.of(uri);
        if (key == null) {
            send(response, HttpServletResponse.SC_BAD_REQUEST, "not a cache key: " + uri);
            return;
        }
        if (!authorization.admits(request, response)) {
            return;
        }
        try {
            switch (request.getMethod()) {
                case "GET" -> get(key, response);
                case "HEAD" -> head(key, response);
                case "PUT" -> put(key, request, response);
                case "DELETE" -> delete(key, response);
                default -> {
                    response.setHeader("Allow", "GET, HEAD, PUT, DELETE");
                    send(response, HttpServletResponse.SC_METHOD_NOT_ALLOWED, request.getMethod() + " is not served");
                }
            }
        } catch (IOException | RuntimeException e) {
            if (response.isCommitted() || (e instanceof IOException && StoreException.in(e).isEmpty())) {
                throw e; // the answer has begun, or the connection failed: nothing more can be said
            }
            Status status = Failures.status(request.getMethod() + " " + uri, e);
            send(response, Failures.http(status), status.getDescription());
        }
    }

    private void head(HttpCacheKey key, HttpServletResponse response) {
        boolean held = key.cas() ? casDigest(key.digest().hash()).map(cas::contains).orElse(false)
                : entries.contains(key.digest());
        response.setStatus(held ? HttpServletResponse.SC_OK : HttpServletResponse.SC_NOT_FOUND);
    }

    /**
     * Sends an entry: small ones whole, once read and checked; large ones streamed, and a large CAS blob found
     * damaged on the way ends the connection before the last byte, so a client never receives it complete.
     */
    private void get(HttpCacheKey key, HttpServletResponse response) throws IOException {
        if (key.actionResult()) {
            Optional<byte[]> result = entries.get(key.digest()).filter(this::servable);
            if (result.isEmpty()) {
                response.setStatus(HttpServletResponse.SC_NOT_FOUND);
            } else {
                sendWhole(response, result.get());
            }
            return;
        }
        Optional<InputStream> value = key.cas() ? casDigest(key.digest().hash()).flatMap(cas::openRead)
                : entries.openRead(key.digest());
        if (value.isEmpty()) {
            response.setStatus(HttpServletResponse.SC_NOT_FOUND);
            return;
        }
        try (InputStream in = value.get()) {
            byte[] first = in.readNBytes(WHOLE_BODY_BYTES); // damaged (then removed) or the wrong size: 404
            if (first.length < WHOLE_BODY_BYTES) {
                sendWhole(response, first);
                return;
            }
            response.setStatus(HttpServletResponse.SC_OK);
            response.setContentType(OCTET_STREAM);
            OutputStream out = response.getOutputStream();
            out.write(first);
            in.transferTo(out);
        }
    }

    private void put(HttpCacheKey key, HttpServletRequest request, HttpServletResponse response) throws IOException {
        long length = request.getContentLengthLong();
        if (length > maxBlobBytes) {
            send(response, HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE, "entry of " + length
                    + " bytes exceeds the limit of " + maxBlobBytes + " bytes");
            return;
        }
        if (key.cas() && length < 0) {
            send(response, HttpServletResponse.SC_LENGTH_REQUIRED, "a CAS upload needs a Content-Length");
            return;
        }
        BlobStore store = key.cas() ? cas : entries;
        Digest digest = key.cas() ? new Digest(key.digest().hash(), length) : key.digest();
        try (BlobWriter writer = store.openWrite(digest); InputStream body = request.getInputStream()) {
            long copied = copy(body, writer, maxBlobBytes + 1);
            if (copied > maxBlobBytes) {
                send(response, HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE, "entry exceeds the limit of "
                        + maxBlobBytes + " bytes");
                return;
            }
            writer.commit(); // a body that does not hash to its name fails here: 400
        }
        response.setStatus(HttpServletResponse.SC_CREATED);
    }

    private void delete(HttpCacheKey key, HttpServletResponse response) {
        if (key.cas()) {
            response.setStatus(HttpServletResponse.SC_METHOD_NOT_ALLOWED);
            return;
        }
        entries.delete(key.digest());
        response.setStatus(HttpServletResponse.SC_NO_CONTENT);
    }

    /**
     * The digest of a CAS blob HTTP names by its hash alone: the hash with the size the blob was stored under (the
     * index of held keys records it), so HTTP reads through the same stores as gRPC, memory cache included. A blob
     * whose size is not on record (stored by a version that did not record sizes) reads as missing: the client
     * uploads it again.
     */
    private Optional<Digest> casDigest(String hash) {
        if (hash.equals(Digest.EMPTY.hash())) {
            return Optional.of(Digest.EMPTY);
        }
        long size = declaredSizes.applyAsLong(hash);
        return size < 0 ? Optional.empty() : Optional.of(new Digest(hash, size));
    }

    private static void sendWhole(HttpServletResponse response, byte[] body) throws IOException {
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType(OCTET_STREAM);
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
    }

    /** A short plain-text answer: the status and why. */
    static void send(HttpServletResponse response, int status, String message) throws IOException {
        byte[] body = (message + "\n").getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.setContentType("text/plain;charset=UTF-8");
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
        } catch (StatusRuntimeException notAnActionResult) {
            return true; // parsed, but names no well-formed digests: not Bazel's
        }
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
}
