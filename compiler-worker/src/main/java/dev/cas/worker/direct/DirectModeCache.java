package dev.cas.worker.direct;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.cas.store.Digest;
import dev.cas.worker.cache.Fingerprint;
import dev.cas.worker.cache.LocalCache;
import dev.cas.worker.cache.Result;
import dev.cas.worker.cache.ResultStore;
import dev.cas.worker.clang.Toolchain;
import dev.cas.worker.command.BuildContext;
import dev.cas.worker.command.CompilerInvocation;
import dev.cas.worker.command.SourceFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Direct mode, as ccache has it: finds a unit's key without running the preprocessor. The key of the command
 * (toolchain, directory, arguments, source name, preprocessor environment) leads to an {@link IncludeManifest}; when
 * every file it lists still has the recorded content, its unit key is the one preprocessing would give. Any doubt is
 * a miss, and the preprocessor decides. {@code CAS_DIRECT_MODE=0} switches it off. In depend mode the record is made
 * from the files clang says it read instead ({@link #dependRecord}). With a remote level, records are also shared
 * through it under a key without the working directory ({@link #sharedKey}), several to a key ({@link SharedRecords}).
 */
public final class DirectModeCache {
    private static final Logger log = LoggerFactory.getLogger(DirectModeCache.class);
    private static final String SCHEMA = "cas-direct-v1";
    private static final String DEPEND_SCHEMA = "cas-depend-v1";
    private static final String SHARED_SCHEMA = "cas-direct-shared-v1";
    /** Environment variables that change what the preprocessor reads or expands. */
    private static final List<String> PREPROCESSOR_ENVIRONMENT = List.of("CPATH", "C_INCLUDE_PATH",
            "CPLUS_INCLUDE_PATH", "OBJC_INCLUDE_PATH", "SOURCE_DATE_EPOCH", "CCC_OVERRIDE_OPTIONS", "SDKROOT");

    private final Toolchain toolchain;
    private final LocalCache cache;
    private final FileHashes hashes = new FileHashes(Clock.systemUTC());
    /** The shared records {@link #findShared} fetched lately, by key, for the {@link #share} of a miss that follows. */
    private final Cache<Digest, SharedRecords> fetched = Caffeine.newBuilder().maximumSize(1_024).build();

    public DirectModeCache(Toolchain toolchain, LocalCache cache) {
        this.toolchain = toolchain;
        this.cache = cache;
    }

    /** The direct key of a C or C++ source; empty for other inputs or when direct mode is off. */
    public Optional<Digest> key(CompilerInvocation invocation, SourceFile source, BuildContext context) {
        return commandKey(SCHEMA, context.workingDirectory().toString(), invocation, source, context);
    }

    /**
     * The key under which a unit's record is shared through the remote level: the direct key without the working
     * directory, so that a checkout at another path, on another machine, finds it without preprocessing (ccache
     * shares its manifests the same way). Safe because every file the record lists is checked in this checkout, and
     * the arguments, which are part of the key, name paths as the build gave them: a build that names its files by
     * absolute paths gets a key of its own per checkout. The directory stays in the key when the object records it
     * (debug info), as it stays in the unit key.
     */
    public Optional<Digest> sharedKey(CompilerInvocation invocation, SourceFile source, BuildContext context) {
        String directory = invocation.debugInfo() ? context.workingDirectory().toString() : "";
        return commandKey(SHARED_SCHEMA, directory, invocation, source, context);
    }

    private Optional<Digest> commandKey(String schema, String workingDirectory, CompilerInvocation invocation,
            SourceFile source, BuildContext context) {
        if (!source.kind().isSource() || "0".equals(context.environment().get("CAS_DIRECT_MODE"))) {
            return Optional.empty();
        }
        Fingerprint fingerprint = new Fingerprint(schema)
                .add("toolchain", toolchain.identity())
                .add("driver", invocation.driverModeFlag())
                .add("working-directory", workingDirectory)
                .add("arguments", invocation.arguments())
                .add("source", source.path());
        for (String variable : PREPROCESSOR_ENVIRONMENT) {
            fingerprint.add(variable, context.environment().getOrDefault(variable, ""));
        }
        return Optional.of(fingerprint.build());
    }

    /**
     * Hashes clang's own headers ahead of the first build, stopping as soon as {@code busy} says a build runs: nearly
     * every unit reads some of them (stddef.h, stdarg.h), and the file code a direct-mode check runs is then compiled
     * by the JIT before a build waits on it. A fresh worker's first check of sqlite3.c's shared record (155 files,
     * beside shell.c's) took 90-130 ms on 2 cores, most of it that code running for the first time.
     */
    public void warmUp(BooleanSupplier busy) {
        Optional<Path> headers = toolchain.resourceHeaders();
        if (headers.isPresent()) {
            long begin = System.nanoTime();
            try {
                int hashed = hashes.hashAhead(headers.get(), busy);
                log.debug("warm-up: {} of clang's headers hashed in {} ms", hashed,
                        (System.nanoTime() - begin) / 1_000_000);
            } catch (IOException | RuntimeException e) {
                log.debug("warm-up stopped: {}", e.toString());
            }
        }
    }

    /** Whether the unit's source file was written since this worker last hashed it: it was edited. */
    public boolean sourceEdited(SourceFile source, BuildContext context) {
        return hashes.editedSinceHashed(context.resolve(source.path()));
    }

    /**
     * Hashes and scans the unit's source now, for the {@link #dependRecord} that follows its compile: called while
     * clang compiles an edited source, it takes that work (sqlite3.c: 20-45 ms of reading 9 MB, hashing and scanning
     * it for time macros) off the time after clang. Reused only if the file does not change meanwhile.
     */
    public void readAhead(SourceFile source, BuildContext context) {
        try {
            hashes.content(context.resolve(source.path()));
        } catch (IOException e) {
            log.debug("cannot read {} ahead: {}", source.path(), e.toString());
        }
    }

    /** The manifest recorded under {@code directKey}, if every file it lists is unchanged. */
    public Optional<IncludeManifest> find(Digest directKey, BuildContext context) {
        return cache.actions().get(directKey).flatMap(IncludeManifest::decode)
                .filter(manifest -> manifest.stillMatches(context.workingDirectory(), hashes));
    }

    /**
     * The newest of the records {@code shared} holds under {@code sharedKey} whose files are all unchanged here;
     * {@code beforeCheck} is told the newest record's unit key before any file is checked (the caller can start
     * fetching that result meanwhile). The records fetched are kept a while: a miss that follows shares its own
     * record beside them ({@link #share}).
     */
    public Optional<IncludeManifest> findShared(Digest sharedKey, ResultStore shared, BuildContext context,
            Consumer<Digest> beforeCheck) {
        SharedRecords records = fetch(sharedKey, shared);
        fetched.put(sharedKey, records);
        if (!records.records().isEmpty()) {
            beforeCheck.accept(records.records().get(0).unitKey());
        }
        return records.records().stream()
                .filter(manifest -> manifest.stillMatches(context.workingDirectory(), hashes)).findFirst();
    }

    /** Shares {@code record} (one {@link #record} just made) under {@code sharedKey}, newest of the records there. */
    public void share(IncludeManifest record, Digest sharedKey, ResultStore shared) {
        try {
            SharedRecords known = fetched.asMap().remove(sharedKey);
            SharedRecords records = (known != null ? known : fetch(sharedKey, shared)).with(record);
            shared.put(sharedKey, Result.ofObject(records.encode(), new byte[0], 0));
        } catch (RuntimeException e) {
            log.debug("direct-mode record not shared: {}", e.toString());
        }
    }

    private static SharedRecords fetch(Digest sharedKey, ResultStore shared) {
        return shared.get(sharedKey).flatMap(Result::onlyObject).flatMap(SharedRecords::decode)
                .orElse(SharedRecords.NONE);
    }

    /** Whether a record exists under {@code directKey}, current or not: the command was built before. */
    public boolean recorded(Digest directKey) {
        try {
            return cache.actions().get(directKey).isPresent();
        } catch (RuntimeException e) {
            return true; // in doubt, as a unit built before
        }
    }

    /**
     * Depend mode: the record of a unit compiled without a preprocessor run, from the files clang says it read (the
     * source first). Its unit key: toolchain, directory, language, flags, source name, preprocessor environment, back
     * end, and the content of every one of those files. Empty when the unit cannot be served without compiling it (a
     * file uses {@code __DATE__}..., or is gone already) or a file was written since the compile started.
     */
    public Optional<IncludeManifest> dependRecord(String backend, Collection<String> filesRead,
            CompilerInvocation invocation, SourceFile source, BuildContext context, long compileStartedMillis) {
        try {
            Optional<List<IncludeManifest.FileHash>> files = IncludeManifest.hash(filesRead,
                    context.workingDirectory(), hashes, compileStartedMillis);
            if (files.isEmpty()) {
                return Optional.empty();
            }
            // what the command says about the object (not its output names or other inputs: the same unit compiled
            // by another command, e.g. for a second library, hits), then what it read
            Fingerprint key = new Fingerprint(DEPEND_SCHEMA)
                    .add("toolchain", toolchain.identity())
                    .add("driver", invocation.driverModeFlag())
                    .add("kind", source.kind().name())
                    .add("working-directory", context.workingDirectory().toString())
                    .add("preprocessor-flags", invocation.preprocessorFlags())
                    .add("flags", invocation.compileFlags())
                    .add("source", source.path())
                    .add("backend", backend);
            for (String variable : PREPROCESSOR_ENVIRONMENT) {
                key.add(variable, context.environment().getOrDefault(variable, ""));
            }
            for (IncludeManifest.FileHash file : files.get()) {
                key.add(file.path(), file.sha256());
            }
            Optional<String> dependencyFile = invocation.dependencies().filePath(source, invocation.output());
            byte[] dependencies = dependencyFile.isPresent()
                    ? Files.readAllBytes(context.resolve(dependencyFile.get())) : new byte[0];
            return Optional.of(new IncludeManifest(key.build(), files.get(), dependencies));
        } catch (IOException | RuntimeException e) {
            log.debug("no depend-mode record for {}: {}", source.path(), e.toString());
            return Optional.empty();
        }
    }

    /** Stores a record made by {@link #dependRecord}, once its unit's result is stored. */
    public void record(Digest directKey, IncludeManifest manifest) {
        try {
            cache.actions().put(directKey, manifest.encode());
        } catch (RuntimeException e) {
            log.debug("no direct-mode record: {}", e.toString());
        }
    }

    /**
     * Records what preprocessing read, so the next unchanged build of this command needs no preprocessor; returns
     * the record, empty when none could be made or kept.
     */
    public Optional<IncludeManifest> record(Digest directKey, Digest unitKey, byte[] preprocessed,
            CompilerInvocation invocation, SourceFile source, BuildContext context, long compileStartedMillis) {
        try {
            Optional<String> dependencyFile = invocation.dependencies().filePath(source, invocation.output());
            byte[] dependencies = dependencyFile.isPresent()
                    ? Files.readAllBytes(context.resolve(dependencyFile.get())) : new byte[0];
            Optional<IncludeManifest> record = IncludeManifest.fromPreprocessed(unitKey, preprocessed,
                    context.workingDirectory(), dependencies, hashes, compileStartedMillis);
            record.ifPresent(manifest -> cache.actions().put(directKey, manifest.encode()));
            return record;
        } catch (IOException | RuntimeException e) {
            log.debug("no direct-mode record for {}: {}", source.path(), e.toString());
            return Optional.empty();
        }
    }
}
