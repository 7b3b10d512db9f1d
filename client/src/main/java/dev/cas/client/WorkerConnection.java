package dev.cas.client;

import dev.cas.worker.daemon.WorkerDaemon;
import dev.cas.worker.daemon.WorkerProtocol;
import dev.cas.worker.daemon.WorkerProtocol.Command;
import dev.cas.worker.daemon.WorkerProtocol.Request;
import dev.cas.worker.WorkerResponse;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Sends one request to the worker daemon of a cache directory, starting the daemon first when none answers.
 * Starting is serialised by a file lock, so the sixteen launchers of a {@code make -j16} start exactly one worker.
 */
final class WorkerConnection {
    private static final long START_TIMEOUT_MILLIS = 120_000;

    private final ClientSettings settings;
    private final Path socket;

    WorkerConnection(ClientSettings settings) {
        this.settings = settings;
        this.socket = settings.cacheDirectory().resolve(WorkerDaemon.SOCKET_NAME);
    }

    /** Sends the request, starting (or replacing a stale) worker as needed. */
    WorkerResponse send(Command command, String cwd, Map<String, String> env, List<String> args) throws IOException {
        Request request = new Request(command, WorkerProtocol.buildId(), cwd, env, args);
        for (int attempt = 0; attempt < 3; attempt++) {
            WorkerResponse response = trySend(request);
            if (response == null) {
                startWorker();
                continue;
            }
            if (response.exitCode() == WorkerProtocol.STALE) {
                waitForSocketToClose();
                continue;
            }
            return response;
        }
        throw new IOException("the cas worker did not answer on " + socket + " (see "
                + settings.cacheDirectory().resolve("worker.log") + ")");
    }

    /**
     * Stops the running worker, if any, and waits until its process has exited (and so released the database).
     *
     * @return whether a worker was running
     */
    boolean stop() throws IOException {
        WorkerResponse ping = trySend(new Request(Command.PING, WorkerProtocol.buildId(), "/", Map.of(), List.of()));
        if (ping == null) {
            return false;
        }
        String answer = new String(ping.stdout(), StandardCharsets.UTF_8);
        trySend(new Request(Command.SHUTDOWN, WorkerProtocol.buildId(), "/", Map.of(), List.of()));
        if (answer.contains(" pid ")) {
            long pid = Long.parseLong(answer.substring(answer.indexOf(" pid ") + 5).trim());
            ProcessHandle.of(pid).ifPresent(process -> {
                try {
                    process.onExit().get(60, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // reported by the caller's next use of the cache, if it matters
                }
            });
        }
        return true;
    }

    private WorkerResponse trySend(Request request) throws IOException {
        SocketChannel channel;
        try {
            channel = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        } catch (IOException notRunning) {
            return null;
        }
        try (channel;
                DataOutputStream out = new DataOutputStream(
                        new BufferedOutputStream(Channels.newOutputStream(channel)));
                DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel)))) {
            WorkerProtocol.writeRequest(out, request);
            return WorkerProtocol.readResponse(in);
        }
    }

    /**
     * Whether a worker answers now; when none does, one is started without waiting for it (a command the cache
     * cannot help with runs meanwhile, and the build's next compile finds the worker up, or waits for it).
     */
    boolean answersOrStartsInBackground() throws IOException {
        if (answers()) {
            return true;
        }
        try (FileChannel ignored = startLock()) {
            if (!answers() && starting().isEmpty()) {
                spawn();
            }
        }
        return false;
    }

    private void startWorker() throws IOException {
        try (FileChannel ignored = startLock()) {
            if (answers()) {
                return; // another launcher started it while we waited for the lock
            }
            ProcessHandle process = starting().orElse(null);
            if (process == null) {
                process = spawn();
            }
            long deadline = System.currentTimeMillis() + START_TIMEOUT_MILLIS;
            while (System.currentTimeMillis() < deadline) {
                if (answers()) {
                    return;
                }
                if (!process.isAlive()) {
                    throw new IOException("the cas worker exited before it answered (see " + logFile() + ")");
                }
                sleep(20);
            }
            throw new IOException("the cas worker did not start within " + START_TIMEOUT_MILLIS / 1000 + " s");
        }
    }

    /** Starts a worker process, and notes its pid for launchers that come while it starts; hold the lock. */
    private ProcessHandle spawn() throws IOException {
        ProcessBuilder builder = new ProcessBuilder(WorkerCommand.of(settings));
        WorkerCommand.environment().forEach(builder.environment()::putIfAbsent);
        Process process = builder
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile().toFile()))
                .redirectErrorStream(true)
                .start();
        Files.writeString(startingFile(), Long.toString(process.pid()));
        return process.toHandle();
    }

    /**
     * The worker a launcher started and that does not answer yet: the pid noted by {@link #spawn()}, if that process
     * is alive and a worker (not a process that took the number of one that exited).
     */
    private Optional<ProcessHandle> starting() {
        try {
            long pid = Long.parseLong(Files.readString(startingFile()).trim());
            return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).filter(process -> process.info().arguments()
                    .map(arguments -> Arrays.asList(arguments).contains(WorkerDaemon.class.getName()))
                    .orElse(false));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** The lock that serialises starting a worker (see the class comment), held until the channel is closed. */
    private FileChannel startLock() throws IOException {
        Files.createDirectories(settings.cacheDirectory());
        FileChannel channel = FileChannel.open(settings.cacheDirectory().resolve("worker.start.lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            channel.lock();
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
    }

    private Path startingFile() {
        return settings.cacheDirectory().resolve("worker.starting");
    }

    boolean answers() {
        try (SocketChannel ignored = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void waitForSocketToClose() {
        long deadline = System.currentTimeMillis() + 30_000;
        while (answers() && System.currentTimeMillis() < deadline) {
            sleep(20);
        }
    }

    private Path logFile() {
        return settings.cacheDirectory().resolve("worker.log");
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
