package dev.cas.worker;

import dev.cas.worker.cache.LocalCache;
import dev.cas.worker.cache.Stat;
import dev.cas.worker.clang.ClangCommands;
import dev.cas.worker.clang.DirectClang;
import dev.cas.worker.clang.PlannedLink;
import dev.cas.worker.clang.ProcessRunner;
import dev.cas.worker.clang.Toolchain;
import dev.cas.worker.command.BuildContext;
import dev.cas.worker.command.CompilerInvocation;
import dev.cas.worker.command.SourceFile;
import dev.cas.worker.command.UsageException;
import dev.cas.worker.common.Diagnostics;
import dev.cas.worker.common.WorkFiles;
import dev.cas.worker.unit.UnitCompiler;
import dev.cas.worker.unit.UnitResult;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out one {@code cas-compile <compiler> args...} command: objects for {@code -c}, compile-and-link otherwise
 * (several sources in parallel, then lld as the clang driver would run it: {@link PlannedLink}), and anything the
 * cache cannot help with handed to the bundled clang unchanged.
 */
public final class CompileService {
    private static final Logger log = LoggerFactory.getLogger(CompileService.class);

    private final Toolchain toolchain;
    private final ClangCommands clang;
    private final LocalCache cache;
    private final UnitCompiler units;
    private final ExecutorService pool;
    private final Path scratch;

    public CompileService(Toolchain toolchain, LocalCache cache, UnitCompiler units, ExecutorService pool,
            Path scratch) {
        this.toolchain = toolchain;
        this.clang = new ClangCommands(toolchain);
        this.cache = cache;
        this.units = units;
        this.pool = pool;
        this.scratch = scratch;
    }

    public WorkerResponse run(String compiler, List<String> args, BuildContext context) {
        CompilerInvocation invocation;
        try {
            invocation = CompilerInvocation.parse(compiler, args);
        } catch (UsageException e) {
            return WorkerResponse.error(2, e.getMessage());
        }
        try {
            return switch (invocation.mode()) {
                case PASSTHROUGH -> passthrough(invocation, context);
                case COMPILE -> compileObjects(invocation, context);
                case LINK -> compileAndLink(invocation, context);
            };
        } catch (IOException e) {
            return WorkerResponse.error(1, e.getMessage());
        }
    }

    private WorkerResponse passthrough(CompilerInvocation invocation, BuildContext context) {
        List<String> command = DirectClang.command(toolchain, invocation.compiler(), invocation.arguments());
        ProcessRunner.Result result = ProcessRunner.run(command, context.workingDirectory(), context.environment());
        cache.count(Stat.UNCACHED, 1);
        return new WorkerResponse(result.exitCode(), result.stdout(), result.stderr());
    }

    private WorkerResponse compileObjects(CompilerInvocation invocation, BuildContext context) throws IOException {
        List<SourceFile> sources = compiled(invocation);
        List<String> objects = new ArrayList<>();
        for (SourceFile source : sources) {
            objects.add(invocation.output().orElse(source.defaultObjectName()));
        }
        return collect(compileAll(invocation, sources, objects, context));
    }

    private WorkerResponse compileAndLink(CompilerInvocation invocation, BuildContext context) throws IOException {
        Path work = Files.createTempDirectory(scratch, "link-");
        try {
            List<SourceFile> sources = compiled(invocation);
            List<String> objects = new ArrayList<>();
            for (int i = 0; i < sources.size(); i++) {
                objects.add(work.resolve(i + "-" + sources.get(i).defaultObjectName()).toString());
            }
            List<String> driverLink = clang.link(invocation, objects);
            for (String object : objects) {
                Files.createFile(Path.of(object)); // for the driver's check that its inputs exist
            }
            List<CompletableFuture<UnitResult>> units = startAll(invocation, sources, objects, context);
            // asked once the units run: starting a process takes this thread ~10 ms, which they need not wait for
            PlannedLink planned = PlannedLink.start(driverLink, context.workingDirectory(), context.environment());
            try {
                WorkerResponse compiled = collect(joinAll(units));
                if (compiled.exitCode() != 0) {
                    return compiled;
                }
                ProcessRunner.Result link = link(planned, driverLink, context);
                return new WorkerResponse(link.exitCode(), link.stdout(),
                        Diagnostics.concat(compiled.stderr(), link.stderr()));
            } finally {
                planned.cancel();
            }
        } finally {
            WorkFiles.deleteRecursively(work);
        }
    }

    /**
     * Runs the linker the driver named ahead, reporting its failure as the driver would; or the driver itself when it
     * named none, or when the linker was killed by a signal (the driver's words for that are its own).
     */
    private static ProcessRunner.Result link(PlannedLink planned, List<String> driverLink, BuildContext context) {
        Optional<List<String>> linker = planned.linkerCommand();
        if (linker.isPresent()) {
            Optional<ProcessRunner.Result> reported = PlannedLink.asTheDriverReports(ProcessRunner.run(linker.get(),
                    context.workingDirectory(), context.environment()));
            if (reported.isPresent()) {
                return reported.get();
            }
            log.debug("the linker was killed by a signal: linking again through the driver for its report");
        } else {
            log.debug("the driver named no single linker job: linking through it");
        }
        return ProcessRunner.run(driverLink, context.workingDirectory(), context.environment());
    }

    private List<UnitResult> compileAll(CompilerInvocation invocation, List<SourceFile> sources,
            List<String> objects, BuildContext context) {
        return joinAll(startAll(invocation, sources, objects, context));
    }

    /** Each source compiled to its object on the pool, all at once. */
    private List<CompletableFuture<UnitResult>> startAll(CompilerInvocation invocation, List<SourceFile> sources,
            List<String> objects, BuildContext context) {
        List<CompletableFuture<UnitResult>> futures = new ArrayList<>();
        for (int i = 0; i < sources.size(); i++) {
            SourceFile source = sources.get(i);
            String object = objects.get(i);
            futures.add(CompletableFuture.supplyAsync(() -> compileOne(invocation, source, object, context), pool));
        }
        return futures;
    }

    private static List<UnitResult> joinAll(List<CompletableFuture<UnitResult>> units) {
        return units.stream().map(CompletableFuture::join).toList();
    }

    private UnitResult compileOne(CompilerInvocation invocation, SourceFile source, String object,
            BuildContext context) {
        try {
            UnitResult result = units.compile(invocation, source, object, context);
            log.debug("{} {}: {}", context.workingDirectory(), source.path(), result.outcome());
            return result;
        } catch (IOException | RuntimeException e) {
            log.warn("compiling {} failed", source.path(), e);
            return UnitResult.failed(1, Diagnostics.error("cannot build '" + source.path() + "': " + e.getMessage()));
        }
    }

    private static List<SourceFile> compiled(CompilerInvocation invocation) {
        return invocation.inputs().stream().filter(input -> input.kind().isCompiled()).toList();
    }

    private static WorkerResponse collect(List<UnitResult> results) throws IOException {
        ByteArrayOutputStream stderr = new ByteArrayOutputStream();
        int exit = 0;
        for (UnitResult result : results) {
            stderr.write(result.diagnostics());
            if (exit == 0 && result.exitCode() != 0) {
                exit = result.exitCode();
            }
        }
        return new WorkerResponse(exit, new byte[0], stderr.toByteArray());
    }
}
