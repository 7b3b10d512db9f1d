package dev.cas.worker.unit;

import dev.cas.store.Digest;
import dev.cas.worker.cache.Fingerprint;
import dev.cas.worker.clang.Toolchain;
import dev.cas.worker.command.BuildContext;
import dev.cas.worker.command.CompilerInvocation;
import dev.cas.worker.command.SourceFile;
import dev.cas.worker.direct.DirectModeCache;
import dev.cas.worker.pieces.PerFunctionPolicy;

/**
 * The key of a unit built from its preprocessed text: everything that can change the object or the diagnostics.
 * Direct and depend mode ({@link DirectModeCache}) lead to the same keys without preprocessing.
 */
final class UnitKey {
    private static final String SCHEMA = "cas-unit-v1";

    private final Toolchain toolchain;

    UnitKey(Toolchain toolchain) {
        this.toolchain = toolchain;
    }

    /**
     * Toolchain, language, flags, back end, the source after preprocessing (directories made relative), and the
     * working directory when debug info records it.
     */
    Digest of(CompilerInvocation invocation, SourceFile source, byte[] text, BuildContext context) {
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

    /** Which back end builds a miss; part of the key, as the three give different (equally correct) objects. */
    static String backendName(CompilerInvocation invocation, BuildContext context) {
        if (invocation.needsDriverBackend()) {
            return "clang-driver";
        }
        return PerFunctionPolicy.from(context.environment()).backendName();
    }
}
