package dev.cas.worker;

import dev.cas.store.RocksDbLibrary;
import dev.cas.worker.cache.LocalCache;
import dev.cas.worker.cache.Stat;
import dev.cas.worker.clang.Toolchain;
import dev.cas.worker.command.BuildContext;
import dev.cas.worker.common.NativeSha256;
import dev.cas.worker.common.WorkFiles;
import dev.cas.worker.llvm.LlvmBackend;
import dev.cas.worker.pieces.PerFunctionCompiler;
import dev.cas.worker.remote.RemoteSession;
import dev.cas.worker.remote.RemoteTiers;
import dev.cas.worker.unit.UnitCompiler;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The compile pipeline assembled over one local cache: the composition root shared by the worker daemon and the
 * tests. Owns the cache (and through it RocksDB) and the thread pool; closing it releases both.
 */
public final class Worker implements AutoCloseable {
    /** The system property naming the directory for native libraries extracted from jars. */
    public static final String NATIVE_LIBRARIES_PROPERTY = "cas.native.dir";
    private static final Logger log = LoggerFactory.getLogger(Worker.class);

    private final LocalCache cache;
    private final ExecutorService pool;
    private final ForkJoinPool piecePool;
    private final CompileService service;
    private final UnitCompiler units;
    private final Path scratch;
    private final RemoteTiers remotes;
    private final LlvmBackend backend;

    private Worker(LocalCache cache, ExecutorService pool, ForkJoinPool piecePool, CompileService service,
            UnitCompiler units, Path scratch, LlvmBackend backend) {
        this.remotes = new RemoteTiers(cache::count);
        this.backend = backend;
        this.units = units;
        this.cache = cache;
        this.pool = pool;
        this.piecePool = piecePool;
        this.service = service;
        this.scratch = scratch;
    }

    /**
     * Where RocksDB's library is kept: the directory the launcher names ({@value #NATIVE_LIBRARIES_PROPERTY}, beside
     * its jar, so that a new cache does not extract the 15 MB library again: ~0.1 s of processor time at the start
     * of every build with an empty cache, such as a CI job's), else the cache's own.
     */
    static Path nativeLibraries(Path cacheDirectory) {
        String named = System.getProperty(NATIVE_LIBRARIES_PROPERTY);
        return named == null || named.isBlank() ? cacheDirectory.resolve("native") : Path.of(named);
    }

    /** Opens the cache in {@code cacheDirectory}/db; fails clearly when another process holds it. */
    public static Worker open(Path cacheDirectory, long maxSizeBytes) {
        NativeSha256.loadInBackground(System.getenv());
        Toolchain toolchain = Toolchain.load();
        RocksDbLibrary.load(nativeLibraries(cacheDirectory));
        LocalCache cache = new LocalCache(cacheDirectory.resolve("db"), maxSizeBytes, Clock.systemUTC());
        try {
            Path scratch = Files.createTempDirectory("cas-worker-");
            ExecutorService pool = Executors.newFixedThreadPool(Math.max(2, Runtime.getRuntime().availableProcessors()),
                    runnable -> {
                        Thread thread = new Thread(runnable, "cas-unit");
                        thread.setDaemon(true);
                        return thread;
                    });
            LlvmBackend backend = new LlvmBackend();
            ForkJoinPool piecePool = new ForkJoinPool(Math.max(2, Runtime.getRuntime().availableProcessors()));
            PerFunctionCompiler perFunction = new PerFunctionCompiler(toolchain, cache, backend, piecePool);
            UnitCompiler units = new UnitCompiler(toolchain, cache, backend, perFunction, scratch);
            return new Worker(cache, pool, piecePool, new CompileService(toolchain, cache, units, pool, scratch), units,
                    scratch, backend);
        } catch (IOException e) {
            cache.close();
            throw new UncheckedIOException("cannot create a scratch directory", e);
        }
    }

    /** Runs one command; the build uses the remote cache its environment names, if any. */
    public WorkerResponse compile(String compiler, List<String> args, BuildContext context) {
        try (LocalCache.BuildRunning running = cache.buildRunning()) {
            BuildContext build = context.withRemote(remotes.session(context.environment()));
            WorkerResponse response = service.run(compiler, args, build);
            return build.remote().warning().map(response::withWarning).orElse(response);
        }
    }

    /**
     * Connects, in the background, to the server {@code environment} names, if any: given the environment the worker
     * was started in (its first build's), a fresh CI runner's first lookups find the connection up instead of
     * waiting for it behind the worker's own start.
     */
    public void connectAhead(Map<String, String> environment) {
        RemoteSession session = remotes.session(environment);
        if (session.enabled()) {
            startInBackground("cas-remote-connect", session::connect);
        }
    }

    /**
     * Warms the worker up in the background while no build runs: once its native SHA-256 has loaded, the direct-mode
     * file checks ({@link UnitCompiler#warmUp}). A worker started ahead of a build (a CI job's first step, or
     * {@code cas-compile start}) then checks its first build's files at the speed of a worker that has built before;
     * a build that arrives meanwhile stops the warm-up at its next file. Not when there is nothing to check: an empty
     * cache and no server in {@code environment} (a first build's probes would have shared the processor with it:
     * 70 ms of a cold zstd build's).
     */
    public void warmUpInBackground(Map<String, String> environment) {
        if (cache.isEmpty() && !remotes.session(environment).enabled()) {
            log.debug("warm-up skipped: an empty cache and no server, no record to check");
            return;
        }
        startInBackground("cas-warm-up", () -> {
            try {
                NativeSha256.awaitLoad(Duration.ofSeconds(5));
                units.warmUp(cache::buildRunningNow);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    /** Runs {@code work} on a thread of its own that does not keep the worker's process alive. */
    private static void startInBackground(String name, Runnable work) {
        Thread thread = new Thread(work, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** The explanation of the last build of {@code sourcePath}, resolved against {@code workingDirectory}. */
    public Optional<String> explain(Path workingDirectory, String sourcePath) {
        return units.explain(workingDirectory, sourcePath);
    }

    public Map<String, Long> stats() {
        Map<String, Long> stats = cache.stats();
        stats.put(Stat.FUNCTION_DEFERRED_WAITING.key(), (long) units.deferredWaiting());
        return stats;
    }

    public void clear() {
        cache.clear();
    }

    /** How many times memory was handed back when idle (in a JVM embedding the worker: would have been). */
    long memoryReleases() {
        return units.memoryReleases();
    }

    /**
     * Stops the pools first (no unit or piece may still write to the cache or use LLVM), disposes the back end's
     * target machines, sends the uploads still queued (for up to a minute), then closes the cache.
     */
    @Override
    public void close() {
        units.close();
        pool.shutdown();
        piecePool.shutdown();
        try {
            pool.awaitTermination(1, TimeUnit.MINUTES);
            piecePool.awaitTermination(1, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        backend.close();
        remotes.close();
        cache.close();
        WorkFiles.deleteRecursively(scratch);
    }
}
