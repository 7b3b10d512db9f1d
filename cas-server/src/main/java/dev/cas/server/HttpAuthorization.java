package dev.cas.server;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;

/**
 * Applies the {@link AccessPolicy} to a request for an HTTP cache entry: 401 (with a Bearer challenge) without a valid
 * token, 403 for a read-only token on anything but GET or HEAD. {@link HttpCacheFilter} asks it for every request
 * that names a cache entry, on the key it parsed (never on a path prefix), before anything is read or written.
 */
@Component
class HttpAuthorization {
    private final AccessPolicy policy;

    HttpAuthorization(AccessPolicy policy) {
        this.policy = policy;
    }

    /** True when the caller may go on; otherwise the refusal has been sent. */
    boolean admits(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String method = request.getMethod();
        boolean write = !(method.equals("GET") || method.equals("HEAD"));
        AccessPolicy.Caller caller = policy.caller(request.getHeader(HttpHeaders.AUTHORIZATION));
        switch (AccessPolicy.decide(caller, write)) {
            case UNAUTHENTICATED -> {
                response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"cas\"");
                HttpCacheFilter.send(response, HttpServletResponse.SC_UNAUTHORIZED, caller == null ? "unknown token"
                        : "this server needs a token");
                return false;
            }
            case PERMISSION_DENIED -> {
                HttpCacheFilter.send(response, HttpServletResponse.SC_FORBIDDEN,
                        "token '" + caller.name() + "' is read-only");
                return false;
            }
            default -> {
                return true;
            }
        }
    }
}
