package dev.cas.worker;

import java.nio.charset.StandardCharsets;

/** What a command printed and how it ended, carried back to the launcher that prints it as its own. */
public record WorkerResponse(int exitCode, byte[] stdout, byte[] stderr) {

    public static WorkerResponse error(int exitCode, String message) {
        return new WorkerResponse(exitCode, new byte[0],
                ("cas-compile: error: " + message + "\n").getBytes(StandardCharsets.UTF_8));
    }

    public static WorkerResponse ok(String stdout) {
        return new WorkerResponse(0, stdout.getBytes(StandardCharsets.UTF_8), new byte[0]);
    }
}
