package dev.cas.worker.pieces;

import static org.bytedeco.llvm.global.LLVM.*;

import dev.cas.store.Digest;
import dev.cas.worker.cache.Fingerprint;
import dev.cas.worker.cache.LocalCache;
import dev.cas.worker.cache.LocalResults;
import dev.cas.worker.cache.Result;
import dev.cas.worker.cache.ResultStore;
import dev.cas.worker.cache.Stat;
import dev.cas.worker.cache.TwoLevelResults;
import dev.cas.worker.clang.ProcessRunner;
import dev.cas.worker.clang.Toolchain;
import dev.cas.worker.llvm.LlvmBackend;
import dev.cas.worker.remote.RemoteResults;
import dev.cas.worker.remote.RemoteSession;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ForkJoinPool;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-function back end of optimised builds: splits a unit's frontend IR into pieces ({@link FunctionSplitter}),
 * fingerprints each piece by its canonical IR (which includes the bodies it imports), looks all of them up at once,
 * optimises and code-generates only the misses in parallel, stores them, and merges every piece into the one object
 * the unit must produce ({@code ld.lld -r}, then the unit's renamed statics made local again).
 */
public final class PerFunctionCompiler {
    private static final Logger log = LoggerFactory.getLogger(PerFunctionCompiler.class);
    static final String SCHEMA = "cas-piece-v6";

    /** What one unit's pieces did: for stats and {@code explain}. */
    public record Outcome(byte[] object, List<PieceResult> pieces) {
        long misses() {
            return PieceResult.misses(pieces);
        }
    }

    /**
     * One piece: its name, its key, its shape (the key without line numbers, see
     * {@link PieceFingerprints#describePiece}), the callees it imports, and whether the cache had it.
     */
    public record PieceResult(String name, List<String> functions, Digest key, Digest shape, Set<String> imports,
            boolean hit) {
        /** How many of {@code pieces} the cache did not have. */
        public static long misses(List<PieceResult> pieces) {
            return pieces.stream().filter(piece -> !piece.hit()).count();
        }
    }

    private final Toolchain toolchain;
    private final LocalCache cache;
    private final LlvmBackend backend;
    private final ForkJoinPool pool;
    /** Recent pieces in memory, then the local cache. */
    private final ResultStore localLevels;

    public PerFunctionCompiler(Toolchain toolchain, LocalCache cache, LlvmBackend backend, ForkJoinPool pool) {
        this.toolchain = toolchain;
        this.cache = cache;
        this.backend = backend;
        this.pool = pool;
        this.localLevels = new TwoLevelResults(cache.recentPieces(), new LocalResults(cache));
    }

    /**
     * Suffix of the unit's statics while they live in separate pieces. It is the same in every unit: each unit's
     * pieces are merged and the suffixed symbols made local again before any two units meet, and a constant suffix
     * lets a header's inline function that calls a static helper be shared between units.
     */
    public static final String LOCAL_TAG = "local";

    /**
     * Compiles the unit whose IR is in {@code bitcode}; {@link Unsplittable} when it cannot be split (the caller
     * compiles it whole).
     * With {@code verify}, the unit is also compiled whole and the two objects' symbol tables compared
     * ({@link SymbolTableCheck}); a difference is a {@link SplitFailure}.
     */
    public Outcome compile(Path bitcode, LlvmBackend.Options options, Path work, RemoteSession remote,
            boolean verify) throws IOException, LlvmBackend.BackendException, Unsplittable {
        return compile(bitcode, options, work, remote, verify, () -> false);
    }

    /**
     * As {@link #compile(Path, LlvmBackend.Options, Path, RemoteSession, boolean)}, but gives up with {@link Stopped}
     * once {@code stop} says so, checked before each missed piece is built (the pieces built by then are stored):
     * a split in the background must not hold up a worker that is asked to stop.
     */
    public Outcome compile(Path bitcode, LlvmBackend.Options options, Path work, RemoteSession remote,
            boolean verify, BooleanSupplier stop) throws IOException, LlvmBackend.BackendException, Unsplittable {
        Timings timings = new Timings();
        ResultStore levels = remote.enabled() ? new TwoLevelResults(localLevels, new RemoteResults(remote))
                : localLevels;
        LLVMContextRef context = LLVMContextCreate();
        Map<Integer, byte[]> objects;
        Map<Integer, byte[]> compiled = new ConcurrentHashMap<>();
        List<List<String>> groups;
        List<Set<String>> imports;
        List<PieceKey> keys;
        Set<String> discardable;
        try {
            LLVMModuleRef module = LlvmBackend.parse(context, bitcode);
            try {
                timings.mark("parsed");
                FunctionSplitter.Prepared prepared = FunctionSplitter.prepare(module, LOCAL_TAG, pool);
                timings.mark("prepared");
                groups = prepared.groups();
                discardable = prepared.discardable();
                PieceFingerprints index = PieceFingerprints.parse(prepared.text());
                timings.mark("indexed");
                imports = groups.stream().map(prepared::importsOf).toList();
                List<List<String>> aliases = groups.stream().map(prepared::aliasesOf).toList();
                keys = keys(index, groups, aliases, imports, options);
                timings.mark("keyed");
                objects = lookupAll(keys, index.mainFile(), levels);
                timings.mark("looked up");
                List<Integer> misses = new ArrayList<>();
                for (int i = 0; i < groups.size(); i++) {
                    if (!objects.containsKey(i)) {
                        misses.add(i);
                    }
                }
                if (misses.size() == 1) {
                    // the usual edit: cut the one piece out of this module rather than copying it first
                    FunctionSplitter.Piece piece = FunctionSplitter.extractInPlace(module, prepared,
                            groups.get(misses.get(0)));
                    timings.mark("cut");
                    build(piece, misses.get(0), keys, options, compiled, levels, stop);
                } else if (!misses.isEmpty()) {
                    Map<List<String>, Integer> indexOf = new IdentityHashMap<>();
                    misses.forEach(i -> indexOf.put(groups.get(i), i));
                    LLVMModuleRef usedUp = module;
                    module = null;
                    FunctionSplitter.extract(usedUp, prepared, misses.stream().map(groups::get).toList(), pool,
                            piece -> build(piece, indexOf.get(piece.group()), keys, options, compiled, levels,
                                    stop));
                }
                timings.mark(misses.size() + " built");
            } finally {
                if (module != null) {
                    LLVMDisposeModule(module);
                }
            }
        } catch (CodegenFailure failure) {
            throw failure.cause;
        } finally {
            LLVMContextDispose(context);
        }
        objects.putAll(compiled);
        byte[] merged;
        try {
            merged = merge(groups.size(), objects, work);
        } catch (LlvmBackend.BackendException e) {
            throw new SplitFailure(e.getMessage());
        }
        timings.mark("merged");
        if (verify) {
            SymbolTableCheck.differences(merged, backend.compile(bitcode, options), discardable).ifPresent(diff -> {
                throw new SplitFailure("the merged object's symbols differ from the whole unit's:\n" + diff);
            });
            timings.mark("verified");
        }
        log.debug("{} pieces: {}", groups.size(), timings);
        List<PieceResult> results = new ArrayList<>();
        for (int i = 0; i < groups.size(); i++) {
            List<String> functions = groups.get(i).stream().filter(f -> !f.equals(FunctionSplitter.DATA_PIECE))
                    .toList();
            results.add(new PieceResult(i == 0 ? FunctionSplitter.DATA_PIECE : groups.get(i).get(0), functions,
                    keys.get(i).digest(), keys.get(i).shape(), imports.get(i), !compiled.containsKey(i)));
        }
        return new Outcome(merged, results);
    }

    /** Optimises and code-generates one missed piece, and stores it. */
    private void build(FunctionSplitter.Piece piece, int index, List<PieceKey> keys, LlvmBackend.Options options,
            Map<Integer, byte[]> compiled, ResultStore results, BooleanSupplier stop) {
        if (stop.getAsBoolean()) {
            throw new Stopped();
        }
        long begin = System.nanoTime();
        byte[] object = codegen(piece, options);
        compiled.put(index, object);
        PieceKey key = keys.get(index);
        results.put(key.digest(), Result.ofObject(new PieceObject(object, key.base()).toBlob(), new byte[0],
                (System.nanoTime() - begin) / 1_000_000));
    }

    /**
     * A piece's key, the main-file line its relative lines count from ({@link PieceFingerprints}), and its shape
     * (the key without line numbers; the key itself when the unit has no debug info).
     */
    private record PieceKey(Digest digest, int base, Digest shape) {
    }

    /** Every piece's key and shape, in parallel; the first piece is the data piece. */
    private List<PieceKey> keys(PieceFingerprints index, List<List<String>> groups, List<List<String>> aliases,
            List<Set<String>> imports, LlvmBackend.Options options) {
        return pool.submit(() -> IntStream.range(0, groups.size()).parallel()
                .mapToObj(i -> key(index, groups.get(i), aliases.get(i), imports.get(i), i == 0, options))
                .toList()).join();
    }

    private PieceKey key(PieceFingerprints index, List<String> group, List<String> aliases, Set<String> imports,
            boolean data, LlvmBackend.Options options) {
        Fingerprint key = fingerprint(SCHEMA, options);
        if (!index.hasDebugInfo()) {
            int base = index.describePiece(group, aliases, imports, data, key);
            Digest digest = key.build();
            return new PieceKey(digest, base, digest);
        }
        Fingerprint shape = fingerprint(SCHEMA + "-shape", options);
        int base = index.describePiece(group, aliases, imports, data, key, shape);
        return new PieceKey(key.build(), base, shape.build());
    }

    private Fingerprint fingerprint(String schema, LlvmBackend.Options options) {
        return new Fingerprint(schema).add("toolchain", toolchain.identity()).add("options", options.toString());
    }

    /**
     * One pass over every key, through the levels (memory, the local cache read in parallel on the pool, the build's
     * remote level in one round of calls): the hits by piece index, each moved to this build's lines. A hit whose
     * lines cannot be moved in place is left out: compiled as a miss.
     */
    private Map<Integer, byte[]> lookupAll(List<PieceKey> keys, Optional<MainFileLines.SourceFile> mainFile,
            ResultStore results) {
        Map<Digest, Result> hits = pool.submit(() -> results.getAll(keys.stream().map(PieceKey::digest).toList()))
                .join();
        Map<Integer, byte[]> found = new ConcurrentHashMap<>();
        long remoteHits = 0;
        Map<Integer, PieceObject> moved = new HashMap<>();
        for (int i = 0; i < keys.size(); i++) {
            Result hit = hits.get(keys.get(i).digest());
            Optional<byte[]> blob = hit == null ? Optional.empty() : hit.onlyObject();
            if (blob.isEmpty()) {
                continue;
            }
            remoteHits += hit.remote() ? 1 : 0;
            PieceObject stored = PieceObject.fromBlob(blob.get());
            if (stored.base() == keys.get(i).base()) {
                found.put(i, stored.object());
            } else {
                moved.put(i, stored);
            }
        }
        List<String> refusals = pool.submit(() -> moved.entrySet().parallelStream().map(entry -> {
            StringBuilder refusal = new StringBuilder();
            entry.getValue().at(keys.get(entry.getKey()).base(), mainFile, refusal)
                    .ifPresent(object -> found.put(entry.getKey(), object));
            return refusal.toString();
        }).filter(refusal -> !refusal.isEmpty()).toList()).join();
        if (remoteHits > 0) {
            cache.count(Stat.FUNCTION_REMOTE_HITS, remoteHits);
        }
        if (!moved.isEmpty()) {
            cache.count(Stat.FUNCTION_LINES_MOVED, moved.size() - refusals.size());
            cache.count(Stat.FUNCTION_LINES_UNMOVABLE, refusals.size());
            refusals.stream().distinct().limit(5).forEach(refusal -> log.debug("lines not moved: {}", refusal));
        }
        return found;
    }

    private byte[] codegen(FunctionSplitter.Piece piece, LlvmBackend.Options options) {
        try {
            return backend.compile(piece.bitcode(), options);
        } catch (LlvmBackend.BackendException e) {
            throw new CodegenFailure(e);
        }
    }

    /**
     * {@code ld.lld -r} over the pieces, then the unit's renamed statics become local symbols again. The pieces go to
     * the linker as one archive (one file, not thousands).
     */
    private byte[] merge(int pieces, Map<Integer, byte[]> objects, Path work)
            throws IOException, LlvmBackend.BackendException {
        Path archive = work.resolve("pieces.a");
        try (var out = new BufferedOutputStream(Files.newOutputStream(archive), 1 << 16)) {
            out.write("!<arch>\n".getBytes(StandardCharsets.US_ASCII));
            for (int i = 0; i < pieces; i++) {
                byte[] object = objects.get(i);
                String header = String.format("%-16s%-12s%-6s%-6s%-8s%-10d`\n", "p" + i + ".o/", "0", "0", "0",
                        "644", object.length);
                out.write(header.getBytes(StandardCharsets.US_ASCII));
                out.write(object);
                if (object.length % 2 == 1) {
                    out.write('\n');
                }
            }
        }
        Path merged = work.resolve("merged.o");
        run(List.of(toolchain.binDir().resolve("ld.lld").toString(), "-r", "-o", merged.toString(),
                "--whole-archive", archive.toString()), work);
        run(List.of(toolchain.binDir().resolve("llvm-objcopy").toString(), "--wildcard",
                "--localize-symbol=*.__cas_" + LOCAL_TAG, merged.toString()), work);
        return Files.readAllBytes(merged);
    }

    private static void run(List<String> command, Path work) throws LlvmBackend.BackendException {
        ProcessRunner.Result result = ProcessRunner.run(command, work, Map.of());
        if (!result.succeeded()) {
            throw new LlvmBackend.BackendException(command.get(0) + " failed while merging pieces: "
                    + new String(result.stderr(), StandardCharsets.UTF_8));
        }
    }

    /**
     * The per-function build of a unit went wrong where the whole unit would not (a merge the linker refused, or
     * symbols that differ from the whole unit's): the caller compiles the unit whole and reports it.
     */
    static final class SplitFailure extends RuntimeException {
        SplitFailure(String message) {
            super(message);
        }
    }

    /** A build given up because its caller asked it to stop ({@link #compile} with a stop condition). */
    public static final class Stopped extends RuntimeException {
        public Stopped() {
            super("stopped before all pieces were built");
        }
    }

    /** Carries a back-end failure out of the parallel code generation. */
    private static final class CodegenFailure extends RuntimeException {
        final LlvmBackend.BackendException cause;

        CodegenFailure(LlvmBackend.BackendException cause) {
            super(cause);
            this.cause = cause;
        }
    }

    /** Wall time between the named steps of one unit, for the debug log. */
    private static final class Timings {
        private final StringBuilder steps = new StringBuilder();
        private long last = System.nanoTime();

        void mark(String step) {
            long now = System.nanoTime();
            steps.append(steps.isEmpty() ? "" : ", ").append(step).append(' ').append((now - last) / 1_000_000)
                    .append(" ms");
            last = now;
        }

        @Override
        public String toString() {
            return steps.toString();
        }
    }
}
