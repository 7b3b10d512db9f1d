package dev.cas.worker.remote;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;

/**
 * The optional settings file, so a team can set its server once instead of exporting variables in every shell:
 * {@code $CAS_CONFIG}, else {@code $XDG_CONFIG_HOME/cas/cas.properties} (default {@code ~/.config}), with the keys
 * {@code remote}, {@code token}, {@code remote.read-only}, {@code remote.connect-timeout-ms} and
 * {@code remote.retry-seconds}. An environment variable wins over the file. Read by the worker from the build's
 * environment, so the launcher's fast path (which never starts a JVM) sees the same settings.
 */
final class ConfigFile {
    private static final Map<String, String> VARIABLES = Map.of(
            "remote", RemoteSettings.REMOTE,
            "token", RemoteSettings.TOKEN,
            "remote.read-only", RemoteSettings.READ_ONLY,
            "remote.connect-timeout-ms", RemoteSettings.CONNECT_TIMEOUT_MS,
            "remote.retry-seconds", RemoteSettings.RETRY_SECONDS);

    private ConfigFile() {
    }

    /** {@code environment} with the file's settings added where the environment has none. */
    static Map<String, String> applyTo(Map<String, String> environment) {
        Path file = location(environment);
        if (!Files.isRegularFile(file)) {
            if (environment.containsKey("CAS_CONFIG")) {
                throw new IllegalArgumentException("CAS_CONFIG names '" + file + "', which is not a file");
            }
            return environment;
        }
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException | IllegalArgumentException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage());
        }
        Map<String, String> merged = new HashMap<>(environment);
        for (String key : properties.stringPropertyNames()) {
            String variable = VARIABLES.get(key);
            if (variable == null) {
                throw new IllegalArgumentException(file + ": unknown setting '" + key + "' (known: "
                        + String.join(", ", new TreeSet<>(VARIABLES.keySet())) + ")");
            }
            merged.putIfAbsent(variable, properties.getProperty(key).trim());
        }
        return merged;
    }

    private static Path location(Map<String, String> environment) {
        String explicit = environment.get("CAS_CONFIG");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String xdg = environment.get("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg)
                : Path.of(System.getProperty("user.home"), ".config");
        return base.resolve("cas").resolve("cas.properties");
    }
}
