package dev.cas.worker.daemon;

import dev.cas.worker.Worker;
import dev.cas.worker.WorkerResponse;
import dev.cas.worker.command.BuildContext;
import dev.cas.worker.command.CompilerInvocation;
import dev.cas.worker.llvm.IdleMemoryRelease;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local worker: one long-lived process per cache directory that owns the RocksDB database (RocksDB admits one
 * process per database) and keeps LLVM loaded, serving every {@code cas-compile} process of a {@code make -j} build
 * over a Unix-domain socket. Launchers start it on demand; it exits by itself after an idle period.
 */
public final class WorkerDaemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(WorkerDaemon.class);
    public static final String SOCKET_NAME = "worker.sock";

    private final Worker worker;
    private final Path socket;
    private final Duration idleTimeout;
    private final ServerSocketChannel server;
    private final ExecutorService connections = Executors.newCachedThreadPool();
    private final ScheduledExecutorService idleCheck = Executors.newSingleThreadScheduledExecutor();
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong lastActivity = new AtomicLong(System.nanoTime());
    private final CountDownLatch closed = new CountDownLatch(1);
    private volatile boolean running = true;

    private WorkerDaemon(Worker worker, Path socket, Duration idleTimeout) throws IOException {
        this.worker = worker;
        this.socket = socket;
        this.idleTimeout = idleTimeout;
        Files.deleteIfExists(socket);
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
    }

    /** {@code WorkerDaemon <cache-dir> <max-size-bytes> <idle-seconds>} */
    public static void main(String[] args) throws Exception {
        spawnWithVforkBeforeJdk25();
        Path cacheDirectory = Path.of(args[0]);
        long maxSize = Long.parseLong(args[1]);
        Duration idle = Duration.ofSeconds(Long.parseLong(args[2]));
        Worker worker = openWaitingForPredecessor(cacheDirectory, maxSize);
        if (worker == null) {
            System.exit(3);
            return;
        }
        worker.connectAhead(System.getenv());
        worker.warmUpInBackground(System.getenv());
        IdleMemoryRelease.handBackInThisProcess();
        try (WorkerDaemon daemon = new WorkerDaemon(worker, cacheDirectory.resolve(SOCKET_NAME), idle)) {
            Runtime.getRuntime().addShutdownHook(new Thread(daemon::stopAndAwaitClose));
            log.info("worker {} serving {} (idle timeout {} s)", WorkerProtocol.buildId(), daemon.socket,
                    idle.toSeconds());
            daemon.serve();
        }
        System.exit(0);
    }

    /**
     * Every miss starts clang from this JVM. Through the default launch mechanism (posix_spawn of the JDK's
     * {@code jspawnhelper}, which then executes clang) that took ~5.7 ms a start here, ~3 ms with {@code vfork}, which
     * executes clang at once. OpenJDK deprecated VFORK in JDK 25 (with a warning) and plans to remove it, so only older
     * runtimes use it, and a launch mechanism chosen by the user stays.
     */
    private static void spawnWithVforkBeforeJdk25() {
        String property = "jdk.lang.Process.launchMechanism";
        if (System.getProperty(property) == null && Runtime.version().feature() < 25) {
            System.setProperty(property, "VFORK");
        }
    }

    /**
     * Opens the cache; while a worker of an older build is still closing it holds the database's lock, so retry for a
     * while before giving up.
     */
    private static Worker openWaitingForPredecessor(Path cacheDirectory, long maxSize) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                return Worker.open(cacheDirectory, maxSize);
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    log.error("cannot start the worker: {}", e.getMessage());
                    return null;
                }
                log.info("cache busy ({}); retrying", e.getMessage());
                Thread.sleep(250);
            }
        }
    }

    private void serve() {
        idleCheck.scheduleWithFixedDelay(this::stopIfIdle, 1, 1, TimeUnit.SECONDS);
        while (running) {
            try {
                SocketChannel channel = server.accept();
                active.incrementAndGet();
                lastActivity.set(System.nanoTime());
                connections.execute(() -> handle(channel));
            } catch (IOException e) {
                if (running) {
                    log.warn("accept failed: {}", e.toString());
                }
            }
        }
    }

    private void handle(SocketChannel channel) {
        // buffered: a request is ~150 length-prefixed fields, each int read a byte at a time by DataInputStream: ~470
        // read calls on the socket per compile, unbuffered
        try (channel;
                DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel)));
                DataOutputStream out = new DataOutputStream(
                        new BufferedOutputStream(Channels.newOutputStream(channel)))) {
            WorkerProtocol.Request request = WorkerProtocol.readRequest(in);
            WorkerProtocol.writeResponse(out, respond(request));
        } catch (EOFException probe) {
            log.debug("connection closed without a request (a launcher checking that the worker runs)");
        } catch (IOException | RuntimeException e) {
            log.warn("request failed: {}", e.toString());
        } finally {
            lastActivity.set(System.nanoTime());
            active.decrementAndGet();
        }
    }

    private WorkerResponse respond(WorkerProtocol.Request request) {
        if (!request.buildId().equals(WorkerProtocol.buildId()) && request.command() != WorkerProtocol.Command.PING) {
            log.info("a launcher of build {} asked; this worker is {}: stopping", request.buildId(),
                    WorkerProtocol.buildId());
            stop();
            return new WorkerResponse(WorkerProtocol.STALE, new byte[0], new byte[0]);
        }
        return switch (request.command()) {
            case COMPILE -> {
                List<String> command = CompilerInvocation.withCompilerWord(request.arguments());
                yield worker.compile(command.get(0), command.subList(1, command.size()),
                        new BuildContext(Path.of(request.workingDirectory()), request.environment()));
            }
            case STATS -> WorkerResponse.ok(formatStats(worker.stats()));
            case CLEAR -> {
                worker.clear();
                yield WorkerResponse.ok("");
            }
            case SHUTDOWN -> {
                stop();
                yield WorkerResponse.ok("");
            }
            case EXPLAIN -> worker.explain(Path.of(request.workingDirectory()), request.arguments().get(0))
                    .map(WorkerResponse::ok)
                    .orElseGet(() -> WorkerResponse.error(1, "no build of '" + request.arguments().get(0)
                            + "' is recorded in this cache (looked for it relative to " + request.workingDirectory()
                            + ")"));
            case PING -> WorkerResponse.ok(WorkerProtocol.buildId() + " pid " + ProcessHandle.current().pid());
        };
    }

    private static String formatStats(Map<String, Long> stats) {
        StringBuilder text = new StringBuilder();
        stats.forEach((name, value) -> text.append(name).append('=').append(value).append('\n'));
        return text.toString();
    }

    private void stopIfIdle() {
        long idleNanos = System.nanoTime() - lastActivity.get();
        if (active.get() == 0 && idleNanos > idleTimeout.toNanos()) {
            log.info("idle for {} s: stopping", idleTimeout.toSeconds());
            stop();
        }
    }

    /** Stops accepting; requests in flight finish before {@link #close()} releases the cache. */
    void stop() {
        if (!running) {
            return;
        }
        running = false;
        try {
            Files.deleteIfExists(socket);
            server.close();
        } catch (IOException e) {
            log.debug("closing the socket: {}", e.toString());
        }
    }

    /** On SIGTERM: stop accepting and give the main thread time to close RocksDB cleanly. */
    private void stopAndAwaitClose() {
        stop();
        try {
            closed.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Order: stop accepting, let running requests finish, then close the worker (pool, then RocksDB). */
    @Override
    public void close() {
        stop();
        idleCheck.shutdownNow();
        connections.shutdown();
        try {
            connections.awaitTermination(10, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        worker.close();
        closed.countDown();
    }
}
