package dev.cas.worker.unit;

import dev.cas.store.Digest;
import dev.cas.worker.cache.Stat;
import dev.cas.worker.clang.ClangCommands;
import dev.cas.worker.clang.ProcessRunner;
import dev.cas.worker.command.BuildContext;
import dev.cas.worker.command.CompilerInvocation;
import dev.cas.worker.command.SourceFile;
import dev.cas.worker.common.Diagnostics;
import dev.cas.worker.direct.DirectModeCache;
import dev.cas.worker.llvm.LlvmBackend;
import dev.cas.worker.pieces.DeferredSplits;
import dev.cas.worker.pieces.PerFunctionCompiler;
import dev.cas.worker.pieces.PerFunctionPolicy;
import dev.cas.worker.pieces.Unsplittable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds a missed unit from clang's output: takes the object clang's own back end made ({@code -O0}, flags the C API
 * cannot honour), or optimises and code-generates the frontend's bitcode in process, per function
 * ({@link PerFunctionCompiler}) or whole ({@link LlvmBackend}), and says which and why. A per-function build that
 * fails is an optimisation lost, never a failed build: the unit is built whole.
 */
final class UnitBackend {
    private static final Logger log = LoggerFactory.getLogger(UnitBackend.class);

    private final LlvmBackend backend;
    private final PerFunctionCompiler perFunction;
    private final DeferredSplits deferred;
    private final DirectModeCache direct;

    UnitBackend(LlvmBackend backend, PerFunctionCompiler perFunction, DeferredSplits deferred,
            DirectModeCache direct) {
        this.backend = backend;
        this.perFunction = perFunction;
        this.deferred = deferred;
        this.direct = direct;
    }

    /**
     * Builds the unit from clang's run on the original source ({@code clang}, null for IR given as input), whose
     * output is in {@code work}. {@code directKey} names the command for splitting later; {@code whenSplitLater}
     * learns of the pieces of a unit built whole now and split when the worker is idle.
     */
    BuiltUnit build(CompilerInvocation invocation, SourceFile source, Path work, BuildContext context,
            ProcessRunner.Running clang, Optional<Digest> directKey,
            Consumer<BuiltUnit.Pieces> whenSplitLater) throws IOException {
        if (!invocation.needsDriverBackend()) {
            LlvmBackend.loadInBackground(); // while clang's frontend still runs; hits and -O0 units never load it
        }
        ProcessRunner.Result result = null;
        if (clang != null) {
            long begin = System.nanoTime();
            result = clang.await();
            log.debug("{}: waited {} ms for clang", source.path(), (System.nanoTime() - begin) / 1_000_000);
            if (!result.succeeded()) {
                return BuiltUnit.failed(result.exitCode(), result.stderr());
            }
        }
        Path output = ClangCommands.output(invocation, work);
        if (invocation.needsDriverBackend()) {
            return new BuiltUnit(Files.readAllBytes(output), result.stderr(), result.exitCode(),
                    BuiltUnit.Whole.planned(invocation.optLevel().equals("0")
                            ? "-O0: clang code-generates the unit itself"
                            : "a flag only clang's own back end honours"));
        }
        byte[] frontendDiagnostics = result == null ? new byte[0] : result.stderr();
        Path ir = result == null ? context.resolve(source.path()) : output;
        LlvmBackend.Options options = LlvmBackend.Options.fromFlags(invocation.optLevel(), invocation.compileFlags());
        PerFunctionPolicy policy = PerFunctionPolicy.from(context.environment());
        BuiltUnit.Whole whole;
        boolean splitLater = false;
        if (!policy.enabled()) {
            whole = BuiltUnit.Whole.planned("per-function caching is off (CAS_PER_FUNCTION=0)");
        } else if (!policy.splits(Files.size(ir))) {
            whole = BuiltUnit.Whole.planned("a small unit (frontend IR under " + policy.minimumIrBytes() / 1024
                    + " KiB) recompiles whole faster than it splits; CAS_PER_FUNCTION=1 splits every unit");
        } else if (ir.startsWith(work) && splitsLater(policy, directKey, context)) { // the frontend's bitcode
            splitLater = true;
            whole = BuiltUnit.Whole.planned("built whole at its first build while other units were compiling "
                    + "(splitting costs more processor time than a whole compile); split into pieces when the "
                    + "worker is idle, for the next edit. CAS_PER_FUNCTION=1 splits at once");
        } else {
            try {
                PerFunctionCompiler.Outcome pieces = split(ir, options, work, context, policy, directKey);
                return new BuiltUnit(pieces.object(), frontendDiagnostics, 0,
                        new BuiltUnit.Pieces(options.toString(), pieces.pieces()));
            } catch (Unsplittable e) {
                whole = BuiltUnit.Whole.fallback(e.getMessage(),
                        e.debugInfo() ? Stat.FUNCTION_DEBUG_FALLBACKS : Stat.FUNCTION_FALLBACKS);
            } catch (RuntimeException | LlvmBackend.BackendException e) {
                // if the whole unit fails the same way, the whole compile below reports it as clang would
                log.warn("per-function build of {} failed, compiling it whole: {}", source.path(), e.toString());
                return wholeUnit(ir, options, frontendDiagnostics, BuiltUnit.Whole.fallback("the per-function build "
                        + "failed, so the unit was compiled whole; this is a cas bug, please report it with this "
                        + "text: " + (e.getMessage() == null ? e.toString() : e.getMessage()),
                        Stat.FUNCTION_SPLIT_FAILURES));
            }
        }
        BuiltUnit built = wholeUnit(ir, options, frontendDiagnostics, whole);
        if (splitLater && built.succeeded()) {
            try {
                deferred.defer(directKey.orElseThrow(), ir, options,
                        pieces -> whenSplitLater.accept(new BuiltUnit.Pieces(options.toString(), pieces)));
            } catch (IOException e) {
                log.debug("{} is not split later: {}", source.path(), e.toString());
            }
        }
        return built;
    }

    private PerFunctionCompiler.Outcome split(Path ir, LlvmBackend.Options options, Path work,
            BuildContext context, PerFunctionPolicy policy, Optional<Digest> directKey)
            throws IOException, LlvmBackend.BackendException, Unsplittable {
        if (directKey.isPresent()) {
            try {
                deferred.supersede(directKey.get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return perFunction.compile(ir, options, work, context.remote(), policy.verify());
    }

    private BuiltUnit wholeUnit(Path ir, LlvmBackend.Options options, byte[] frontendDiagnostics,
            BuiltUnit.Whole whole) {
        try {
            return new BuiltUnit(backend.compile(ir, options), frontendDiagnostics, 0, whole);
        } catch (LlvmBackend.BackendException e) {
            return new BuiltUnit(null, Diagnostics.concat(frontendDiagnostics, Diagnostics.error(e.getMessage())),
                    1, whole);
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
}
