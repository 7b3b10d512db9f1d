package dev.cas.worker.remote;

import build.bazel.remote.execution.v2.ActionResult;
import build.bazel.remote.execution.v2.ExecutedActionMetadata;
import build.bazel.remote.execution.v2.OutputFile;
import com.google.protobuf.Timestamp;
import dev.cas.store.Digest;
import dev.cas.worker.cache.UnitManifest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A unit manifest or per-function result as a standard REAPI action result, so any REAPI cache can hold it: the
 * objects are output files {@code object-0..n}, the diagnostics are stderr, and the compile time is the span between
 * the worker timestamps (kept so a remote hit reports the time it saved).
 */
public final class ManifestResults {
    static final String WORKER = "cas-compile";
    /** The output file of a unit or piece's (only) object, which lookups ask the server to send inline. */
    static final String FIRST_OBJECT = "object-0";

    private ManifestResults() {
    }

    public static ActionResult toResult(UnitManifest manifest) {
        ActionResult.Builder result = ActionResult.newBuilder().setExitCode(0)
                .setStderrDigest(RemoteCache.toProto(manifest.diagnostics()))
                .setExecutionMetadata(ExecutedActionMetadata.newBuilder().setWorker(WORKER)
                        .setWorkerStartTimestamp(Timestamp.getDefaultInstance())
                        .setWorkerCompletedTimestamp(Timestamp.newBuilder()
                                .setSeconds(manifest.compileMillis() / 1000)
                                .setNanos((int) (manifest.compileMillis() % 1000) * 1_000_000)));
        for (int i = 0; i < manifest.objects().size(); i++) {
            result.addOutputFiles(OutputFile.newBuilder().setPath("object-" + i)
                    .setDigest(RemoteCache.toProto(manifest.objects().get(i))));
        }
        return result.build();
    }

    /** The manifest a result describes; empty when it was not written by cas-compile or is malformed. */
    public static Optional<UnitManifest> toManifest(ActionResult result) {
        if (result.getExitCode() != 0 || !result.hasStderrDigest() || result.getOutputFilesCount() == 0
                || !WORKER.equals(result.getExecutionMetadata().getWorker())) {
            return Optional.empty();
        }
        try {
            List<Digest> objects = new ArrayList<>();
            for (int i = 0; i < result.getOutputFilesCount(); i++) {
                OutputFile file = result.getOutputFiles(i);
                if (!file.getPath().equals("object-" + i)) {
                    return Optional.empty();
                }
                objects.add(RemoteCache.fromProto(file.getDigest()));
            }
            Timestamp done = result.getExecutionMetadata().getWorkerCompletedTimestamp();
            long millis = done.getSeconds() * 1000 + done.getNanos() / 1_000_000;
            return Optional.of(new UnitManifest(objects, RemoteCache.fromProto(result.getStderrDigest()), millis));
        } catch (RemoteCacheException malformed) {
            return Optional.empty();
        }
    }
}
