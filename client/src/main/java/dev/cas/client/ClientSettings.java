package dev.cas.client;

import dev.cas.worker.common.PositiveNumbers;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * The launcher's configuration, all from environment variables so that {@code CC="cas-compile cc"} needs nothing else:
 * {@code CAS_CACHE_DIR} (default {@code ~/.cache/cas}), {@code CAS_CACHE_MAX_SIZE} (default 5G; suffixes K, M, G, T),
 * {@code CAS_WORKER_IDLE_SECONDS} (default 600) and {@code CAS_DISABLE=1} (compile with the bundled clang, no cache).
 */
public record ClientSettings(Path cacheDirectory, long maxSizeBytes, long idleSeconds, boolean disabled) {
    static final long DEFAULT_MAX_SIZE = 5L << 30;
    static final long DEFAULT_IDLE_SECONDS = 600;

    public static ClientSettings fromEnvironment(Map<String, String> env) {
        String dir = env.get("CAS_CACHE_DIR");
        Path cacheDirectory = dir != null && !dir.isBlank() ? Path.of(dir).toAbsolutePath()
                : Path.of(System.getProperty("user.home"), ".cache", "cas");
        long maxSize = env.containsKey("CAS_CACHE_MAX_SIZE") ? parseSize(env.get("CAS_CACHE_MAX_SIZE"))
                : DEFAULT_MAX_SIZE;
        long idle = env.containsKey("CAS_WORKER_IDLE_SECONDS")
                ? parsePositive("CAS_WORKER_IDLE_SECONDS", env.get("CAS_WORKER_IDLE_SECONDS")) : DEFAULT_IDLE_SECONDS;
        boolean disabled = "1".equals(env.get("CAS_DISABLE")) || "true".equalsIgnoreCase(env.get("CAS_DISABLE"));
        return new ClientSettings(cacheDirectory, maxSize, idle, disabled);
    }

    /** Parses {@code 5G}, {@code 500M}, {@code 1048576}: binary multiples, as ccache's max_size does. */
    static long parseSize(String text) {
        String value = text.trim().toUpperCase(Locale.ROOT);
        if (value.endsWith("IB")) {
            value = value.substring(0, value.length() - 2);
        } else if (value.endsWith("B")) {
            value = value.substring(0, value.length() - 1);
        }
        int shift = 0;
        if (!value.isEmpty()) {
            switch (value.charAt(value.length() - 1)) {
                case 'K' -> shift = 10;
                case 'M' -> shift = 20;
                case 'G' -> shift = 30;
                case 'T' -> shift = 40;
                default -> shift = -1;
            }
        }
        String number = shift >= 0 ? value.substring(0, value.length() - 1) : value;
        try {
            return parsePositive("CAS_CACHE_MAX_SIZE", number) << Math.max(shift, 0);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("CAS_CACHE_MAX_SIZE must be a positive size such as 500M or 5G, not '"
                    + text + "'");
        }
    }

    private static long parsePositive(String name, String text) {
        return PositiveNumbers.parse(name, text);
    }
}
