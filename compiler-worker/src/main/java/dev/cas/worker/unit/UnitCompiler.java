package dev.cas.worker.unit;

import dev.cas.store.Digest;
import dev.cas.worker.cache.LocalCache;
import dev.cas.worker.cache.LocalResults;
import dev.cas.worker.cache.Result;
import dev.cas.worker.cache.ResultStore;
import dev.cas.worker.cache.TwoLevelResults;
import dev.cas.worker.clang.ClangCommands;
import dev.cas.worker.clang.ProcessRunner;
import dev.cas.worker.clang.Toolchain;
import dev.cas.worker.command.BuildContext;
import dev.cas.worker.command.CompilerInvocation;
import dev.cas.worker.command.SourceFile;
import dev.cas.worker.command.SourceFile.Kind;
import dev.cas.worker.common.Diagnostics;
import dev.cas.worker.common.WorkFiles;
import dev.cas.worker.direct.DirectModeCache;
import dev.cas.worker.direct.IncludeManifest;
import dev.cas.worker.llvm.IdleMemoryRelease;
import dev.cas.worker.llvm.LlvmBackend;
import dev.cas.worker.pieces.DeferredSplits;
import dev.cas.worker.pieces.PerFunctionCompiler;
import dev.cas.worker.remote.RemoteResults;
import dev.cas.worker.unit.UnitRecords.Found;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds one analysis unit (a translation unit) through the cache, and only orchestrates: direct mode
 * ({@link DirectModeCache}) may find the unit without running clang at all. Otherwise, without a remote level, clang
 * compiles at once and the key comes from the files it read (depend mode); with one, the bundled clang preprocesses,
 * the unit is keyed ({@link UnitKey}), and a hit writes the stored object (clang, started beside the preprocessor in
 * case of a miss, is stopped). On a miss {@link UnitBackend} builds the object and the result is stored with its
 * diagnostics. What happened is written down by {@link UnitRecords}. A cache that fails is logged and bypassed: the
 * build never fails because of it.
 */
public final class UnitCompiler {
    private static final Logger log = LoggerFactory.getLogger(UnitCompiler.class);
    /** Where clang lists the headers it read, in depend mode, inside the unit's work directory. */
    private static final String HEADER_LIST = "headers.txt";

    private final LocalCache cache;
    private final Path scratch;
    private final ClangCommands clang;
    private final UnitKey keys;
    private final DirectModeCache direct;
    private final DeferredSplits deferred;
    private final IdleMemoryRelease memory;
    private final UnitBackend backend;
    private final UnitRecords records;
    private final LocalResults local;

    public UnitCompiler(Toolchain toolchain, LocalCache cache, LlvmBackend backend, PerFunctionCompiler perFunction,
            Path scratch) {
        this.cache = cache;
        this.scratch = scratch;
        this.clang = new ClangCommands(toolchain);
        this.keys = new UnitKey(toolchain);
        this.direct = new DirectModeCache(toolchain, cache);
        this.memory = new IdleMemoryRelease();
        this.deferred = new DeferredSplits(perFunction, cache, scratch.resolve("deferred"), memory::allocatedMuch);
        this.backend = new UnitBackend(backend, perFunction, deferred, direct);
        this.records = new UnitRecords(cache);
        this.local = new LocalResults(cache);
    }

    /** What a fresh worker's first lookups would otherwise wait for ({@link DirectModeCache#warmUp}). */
    public void warmUp(BooleanSupplier busy) {
        direct.warmUp(busy);
    }

    /** Units compiled whole whose pieces are still to be built. */
    public int deferredWaiting() {
        return deferred.waiting();
    }

    /** How many times this worker handed memory back when idle ({@link IdleMemoryRelease}). */
    public long memoryReleases() {
        return memory.releases();
    }

    /** Stops splitting in the background (the running job finishes). */
    public void close() {
        deferred.close();
        memory.close();
    }

    /** What {@code cas-compile explain} says about the last build of {@code sourcePath}. */
    public Optional<String> explain(Path workingDirectory, String sourcePath) {
        return records.explain(workingDirectory, sourcePath);
    }

    /** Compiles {@code source} to the object file {@code objectPath} (resolved against the working directory). */
    public UnitResult compile(CompilerInvocation invocation, SourceFile source, String objectPath,
            BuildContext context) throws IOException {
        deferred.unitStarted();
        memory.unitStarted();
        UnitResult result = null;
        try {
            result = compileUnit(invocation, source, objectPath, context);
            return result;
        } finally {
            deferred.unitFinished();
            // only a unit this process built (the in-process back end) leaves much to collect; clang's own back end
            // (-O0, driver-only flags) builds in its process: a full collection after each such miss cost the worker
            // 18-84 ms of stopped threads, 5 times in yaml-cpp's -O0 cold build
            memory.unitFinished(result == null
                    || result.outcome() == UnitResult.Outcome.MISS && !invocation.needsDriverBackend());
        }
    }

    private UnitResult compileUnit(CompilerInvocation invocation, SourceFile source, String objectPath,
            BuildContext context) throws IOException {
        // Order: direct mode (no clang at all); then, in depend mode, clang and the key from the files it read; else
        // preprocess and the unit key (clang already at work on a possible miss); then compile on a miss.
        Path object = context.resolve(objectPath);
        if (source.kind() == Kind.ASSEMBLY) {
            return compileUncached(invocation, source, object, context);
        }
        long begin = System.nanoTime();
        long started = System.currentTimeMillis(); // before anything reads the unit's files: see IncludeManifest.hash
        Optional<Digest> directKey = direct.key(invocation, source, context);
        boolean depend = directKey.isPresent() && dependMode(context);
        Path work = null;
        ProcessRunner.Running early = null;
        try {
            if (depend && direct.sourceEdited(source, context)) {
                // an edited source almost always misses: clang starts now, beside the direct-mode check (on a large
                // file that check is tens of milliseconds of reading and hashing), and is stopped if it hits
                work = Files.createTempDirectory(scratch, "unit-");
                early = startClang(invocation, source, work, context, Optional.of(work.resolve(HEADER_LIST)));
            }
            if (directKey.isPresent()) {
                Optional<UnitResult> served = directHit(directKey.get(), invocation, source, object, context,
                        Optional.ofNullable(early));
                if (served.isPresent()) {
                    log.debug("{}: direct hit in {} ms", source.path(), (System.nanoTime() - begin) / 1_000_000);
                    return served.get();
                }
            }
            log.debug("{}: direct mode {} in {} ms{}", source.path(), directKey.isPresent() ? "missed" : "off",
                    (System.nanoTime() - begin) / 1_000_000, early != null ? ", clang started before it" : "");
            if (work == null) {
                work = Files.createTempDirectory(scratch, "unit-");
            }
            if (depend) {
                if (early == null) {
                    early = startClang(invocation, source, work, context, Optional.of(work.resolve(HEADER_LIST)));
                }
                direct.readAhead(source, context); // beside clang: the depend key after it needs the source's hash
                return compileWithoutPreprocessing(invocation, source, object, context, directKey.get(), work, early,
                        started);
            }
            // Clang starts on the miss beside the preprocessor: on a miss (the usual case once direct mode has
            // missed) its result is ready sooner; on a hit it is killed.
            if (compilesWithClang(invocation, source)) {
                early = startClang(invocation, source, work, context, Optional.empty());
            }
            return compileFromText(invocation, source, object, context, begin, started, directKey, work, early);
        } finally {
            if (early != null) {
                early.cancel();
            }
            if (work != null) {
                WorkFiles.deleteRecursively(work);
            }
        }
    }

    private UnitResult compileFromText(CompilerInvocation invocation, SourceFile source, Path object,
            BuildContext context, long begin, long started, Optional<Digest> directKey, Path work,
            ProcessRunner.Running early) throws IOException {
        byte[] text;
        if (source.kind().isSource()) {
            // Its diagnostics are printed only on failure: the frontend prints them again, and they are stored.
            ProcessRunner.Result preprocessed = ProcessRunner.run(clang.preprocess(invocation, source),
                    context.workingDirectory(), context.environment());
            if (!preprocessed.succeeded()) {
                records.failed();
                return UnitResult.failed(preprocessed.exitCode(), preprocessed.stderr());
            }
            text = preprocessed.stdout();
        } else {
            Path input = context.resolve(source.path());
            if (!Files.isReadable(input)) {
                return UnitResult.failed(1, Diagnostics.error("no such file or directory: '" + source.path() + "'"));
            }
            text = Files.readAllBytes(input);
        }
        long preprocessed = System.nanoTime();
        Digest key = keys.of(invocation, source, text, context);
        Optional<Result> hit = lookup(key, context);
        log.debug("{}: preprocessed in {} ms, fingerprint and lookup {} ms, {}", source.path(),
                (preprocessed - begin) / 1_000_000, (System.nanoTime() - preprocessed) / 1_000_000,
                hit.isPresent() ? "hit" : "miss");
        if (hit.isPresent()) {
            directKey.ifPresent(k -> recordDirect(k, key, text, invocation, source, context, started));
            return served(hit.get(), object, context, source, Found.PREPROCESSED);
        }
        long start = System.nanoTime();
        BuiltUnit built = backend.build(invocation, source, work, context, early, directKey,
                records.whenSplitLater(context, source));
        if (!built.succeeded()) {
            records.failed(built);
            return UnitResult.failed(built.exitCode(), built.diagnostics());
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        WorkFiles.writeAtomically(object, built.object());
        store(key, built, millis, context);
        directKey.ifPresent(k -> recordDirect(k, key, text, invocation, source, context, started));
        log.debug("{}: compiled in {} ms, written and stored in {} ms", source.path(), millis,
                (System.nanoTime() - start) / 1_000_000 - millis);
        records.built(context, source, built, millis, false);
        return new UnitResult(UnitResult.Outcome.MISS, 0, built.diagnostics());
    }

    /**
     * Depend mode, as ccache has it: without a remote level, a unit that direct mode missed is compiled without a
     * preprocessor run first (40-140 ms of a C unit's processor time on zstd, more for C++; ~13% of zstd's cold -O3
     * build). The price, for the local cache only: a comment-only edit misses the unit (its pieces still hit), and
     * units are not shared between directories. With a remote level the preprocessed text stays the key: it is
     * what lets another checkout path or machine hit. {@code CAS_DEPEND_MODE=0} keeps the preprocessor.
     */
    private static boolean dependMode(BuildContext context) {
        return !context.remote().enabled() && !"0".equals(context.environment().get("CAS_DEPEND_MODE"))
                && !context.environment().containsKey("CC_PRINT_HEADERS");
    }

    /**
     * Compiles a unit without a preprocessor run first: clang (whole, or its frontend) also writes the dependency
     * file asked for and names every header it read ({@code CC_PRINT_HEADERS}); the unit's key is what the command
     * says about the object and the content of those files ({@link DirectModeCache#dependRecord}). A stored result
     * under that key (the same unit compiled by another command, or the same files seen before, as after switching a
     * branch back) is served without the back end; otherwise the result is built, stored and recorded for direct
     * mode.
     */
    private UnitResult compileWithoutPreprocessing(CompilerInvocation invocation, SourceFile source, Path object,
            BuildContext context, Digest directKey, Path work, ProcessRunner.Running running, long started)
            throws IOException {
        long start = System.nanoTime();
        ProcessRunner.Result frontend = running.await();
        if (!frontend.succeeded()) {
            records.failed();
            return UnitResult.failed(frontend.exitCode(), frontend.stderr());
        }
        long compiled = System.nanoTime();
        List<String> read = new ArrayList<>(List.of(source.path()));
        read.addAll(headersRead(work.resolve(HEADER_LIST)));
        Optional<IncludeManifest> record = direct.dependRecord(UnitKey.backendName(invocation, context), read,
                invocation, source, context, started);
        Optional<Result> hit = record.flatMap(r -> local.get(r.unitKey()).filter(UnitCompiler::isUnitObject));
        long keyed = System.nanoTime();
        if (hit.isPresent()) {
            direct.record(directKey, record.get());
            return served(hit.get(), object, context, source, Found.DEPEND);
        }
        BuiltUnit unit = backend.build(invocation, source, work, context, running, Optional.of(directKey),
                records.whenSplitLater(context, source));
        if (!unit.succeeded()) {
            records.failed(unit);
            return UnitResult.failed(unit.exitCode(), unit.diagnostics());
        }
        long built = System.nanoTime();
        long millis = (built - start) / 1_000_000;
        WorkFiles.writeAtomically(object, unit.object());
        if (record.isPresent()) {
            store(record.get().unitKey(), unit, millis, context);
            direct.record(directKey, record.get());
        }
        log.debug("{}: clang {} ms, depend key and lookup {} ms, back end {} ms, written and stored {} ms",
                source.path(), (compiled - start) / 1_000_000, (keyed - compiled) / 1_000_000,
                (built - keyed) / 1_000_000, (System.nanoTime() - built) / 1_000_000);
        records.built(context, source, unit, millis, true);
        return new UnitResult(UnitResult.Outcome.MISS, 0, unit.diagnostics());
    }

    /** The distinct files in clang's list of included headers (one per line, after nesting dots if any). */
    private static Collection<String> headersRead(Path list) throws IOException {
        Set<String> files = new LinkedHashSet<>();
        if (Files.exists(list)) {
            for (String line : Files.readAllLines(list, StandardCharsets.UTF_8)) {
                String name = withoutNestingDots(line);
                if (!name.isEmpty()) {
                    files.add(name);
                }
            }
        }
        return files;
    }

    /**
     * {@code line} without its leading dots and the space after them ({@code .. /usr/include/stdio.h}). Read without
     * a regular expression: {@code replaceFirst} compiled one for each of a unit's ~150 lines (20 ms of a cold zstd
     * build's 600 ms in the units' threads, async-profiler).
     */
    static String withoutNestingDots(String line) {
        int dots = 0;
        while (dots < line.length() && line.charAt(dots) == '.') {
            dots++;
        }
        return dots > 0 && dots < line.length() && line.charAt(dots) == ' ' ? line.substring(dots + 1) : line;
    }

    /** Whether a miss runs clang: all of it, or its frontend to bitcode (not for IR given as input). */
    private static boolean compilesWithClang(CompilerInvocation invocation, SourceFile source) {
        return invocation.needsDriverBackend() || source.kind() != Kind.LLVM_IR;
    }

    /**
     * Starts clang on the original source ({@link ClangCommands#compile}); in depend mode ({@code headerList}) it
     * also writes the dependency file the user asked for and lists the headers it read.
     */
    private ProcessRunner.Running startClang(CompilerInvocation invocation, SourceFile source, Path work,
            BuildContext context, Optional<Path> headerList) {
        Map<String, String> environment = context.environment();
        if (headerList.isPresent()) {
            environment = new HashMap<>(environment);
            environment.put("CC_PRINT_HEADERS", "1");
            environment.put("CC_PRINT_HEADERS_FILE", headerList.get().toString());
        }
        return ProcessRunner.start(clang.compile(invocation, source, work, headerList.isPresent()),
                context.workingDirectory(), environment);
    }

    /** A unit direct mode finds; {@code early}, a clang started beside the check, is stopped before it writes. */
    private Optional<UnitResult> directHit(Digest directKey, CompilerInvocation invocation, SourceFile source,
            Path object, BuildContext context, Optional<ProcessRunner.Running> early) throws IOException {
        Optional<IncludeManifest> manifest;
        Found found = Found.DIRECT;
        LookupAhead lookups = new LookupAhead(key -> lookup(key, context));
        try {
            manifest = direct.find(directKey, context);
            if (manifest.isEmpty() && context.remote().enabled()) {
                manifest = direct.sharedKey(invocation, source, context).flatMap(key -> direct.findShared(key,
                        new RemoteResults(context.remote()), context, lookups::start));
                found = Found.DIRECT_SHARED;
            }
        } catch (RuntimeException e) {
            cache.failed("direct lookup of " + directKey, e);
            return Optional.empty();
        }
        if (manifest.isEmpty()) {
            return Optional.empty();
        }
        Optional<Result> hit = lookups.get(manifest.get().unitKey());
        if (hit.isEmpty()) {
            return Optional.empty();
        }
        early.ifPresent(ProcessRunner.Running::cancel); // before the dependency file is written: clang writes it too
        if (found == Found.DIRECT_SHARED) {
            direct.record(directKey, manifest.get()); // the next build of this checkout finds it here
        }
        Optional<String> dependencyFile = invocation.dependencies().filePath(source, invocation.output());
        if (dependencyFile.isPresent()) {
            WorkFiles.writeAtomically(context.resolve(dependencyFile.get()), manifest.get().dependencyFile());
        }
        return Optional.of(served(hit.get(), object, context, source, found));
    }

    /**
     * Records what preprocessing read under the command's direct key and, with a remote level, shares the record
     * there, so that another checkout or machine finds the unit without preprocessing.
     */
    private void recordDirect(Digest directKey, Digest unitKey, byte[] text, CompilerInvocation invocation,
            SourceFile source, BuildContext context, long started) {
        Optional<IncludeManifest> record = direct.record(directKey, unitKey, text, invocation, source, context,
                started);
        if (record.isPresent() && context.remote().enabled()) {
            direct.sharedKey(invocation, source, context)
                    .ifPresent(shared -> direct.share(record.get(), shared, new RemoteResults(context.remote())));
        }
    }

    private UnitResult served(Result hit, Path object, BuildContext context, SourceFile source, Found found)
            throws IOException {
        WorkFiles.writeAtomically(object, hit.onlyObject().orElseThrow());
        records.hit(context, source, hit, found);
        return new UnitResult(UnitResult.Outcome.HIT, 0, hit.diagnostics());
    }

    private UnitResult compileUncached(CompilerInvocation invocation, SourceFile source, Path object,
            BuildContext context) {
        ProcessRunner.Result result = ProcessRunner.run(clang.compileUncached(invocation, source, object),
                context.workingDirectory(), context.environment());
        records.uncached();
        return result.succeeded() ? new UnitResult(UnitResult.Outcome.UNCACHED, 0, result.stderr())
                : UnitResult.failed(result.exitCode(), result.stderr());
    }

    /** The local cache, then the build's remote level (a remote hit is kept locally): one unit object each. */
    private Optional<Result> lookup(Digest key, BuildContext context) {
        return results(context).get(key).filter(UnitCompiler::isUnitObject);
    }

    private static boolean isUnitObject(Result result) {
        return result.onlyObject().isPresent();
    }

    /** Stored after the build answers; its lookups, and the direct-mode record written next, see it at once. */
    private void store(Digest key, BuiltUnit built, long millis, BuildContext context) {
        results(context).putSoon(key, Result.ofObject(built.object(), built.diagnostics(), millis));
    }

    /** Where this build's results live: the local cache, and the remote level behind it when the build has one. */
    private ResultStore results(BuildContext context) {
        return context.remote().enabled() ? new TwoLevelResults(local, new RemoteResults(context.remote())) : local;
    }
}
