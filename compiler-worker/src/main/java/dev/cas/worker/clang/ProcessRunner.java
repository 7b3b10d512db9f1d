package dev.cas.worker.clang;

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

/**
 * Runs a toolchain executable in the caller's directory and environment (its malloc on huge pages, see
 * {@link HugePageMalloc}) and collects what it printed.
 */
public final class ProcessRunner {

    /** The exit status and both output streams of a finished process. */
    public record Result(int exitCode, byte[] stdout, byte[] stderr) {
        public boolean succeeded() {
            return exitCode == 0;
        }
    }

    /** Drains the output streams; its own threads, since the common pool has a single thread on 2 cores. */
    private static final ExecutorService DRAINERS = Executors.newCachedThreadPool(runnable -> {
        Thread thread = new Thread(runnable, "process-output");
        thread.setDaemon(true);
        return thread;
    });

    private ProcessRunner() {
    }

    public static Result run(List<String> command, Path workingDirectory, Map<String, String> environment) {
        return start(command, workingDirectory, environment).await();
    }

    /** Starts the command without waiting for it: for work begun before it is known to be needed. */
    public static Running start(List<String> command, Path workingDirectory, Map<String, String> environment) {
        ProcessBuilder builder = new ProcessBuilder(command).directory(workingDirectory.toFile());
        builder.environment().clear();
        builder.environment().putAll(environment);
        HugePageMalloc.addTo(builder.environment());
        builder.redirectInput(ProcessBuilder.Redirect.PIPE);
        try {
            Process process = builder.start();
            process.getOutputStream().close();
            CompletableFuture<byte[]> stderr = CompletableFuture.supplyAsync(() -> drain(process.getErrorStream()),
                    DRAINERS);
            CompletableFuture<byte[]> stdout = CompletableFuture.supplyAsync(() -> drain(process.getInputStream()),
                    DRAINERS);
            return new Running(command.get(0), process, stdout, stderr);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command.get(0), e);
        }
    }

    /** A started process: wait for its result, or kill it when its work is no longer wanted. */
    public static final class Running {
        private final String executable;
        private final Process process;
        private final CompletableFuture<byte[]> stdout;
        private final CompletableFuture<byte[]> stderr;

        private Running(String executable, Process process, CompletableFuture<byte[]> stdout,
                CompletableFuture<byte[]> stderr) {
            this.executable = executable;
            this.process = process;
            this.stdout = stdout;
            this.stderr = stderr;
        }

        public Result await() {
            try {
                int exit = process.waitFor();
                return new Result(exit, stdout.join(), stderr.join());
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while running " + executable, e);
            }
        }

        /** Kills the process if it still runs and waits until it is gone (so its files can be removed). */
        public void cancel() {
            if (process.isAlive()) {
                process.destroyForcibly();
                try {
                    process.waitFor();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
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
