package dev.cas.worker;

import dev.cas.worker.common.Diagnostics;
import java.nio.charset.StandardCharsets;

/** What a command printed and how it ended, carried back to the launcher that prints it as its own. */
public record WorkerResponse(int exitCode, byte[] stdout, byte[] stderr) {

    public static WorkerResponse error(int exitCode, String message) {
        return new WorkerResponse(exitCode, new byte[0], Diagnostics.error(message));
    }

    /** The same response with one more line printed before the rest of its stderr. */
    public WorkerResponse withWarning(String line) {
        byte[] warning = ("cas-compile: warning: " + line + "\n").getBytes(StandardCharsets.UTF_8);
        return new WorkerResponse(exitCode, stdout, Diagnostics.concat(warning, stderr));
    }

    public static WorkerResponse ok(String stdout) {
        return new WorkerResponse(0, stdout.getBytes(StandardCharsets.UTF_8), new byte[0]);
    }
}
