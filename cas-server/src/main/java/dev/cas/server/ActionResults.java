package dev.cas.server;

import build.bazel.remote.execution.v2.ActionResult;
import build.bazel.remote.execution.v2.OutputDirectory;
import build.bazel.remote.execution.v2.OutputFile;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.cas.store.BlobStore;
import dev.cas.store.Digest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * What an action result depends on: the blobs it names. A result is served only while all of them are in the CAS,
 * so eviction can remove blobs in any order and a client never gets a hit it cannot download.
 */
final class ActionResults {
    private ActionResults() {
    }

    static Optional<ActionResult> parse(byte[] stored) {
        try {
            return Optional.of(ActionResult.parseFrom(stored));
        } catch (InvalidProtocolBufferException e) {
            return Optional.empty();
        }
    }

    /** True when every blob the result names is held. */
    static boolean complete(ActionResult result, BlobStore cas) {
        return cas.findMissing(referencedBlobs(result)).isEmpty();
    }

    static List<Digest> referencedBlobs(ActionResult result) {
        List<Digest> blobs = new ArrayList<>();
        for (OutputFile file : result.getOutputFilesList()) {
            if (file.hasDigest()) {
                blobs.add(Digests.fromProto(file.getDigest()));
            }
        }
        for (OutputDirectory directory : result.getOutputDirectoriesList()) {
            if (directory.hasTreeDigest()) {
                blobs.add(Digests.fromProto(directory.getTreeDigest()));
            }
        }
        if (result.hasStdoutDigest()) {
            blobs.add(Digests.fromProto(result.getStdoutDigest()));
        }
        if (result.hasStderrDigest()) {
            blobs.add(Digests.fromProto(result.getStderrDigest()));
        }
        blobs.removeIf(digest -> digest.size() == 0);
        return blobs;
    }
}
