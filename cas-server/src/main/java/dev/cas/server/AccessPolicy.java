package dev.cas.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Decides what a caller may do from its {@code Authorization} header, the same way for gRPC and HTTP: {@code Bearer
 * <secret>}, or Basic with the secret as password (ccache's {@code http://user:secret@host} form). Secrets are
 * compared in constant time and never logged.
 */
@Component
public class AccessPolicy {
    private static final Logger log = LoggerFactory.getLogger(AccessPolicy.class);

    /** Who the caller is and what it may do. */
    public record Caller(String name, boolean mayRead, boolean mayWrite, boolean authenticated) {
        static final Caller OPEN = new Caller("anonymous", true, true, false);
    }

    /** The outcome of a check: allowed, or refused for want of a valid token, or for want of the right scope. */
    public enum Decision {
        ALLOW, UNAUTHENTICATED, PERMISSION_DENIED
    }

    private final List<CasServerProperties.Token> tokens;
    private final boolean anonymousRead;

    public AccessPolicy(CasServerProperties properties) {
        this.tokens = properties.auth().tokens();
        this.anonymousRead = properties.auth().anonymousRead();
        if (tokens.isEmpty()) {
            log.warn("no cas.auth.tokens configured: anyone who can reach this server can read and write the cache");
        } else {
            log.info("{} token(s) configured; anonymous reads {}", tokens.size(), anonymousRead ? "allowed" : "refused");
        }
    }

    /** The caller an {@code Authorization} header (null when absent) stands for; null when its token is unknown. */
    public Caller caller(String authorization) {
        if (tokens.isEmpty()) {
            return Caller.OPEN;
        }
        if (authorization == null || authorization.isBlank()) {
            return new Caller("anonymous", anonymousRead, false, false);
        }
        String secret = secretOf(authorization.trim());
        if (secret == null) {
            return null;
        }
        byte[] offered = secret.getBytes(StandardCharsets.UTF_8);
        CasServerProperties.Token match = null;
        for (CasServerProperties.Token token : tokens) {
            if (MessageDigest.isEqual(offered, token.secret().getBytes(StandardCharsets.UTF_8))) {
                match = token;
            }
        }
        return match == null ? null
                : new Caller(match.name(), true, match.scope() == CasServerProperties.Scope.READ_WRITE, true);
    }

    /** Whether {@code caller} (null: an unknown token) may make a call that reads, or writes. */
    public static Decision decide(Caller caller, boolean write) {
        if (caller == null) {
            return Decision.UNAUTHENTICATED;
        }
        if (write ? caller.mayWrite() : caller.mayRead()) {
            return Decision.ALLOW;
        }
        return caller.authenticated() ? Decision.PERMISSION_DENIED : Decision.UNAUTHENTICATED;
    }

    private static String secretOf(String authorization) {
        int space = authorization.indexOf(' ');
        if (space < 0) {
            return null;
        }
        String scheme = authorization.substring(0, space);
        String credentials = authorization.substring(space + 1).trim();
        if (scheme.equalsIgnoreCase("Bearer")) {
            return credentials;
        }
        if (scheme.equalsIgnoreCase("Basic")) {
            try {
                String decoded = new String(Base64.getDecoder().decode(credentials), StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                return colon < 0 ? null : decoded.substring(colon + 1);
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return null;
    }
}
