package dev.cas.worker;

import dev.cas.store.Digest;
import dev.cas.worker.SourceFile.Kind;
import dev.cas.worker.remote.RemoteResults;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds one analysis unit (a translation unit) through the cache. Direct mode ({@link DirectModeCache}) may find the
 * unit without running clang at all. Otherwise, without a remote level, clang compiles at once and the key comes from
 * the files it read (depend mode); with one, the bundled clang preprocesses, the unit is fingerprinted, and a hit
 * writes the stored object (clang, started beside the preprocessor in case of a miss, is stopped). On a miss clang's
 * frontend emits bitcode which is optimised and code-generated in process, per function ({@link PerFunctionCompiler})
 * or whole ({@link LlvmBackend}) — or clang compiles the unit itself at {@code -O0} and for flags the C API cannot
 * honour — and the object is stored with its diagnostics. A cache that fails is logged and
 * bypassed: the build never fails because of it.
 */
public final class UnitCompiler {
    private static final Logger log = LoggerFactory.getLogger(UnitCompiler.class);
    private static final String SCHEMA = "cas-unit-v1";

    private final Toolchain toolchain;
    private final LocalCache cache;
    private final LlvmBackend backend;
    private final Path scratch;
    private final DirectModeCache direct;
    private final PerFunctionCompiler perFunction;
    private final BuildExplanations explanations;
    private final DeferredSplits deferred;
    private final LocalResults local;

    UnitCompiler(Toolchain toolchain, LocalCache cache, LlvmBackend backend, PerFunctionCompiler perFunction,
            Path scratch) {
        this.toolchain = toolchain;
        this.cache = cache;
        this.backend = backend;
        this.perFunction = perFunction;
        this.scratch = scratch;
        this.direct = new DirectModeCache(toolchain, cache);
        this.explanations = new BuildExplanations(cache);
        this.deferred = new DeferredSplits(perFunction, cache, scratch.resolve("deferred"));
        this.local = new LocalResults(cache);
    }

    /** Units compiled whole whose pieces are still to be built. */
    int deferredWaiting() {
        return deferred.waiting();
    }

    /** Stops splitting in the background (the running job finishes). */
    void close() {
        deferred.close();
    }

    /** What {@code cas-compile explain} says about the last build of {@code sourcePath}. */
    public Optional<String> explain(Path workingDirectory, String sourcePath) {
        return explanations.explain(workingDirectory, sourcePath);
    }

    /** Compiles {@code source} to the object file {@code objectPath} (resolved against the working directory). */
    public UnitResult compile(CompilerInvocation invocation, SourceFile source, String objectPath,
            BuildContext context) throws IOException {
        deferred.unitStarted();
        try {
            return compileUnit(invocation, source, objectPath, context);
        } finally {
            deferred.unitFinished();
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
        Optional<Digest> directKey = direct.key(invocation, source, context);
        if (directKey.isPresent()) {
            Optional<UnitResult> served = directHit(directKey.get(), invocation, source, object, context);
            if (served.isPresent()) {
                explanations.recordHit(context, source, true);
                log.debug("{}: direct hit in {} ms", source.path(), (System.nanoTime() - begin) / 1_000_000);
                return served.get();
            }
        }
        Path work = Files.createTempDirectory(scratch, "unit-");
        if (directKey.isPresent() && dependMode(context)) {
            try {
                return compileWithoutPreprocessing(invocation, source, object, context, directKey.get(), work);
            } finally {
                deleteRecursively(work);
            }
        }
        // Clang starts on the miss beside the preprocessor: on a miss (the usual case once direct mode has missed)
        // its result is ready sooner; on a hit it is killed.
        ProcessRunner.Running early = compilesWithClang(invocation, source) ? startClang(invocation, source, work,
                context, Optional.empty()) : null;
        try {
            return compileFromText(invocation, source, object, context, begin, directKey, work, early);
        } finally {
            if (early != null) {
                early.cancel();
            }
            deleteRecursively(work);
        }
    }

    private UnitResult compileFromText(CompilerInvocation invocation, SourceFile source, Path object,
            BuildContext context, long begin, Optional<Digest> directKey, Path work, ProcessRunner.Running early)
            throws IOException {
        byte[] text;
        if (source.kind().isSource()) {
            // Its diagnostics are printed only on failure: the frontend prints them again, and they are stored.
            ProcessRunner.Result preprocessed = preprocess(invocation, source, context);
            if (!preprocessed.succeeded()) {
                return UnitResult.failed(preprocessed.exitCode(), preprocessed.stderr());
            }
            text = preprocessed.stdout();
        } else {
            Path input = context.resolve(source.path());
            if (!Files.isReadable(input)) {
                return UnitResult.failed(1, message("no such file or directory: '" + source.path() + "'"));
            }
            text = Files.readAllBytes(input);
        }
        long preprocessed = System.nanoTime();
        Digest key = fingerprint(invocation, source, text, context);
        Optional<Result> hit = lookup(key, context);
        log.debug("{}: preprocessed in {} ms, fingerprint and lookup {} ms, {}", source.path(),
                (preprocessed - begin) / 1_000_000, (System.nanoTime() - preprocessed) / 1_000_000,
                hit.isPresent() ? "hit" : "miss");
        if (hit.isPresent()) {
            directKey.ifPresent(k -> direct.record(k, key, text, invocation, source, context));
            explanations.recordHit(context, source, false);
            writeAtomically(object, hit.get().onlyObject().orElseThrow());
            countHit(hit.get());
            return new UnitResult(UnitResult.Outcome.HIT, 0, hit.get().diagnostics());
        }
        long start = System.nanoTime();
        Compiled compiled = compileMiss(invocation, source, work, context, early, directKey);
        if (compiled.object() == null) {
            cache.count(Stat.FAILED, 1);
            return UnitResult.failed(compiled.exitCode(), compiled.diagnostics());
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        writeAtomically(object, compiled.object());
        store(key, compiled, millis, context);
        directKey.ifPresent(k -> direct.record(k, key, text, invocation, source, context));
        log.debug("{}: compiled in {} ms, written and stored in {} ms", source.path(), millis,
                (System.nanoTime() - start) / 1_000_000 - millis);
        cache.count(Stat.UNIT_MISSES, 1);
        cache.count(Stat.OBJECTS_COMPILED, 1);
        cache.count(Stat.COMPILE_MS, millis);
        return new UnitResult(UnitResult.Outcome.MISS, 0, compiled.diagnostics());
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
            BuildContext context, Digest directKey, Path work) throws IOException {
        long start = System.nanoTime();
        Path headers = work.resolve("headers.txt");
        ProcessRunner.Running clang = startClang(invocation, source, work, context, Optional.of(headers));
        ProcessRunner.Result frontend = clang.await();
        if (!frontend.succeeded()) {
            cache.count(Stat.FAILED, 1);
            return UnitResult.failed(frontend.exitCode(), frontend.stderr());
        }
        List<String> read = new ArrayList<>(List.of(source.path()));
        read.addAll(headersRead(headers));
        Optional<IncludeManifest> record = direct.dependRecord(backendName(invocation, context), read, invocation,
                source, context);
        Optional<Result> hit = record.flatMap(r -> lookupLocal(r.unitKey()));
        if (hit.isPresent()) {
            writeAtomically(object, hit.get().onlyObject().orElseThrow());
            direct.record(directKey, record.get());
            explanations.recordHit(context, source, true);
            countHit(hit.get());
            return new UnitResult(UnitResult.Outcome.HIT, 0, hit.get().diagnostics());
        }
        Compiled compiled = compileMiss(invocation, source, work, context, clang, Optional.of(directKey));
        if (compiled.object() == null) {
            cache.count(Stat.FAILED, 1);
            return UnitResult.failed(compiled.exitCode(), compiled.diagnostics());
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        writeAtomically(object, compiled.object());
        if (record.isPresent()) {
            store(record.get().unitKey(), compiled, millis, context);
            direct.record(directKey, record.get());
        }
        cache.count(Stat.UNIT_MISSES, 1);
        cache.count(Stat.DEPEND_MISSES, 1);
        cache.count(Stat.OBJECTS_COMPILED, 1);
        cache.count(Stat.COMPILE_MS, millis);
        return new UnitResult(UnitResult.Outcome.MISS, 0, compiled.diagnostics());
    }

    /** The distinct files in clang's list of included headers (one per line, after nesting dots if any). */
    private static Collection<String> headersRead(Path list) throws IOException {
        Set<String> files = new LinkedHashSet<>();
        if (Files.exists(list)) {
            for (String line : Files.readAllLines(list, StandardCharsets.UTF_8)) {
                String name = line.replaceFirst("^\\.+ ", "");
                if (!name.isEmpty()) {
                    files.add(name);
                }
            }
        }
        return files;
    }

    /** Whether a miss runs clang: all of it, or its frontend to bitcode (not for IR given as input). */
    private static boolean compilesWithClang(CompilerInvocation invocation, SourceFile source) {
        return invocation.needsDriverBackend() || source.kind() != Kind.LLVM_IR;
    }

    /**
     * Clang on the original source: the whole compile to an object when its own back end must build the unit,
     * else its frontend to unoptimised bitcode; the output lands in {@code work}. In depend mode ({@code headerList})
     * it also writes the dependency file the user asked for and lists the headers it read.
     */
    private ProcessRunner.Running startClang(CompilerInvocation invocation, SourceFile source, Path work,
            BuildContext context, Optional<Path> headerList) {
        List<String> command = driver(invocation);
        command.addAll(invocation.compileFlags());
        command.add("-c");
        if (!invocation.needsDriverBackend()) {
            command.addAll(List.of("-emit-llvm", "-Xclang", "-disable-llvm-passes"));
        }
        command.addAll(frontendInput(invocation, source));
        Map<String, String> environment = context.environment();
        if (headerList.isPresent()) {
            command.addAll(invocation.dependencies().preprocessorFlags(source, invocation.output()));
            environment = new HashMap<>(environment);
            environment.put("CC_PRINT_HEADERS", "1");
            environment.put("CC_PRINT_HEADERS_FILE", headerList.get().toString());
        }
        command.addAll(List.of("-o", work.resolve(clangOutput(invocation)).toString()));
        return ProcessRunner.start(command, context.workingDirectory(), environment);
    }

    private static String clangOutput(CompilerInvocation invocation) {
        return invocation.needsDriverBackend() ? "unit.o" : "unit.bc";
    }

    private static List<String> frontendInput(CompilerInvocation invocation, SourceFile source) {
        List<String> input = new ArrayList<>(languageFlag(source));
        if (source.kind().isSource()) {
            input.addAll(invocation.preprocessorFlags());
        }
        input.add(source.path());
        return input;
    }

    private ProcessRunner.Result preprocess(CompilerInvocation invocation, SourceFile source, BuildContext context) {
        List<String> command = driver(invocation);
        command.addAll(languageFlag(source));
        command.addAll(invocation.preprocessorFlags());
        command.addAll(invocation.compileFlags());
        command.addAll(invocation.dependencies().preprocessorFlags(source, invocation.output()));
        command.add("-E");
        command.add(source.path());
        return ProcessRunner.run(command, context.workingDirectory(), context.environment());
    }

    /**
     * Everything that can change the object or the diagnostics: toolchain, language, flags, the source after
     * preprocessing (directories made relative), and the working directory when debug info records it.
     */
    private Digest fingerprint(CompilerInvocation invocation, SourceFile source, byte[] text, BuildContext context) {
        String cwd = context.workingDirectory().toString();
        return new Fingerprint(SCHEMA)
                .add("toolchain", toolchain.identity())
                .add("driver", invocation.driverModeFlag())
                .add("kind", source.kind().name())
                .add("flags", invocation.compileFlags())
                .add("backend", backendName(invocation, context))
                .add("debug-working-directory", invocation.debugInfo() ? cwd : "")
                .add("source", sink -> PreprocessedText.digestNormalised(text, cwd, toolchain.binDir().toString(),
                        sink))
                .build();
    }

    private Optional<UnitResult> directHit(Digest directKey, CompilerInvocation invocation, SourceFile source,
            Path object, BuildContext context) throws IOException {
        Optional<IncludeManifest> manifest;
        try {
            manifest = direct.find(directKey, context);
        } catch (RuntimeException e) {
            cache.failed("direct lookup of " + directKey, e);
            return Optional.empty();
        }
        if (manifest.isEmpty()) {
            return Optional.empty();
        }
        Optional<Result> hit = lookup(manifest.get().unitKey(), context);
        if (hit.isEmpty()) {
            return Optional.empty();
        }
        Optional<String> dependencyFile = invocation.dependencies().filePath(source, invocation.output());
        if (dependencyFile.isPresent()) {
            writeAtomically(context.resolve(dependencyFile.get()), manifest.get().dependencyFile());
        }
        writeAtomically(object, hit.get().onlyObject().orElseThrow());
        countHit(hit.get());
        cache.count(Stat.DIRECT_HITS, 1);
        return Optional.of(new UnitResult(UnitResult.Outcome.HIT, 0, hit.get().diagnostics()));
    }

    /** Which back end builds a miss; part of the key, as the three give different (equally correct) objects. */
    private static String backendName(CompilerInvocation invocation, BuildContext context) {
        if (invocation.needsDriverBackend()) {
            return "clang-driver";
        }
        return invocation.debugInfo() ? "llvm-c-api" : PerFunctionPolicy.from(context.environment()).backendName();
    }

    /**
     * Compiles the original source, not the preprocessed text: clang words some diagnostics differently (or only
     * emits them) when it cannot see macro expansions, and the user must see exactly what clang prints. Preprocessing
     * twice costs ~0.1 s on sqlite3.c.
     */
    private Compiled compileMiss(CompilerInvocation invocation, SourceFile source, Path work, BuildContext context,
            ProcessRunner.Running clang, Optional<Digest> directKey) throws IOException {
        ProcessRunner.Result result = null;
        if (clang != null) {
            long begin = System.nanoTime();
            result = clang.await();
            log.debug("{}: waited {} ms for clang", source.path(), (System.nanoTime() - begin) / 1_000_000);
            if (!result.succeeded()) {
                return new Compiled(null, result.stderr(), result.exitCode());
            }
        }
        if (invocation.needsDriverBackend()) {
            byte[] object = Files.readAllBytes(work.resolve(clangOutput(invocation)));
            explanations.recordWhole(context, source, invocation.optLevel().equals("0")
                    ? "-O0: clang code-generates the unit itself" : "a flag only clang's own back end honours");
            return new Compiled(object, result.stderr(), result.exitCode());
        }
        byte[] frontendDiagnostics = result == null ? new byte[0] : result.stderr();
        Path ir = result == null ? context.resolve(source.path()) : work.resolve(clangOutput(invocation));
        try {
            LlvmBackend.Options options = LlvmBackend.Options.fromFlags(invocation.optLevel(),
                    invocation.compileFlags());
            PerFunctionPolicy policy = PerFunctionPolicy.from(context.environment());
            String whole;
            boolean splitLater = false;
            if (!policy.enabled()) {
                whole = "per-function caching is off (CAS_PER_FUNCTION=0)";
            } else if (!policy.splits(Files.size(ir))) {
                whole = "a small unit (frontend IR under " + policy.minimumIrBytes() / 1024
                        + " KiB) recompiles whole faster than it splits; CAS_PER_FUNCTION=1 splits every unit";
            } else if (invocation.debugInfo()) {
                cache.count(Stat.FUNCTION_DEBUG_FALLBACKS, 1);
                whole = "debug info (-g): per-function caching does not handle it yet";
            } else if (ir.startsWith(work) && splitsLater(policy, directKey, context)) { // the frontend's bitcode
                splitLater = true;
                whole = "built whole at its first build while other units were compiling (splitting costs more "
                        + "processor time than a whole compile); split into pieces when the worker is idle, for the "
                        + "next edit. CAS_PER_FUNCTION=1 splits at once";
            } else {
                Optional<PerFunctionCompiler.Outcome> pieces;
                String failure = null;
                if (directKey.isPresent()) {
                    try {
                        deferred.supersede(directKey.get());
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                try {
                    pieces = perFunction.compile(ir, options, work, context.remote(), policy.verify());
                } catch (RuntimeException | LlvmBackend.BackendException e) {
                    // the per-function path is an optimisation: a failure in it must not fail the build; if the
                    // whole unit fails the same way, the whole compile below reports it as clang would
                    log.warn("per-function build of {} failed, compiling it whole: {}", source.path(), e.toString());
                    failure = e.getMessage() == null ? e.toString() : e.getMessage();
                    pieces = Optional.empty();
                }
                if (pieces.isPresent()) {
                    long misses = pieces.get().misses();
                    cache.count(Stat.FUNCTION_MISSES, misses);
                    cache.count(Stat.FUNCTION_HITS, pieces.get().pieces().size() - misses);
                    explanations.recordPieces(context, source, options.toString(), pieces.get().pieces());
                    return new Compiled(pieces.get().object(), frontendDiagnostics, 0);
                }
                if (failure != null) {
                    cache.count(Stat.FUNCTION_SPLIT_FAILURES, 1);
                    whole = "the per-function build failed, so the unit was compiled whole; this is a cas bug, "
                            + "please report it with this text: " + failure;
                } else {
                    cache.count(Stat.FUNCTION_FALLBACKS, 1);
                    whole = "the unit cannot be split: an ifunc, or a variable holding a blockaddress";
                }
            }
            byte[] object = backend.compile(ir, options);
            explanations.recordWhole(context, source, whole);
            if (splitLater) {
                try {
                    deferred.defer(directKey.orElseThrow(), ir, options,
                            pieces -> explanations.rememberPieces(context, source, options.toString(), pieces));
                } catch (IOException e) {
                    log.debug("{} is not split later: {}", source.path(), e.toString());
                }
            }
            return new Compiled(object, frontendDiagnostics, 0);
        } catch (LlvmBackend.BackendException e) {
            return new Compiled(null, concat(frontendDiagnostics, message(e.getMessage())), 1);
        }
    }

    /**
     * Whether a unit that would be split now is compiled whole and split when the worker is idle: only at the default
     * policy, at the unit's first build in this cache (no direct-mode record: no piece of it can hit), while other
     * units compete for the cores, and when no remote level waits for its pieces or the user asked for every split to
     * be checked.
     */
    private boolean splitsLater(PerFunctionPolicy policy, Optional<Digest> directKey, BuildContext context) {
        return !policy.splitsEveryUnit() && !policy.verify() && !context.remote().enabled() && directKey.isPresent()
                && deferred.othersCompiling() && !direct.recorded(directKey.get());
    }

    private UnitResult compileUncached(CompilerInvocation invocation, SourceFile source, Path object,
            BuildContext context) throws IOException {
        List<String> command = driver(invocation);
        command.addAll(languageFlag(source));
        command.addAll(invocation.preprocessorFlags());
        command.addAll(invocation.compileFlags());
        command.addAll(List.of("-c", source.path(), "-o", object.toString()));
        ProcessRunner.Result result = ProcessRunner.run(command, context.workingDirectory(), context.environment());
        cache.count(Stat.UNCACHED, 1);
        return result.succeeded() ? new UnitResult(UnitResult.Outcome.UNCACHED, 0, result.stderr())
                : UnitResult.failed(result.exitCode(), result.stderr());
    }

    private void countHit(Result hit) {
        cache.count(Stat.UNIT_HITS, 1);
        if (hit.remote()) {
            cache.count(Stat.UNIT_REMOTE_HITS, 1);
        }
        cache.count(Stat.TIME_SAVED_MS, hit.manifest().compileMillis());
    }

    /** The local cache, then the build's remote level (a remote hit is kept locally): one unit object each. */
    private Optional<Result> lookup(Digest key, BuildContext context) {
        return results(context).get(key).filter(result -> result.onlyObject().isPresent());
    }

    private Optional<Result> lookupLocal(Digest key) {
        return local.get(key).filter(result -> result.onlyObject().isPresent());
    }

    private void store(Digest key, Compiled compiled, long millis, BuildContext context) {
        results(context).put(key, Result.ofObject(compiled.object(), compiled.diagnostics(), millis));
    }

    /** Where this build's results live: the local cache, and the remote level behind it when the build has one. */
    private ResultStore results(BuildContext context) {
        return context.remote().enabled() ? new TwoLevelResults(local, new RemoteResults(context.remote())) : local;
    }

    List<String> driver(CompilerInvocation invocation) {
        return DirectClang.driver(toolchain, invocation.compiler());
    }

    private static List<String> languageFlag(SourceFile source) {
        return source.explicitLanguage() == null ? List.of() : List.of("-x", source.explicitLanguage());
    }

    /** Writes through a temporary sibling and a rename, so a failed write never leaves a truncated object. */
    static void writeAtomically(Path target, byte[] bytes) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        Path temporary = Files.createTempFile(parent, "." + target.getFileName(), ".tmp");
        try {
            Files.write(temporary, bytes);
            Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    static byte[] message(String text) {
        return ("cas-compile: error: " + text + "\n").getBytes(StandardCharsets.UTF_8);
    }

    static byte[] concat(byte[] a, byte[] b) {
        byte[] joined = new byte[a.length + b.length];
        System.arraycopy(a, 0, joined, 0, a.length);
        System.arraycopy(b, 0, joined, a.length, b.length);
        return joined;
    }

    static void deleteRecursively(Path directory) {
        try (var paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            log.debug("cannot remove scratch directory {}: {}", directory, e.toString());
        }
    }

    private record Compiled(byte[] object, byte[] diagnostics, int exitCode) {
    }
}
