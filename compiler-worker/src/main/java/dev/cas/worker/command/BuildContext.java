package dev.cas.worker.command;

import dev.cas.worker.remote.RemoteSession;
import java.nio.file.Path;
import java.util.Map;

/**
 * Where and with which environment the user ran the command, and the remote cache level its build may use: every
 * path and every tool run resolves against it.
 */
public record BuildContext(Path workingDirectory, Map<String, String> environment, RemoteSession remote) {
    public BuildContext {
        environment = Map.copyOf(environment);
    }

    /** A build with no remote cache. */
    public BuildContext(Path workingDirectory, Map<String, String> environment) {
        this(workingDirectory, environment, RemoteSession.NONE);
    }

    public BuildContext withRemote(RemoteSession session) {
        return new BuildContext(workingDirectory, environment, session);
    }

    public Path resolve(String path) {
        return workingDirectory.resolve(path);
    }
}
