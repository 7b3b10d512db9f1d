package dev.cas.server;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Applies the {@link AccessPolicy} to the HTTP cache: 401 (with a Bearer challenge) without a valid token, 403 for
 * a read-only token on anything but GET or HEAD. The decision is made on the request's parsed cache key, the same
 * parse {@link HttpCacheController} serves it by, never on a path prefix: every request that names a cache entry is
 * checked, whatever its path starts with. Requests that name none (Actuator's health probes and Prometheus, or a
 * malformed path the controller refuses) reach no cache data and pass, as orchestrators and scrapers expect.
 */
@Component
public class HttpAuthFilter extends OncePerRequestFilter {
    private final AccessPolicy policy;

    public HttpAuthFilter(AccessPolicy policy) {
        this.policy = policy;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        if (HttpCacheController.Key.of(request) == null) {
            chain.doFilter(request, response);
            return;
        }
        String method = request.getMethod();
        boolean write = !(method.equals("GET") || method.equals("HEAD"));
        AccessPolicy.Caller caller = policy.caller(request.getHeader(HttpHeaders.AUTHORIZATION));
        switch (AccessPolicy.decide(caller, write)) {
            case UNAUTHENTICATED -> {
                response.setHeader(HttpHeaders.WWW_AUTHENTICATE, "Bearer realm=\"cas\"");
                response.sendError(HttpServletResponse.SC_UNAUTHORIZED, caller == null ? "unknown token"
                        : "this server needs a token");
            }
            case PERMISSION_DENIED -> response.sendError(HttpServletResponse.SC_FORBIDDEN,
                    "token '" + caller.name() + "' is read-only");
            default -> chain.doFilter(request, response);
        }
    }
}
