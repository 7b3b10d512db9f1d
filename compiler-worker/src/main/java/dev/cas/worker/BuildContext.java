package dev.cas.worker;

import java.nio.file.Path;
import java.util.Map;

/** Where and with which environment the user ran the command: every path and every tool run resolves against it. */
public record BuildContext(Path workingDirectory, Map<String, String> environment) {
    public BuildContext {
        environment = Map.copyOf(environment);
    }

    public Path resolve(String path) {
        return workingDirectory.resolve(path);
    }
}
