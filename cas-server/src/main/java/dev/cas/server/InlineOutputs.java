package dev.cas.server;

import build.bazel.remote.execution.v2.ActionResult;
import build.bazel.remote.execution.v2.GetActionResultRequest;
import build.bazel.remote.execution.v2.OutputFile;
import com.google.protobuf.ByteString;
import dev.cas.store.BlobStore;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Fills in what a {@code GetActionResult} asked to have inline — stdout, stderr, the output files it lists, in that
 * order — up to a limit in all, as REAPI lets a server do: a client that fetches a small result (a compiled unit's
 * object, a direct-mode record) then needs one round trip instead of two. What does not fit, or was not asked for,
 * stays a digest only.
 */
final class InlineOutputs {
    /** At most this much inline: well inside gRPC's default 4 MiB message size, which clients receive by default. */
    static final long MAX_LIMIT_BYTES = 2L << 20;

    private final BlobStore cas;
    private final long limitBytes;

    /** {@code maxBatchBytes}: what the server answers in one batch; no answer inlines more. */
    InlineOutputs(BlobStore cas, long maxBatchBytes) {
        this.cas = cas;
        this.limitBytes = Math.min(MAX_LIMIT_BYTES, maxBatchBytes);
    }

    ActionResult fill(ActionResult result, GetActionResultRequest request) {
        Set<String> files = new HashSet<>(request.getInlineOutputFilesList());
        if (files.isEmpty() && !request.getInlineStdout() && !request.getInlineStderr()) {
            return result;
        }
        ActionResult.Builder filled = result.toBuilder();
        long budget = limitBytes;
        if (request.getInlineStdout() && result.hasStdoutDigest()) {
            Optional<ByteString> stdout = read(result.getStdoutDigest(), budget);
            if (stdout.isPresent()) {
                filled.setStdoutRaw(stdout.get());
                budget -= stdout.get().size();
            }
        }
        if (request.getInlineStderr() && result.hasStderrDigest()) {
            Optional<ByteString> stderr = read(result.getStderrDigest(), budget);
            if (stderr.isPresent()) {
                filled.setStderrRaw(stderr.get());
                budget -= stderr.get().size();
            }
        }
        for (int i = 0; i < result.getOutputFilesCount(); i++) {
            OutputFile file = result.getOutputFiles(i);
            if (files.contains(file.getPath())) {
                Optional<ByteString> contents = read(file.getDigest(), budget);
                if (contents.isPresent()) {
                    filled.setOutputFiles(i, file.toBuilder().setContents(contents.get()));
                    budget -= contents.get().size();
                }
            }
        }
        return filled.build();
    }

    private Optional<ByteString> read(build.bazel.remote.execution.v2.Digest digest, long budget) {
        if (digest.getSizeBytes() > budget) {
            return Optional.empty();
        }
        return cas.get(Digests.fromProto(digest)).map(ByteString::copyFrom);
    }
}
