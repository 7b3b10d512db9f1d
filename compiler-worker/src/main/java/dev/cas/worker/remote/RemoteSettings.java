package dev.cas.worker.remote;

import dev.cas.worker.common.PositiveNumbers;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Where the team's cache server is and how this build may use it, from the build's environment:
 * {@code CAS_REMOTE=grpc://host:port[/instance]} ({@code grpcs://} for TLS), {@code CAS_TOKEN} (a bearer token),
 * {@code CAS_REMOTE_READ_ONLY=1} (use hits, upload nothing), {@code CAS_REMOTE_CONNECT_TIMEOUT_MS} (default 1000) and
 * {@code CAS_REMOTE_RETRY_SECONDS} (how long the server is left alone after it failed, default 60).
 */
public record RemoteSettings(String host, int port, boolean tls, String instanceName, Optional<String> token,
        boolean readOnly, Duration connectTimeout, Duration retryAfter) {
    public static final String REMOTE = "CAS_REMOTE";
    public static final String TOKEN = "CAS_TOKEN";
    public static final String READ_ONLY = "CAS_REMOTE_READ_ONLY";
    public static final String CONNECT_TIMEOUT_MS = "CAS_REMOTE_CONNECT_TIMEOUT_MS";
    public static final String RETRY_SECONDS = "CAS_REMOTE_RETRY_SECONDS";

    /** Empty when {@code CAS_REMOTE} is unset or blank; an {@link IllegalArgumentException} names a bad value. */
    public static Optional<RemoteSettings> fromEnvironment(Map<String, String> env) {
        String remote = env.get(REMOTE);
        if (remote == null || remote.isBlank()) {
            return Optional.empty();
        }
        URI uri = parse(remote.trim());
        String token = env.get(TOKEN);
        return Optional.of(new RemoteSettings(uri.getHost(), uri.getPort(), "grpcs".equals(uri.getScheme()),
                instanceName(uri.getPath()),
                token == null || token.isBlank() ? Optional.empty() : Optional.of(token.trim()),
                isTrue(env.get(READ_ONLY)),
                Duration.ofMillis(positive(env, CONNECT_TIMEOUT_MS, 1000)),
                Duration.ofSeconds(positive(env, RETRY_SECONDS, 60))));
    }

    /** {@code /a/b/} names instance {@code a/b}; no path, the default instance. */
    private static String instanceName(String path) {
        String name = path == null ? "" : path;
        while (name.startsWith("/")) {
            name = name.substring(1);
        }
        while (name.endsWith("/")) {
            name = name.substring(0, name.length() - 1);
        }
        return name;
    }

    private static URI parse(String remote) {
        try {
            URI uri = new URI(remote);
            if (("grpc".equals(uri.getScheme()) || "grpcs".equals(uri.getScheme())) && uri.getHost() != null
                    && uri.getPort() > 0 && uri.getQuery() == null && uri.getFragment() == null) {
                return uri;
            }
        } catch (URISyntaxException e) {
            // reported below
        }
        throw new IllegalArgumentException(REMOTE + " must look like grpc://host:port or grpcs://host:port/instance, "
                + "not '" + remote + "'");
    }

    private static long positive(Map<String, String> env, String name, long fallback) {
        String text = env.get(name);
        return text == null || text.isBlank() ? fallback : PositiveNumbers.parse(name, text);
    }

    private static boolean isTrue(String value) {
        return value != null && (value.trim().equals("1") || value.trim().equalsIgnoreCase("true"));
    }

    /** The server as users name it, without the token. */
    public String target() {
        return (tls ? "grpcs://" : "grpc://") + host + ":" + port + (instanceName.isEmpty() ? "" : "/" + instanceName);
    }

    @Override
    public String toString() {
        return target() + (token.isPresent() ? " (token set)" : "") + (readOnly ? " read-only" : "");
    }
}
