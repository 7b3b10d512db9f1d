package dev.cas.worker;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/** Runs a toolchain executable in the caller's directory and environment and collects what it printed. */
public final class ProcessRunner {

    /** The exit status and both output streams of a finished process. */
    public record Result(int exitCode, byte[] stdout, byte[] stderr) {
        public boolean succeeded() {
            return exitCode == 0;
        }
    }

    /** Drains stderr beside stdout; its own threads, since the common pool has a single thread on 2 cores. */
    private static final ExecutorService DRAINERS = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "process-stderr");
        thread.setDaemon(true);
        return thread;
    });

    private ProcessRunner() {
    }

    public static Result run(List<String> command, Path workingDirectory, Map<String, String> environment) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(workingDirectory.toFile());
        builder.environment().clear();
        builder.environment().putAll(environment);
        builder.redirectInput(ProcessBuilder.Redirect.PIPE);
        try {
            Process process = builder.start();
            process.getOutputStream().close();
            CompletableFuture<byte[]> stderr = CompletableFuture.supplyAsync(() -> drain(process.getErrorStream()),
                    DRAINERS);
            byte[] stdout = drain(process.getInputStream());
            int exit = process.waitFor();
            return new Result(exit, stdout, stderr.join());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command.get(0), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command.get(0), e);
        }
    }

    private static byte[] drain(InputStream in) {
        try (in; ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            in.transferTo(out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
