package dev.cas.server;

import build.bazel.remote.execution.v2.ActionCacheGrpc;
import build.bazel.remote.execution.v2.ActionResult;
import build.bazel.remote.execution.v2.GetActionResultRequest;
import build.bazel.remote.execution.v2.UpdateActionResultRequest;
import dev.cas.store.BlobStore;
import dev.cas.store.Digest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * REAPI's ActionCache: results by instance and action digest. A result is served only while every blob it names is
 * in the CAS, so an evicted output reads as a miss (NOT_FOUND) rather than a hit the client cannot download; outputs
 * the caller asks to have inline come inline, within a limit ({@link InlineOutputs}).
 */
final class ActionCacheService extends ActionCacheGrpc.ActionCacheImplBase {
    private final BlobStore actions;
    private final BlobStore cas;
    private final InlineOutputs inline;

    ActionCacheService(BlobStore actions, BlobStore cas, long maxBatchBytes) {
        this.actions = actions;
        this.cas = cas;
        this.inline = new InlineOutputs(cas, maxBatchBytes);
    }

    @Override
    public void getActionResult(GetActionResultRequest request, StreamObserver<ActionResult> observer) {
        Failures.respond(observer, "GetActionResult", () -> {
            Digests.requireSha256(request.getDigestFunction());
            Digest key = key(request.getInstanceName(), Digests.fromProto(request.getActionDigest()));
            Optional<ActionResult> result = actions.get(key).flatMap(ActionResults::parse);
            if (result.isEmpty() || !ActionResults.complete(result.get(), cas)) {
                throw Status.NOT_FOUND.withDescription("no result for action " + request.getActionDigest().getHash())
                        .asRuntimeException();
            }
            return inline.fill(result.get(), request);
        });
    }

    @Override
    public void updateActionResult(UpdateActionResultRequest request, StreamObserver<ActionResult> observer) {
        Failures.respond(observer, "UpdateActionResult", () -> {
            Digests.requireSha256(request.getDigestFunction());
            Digest action = Digests.fromProto(request.getActionDigest());
            ActionResult result = request.getActionResult();
            ActionResults.referencedBlobs(result); // rejects malformed digests before anything is stored
            actions.put(key(request.getInstanceName(), action), result.toByteArray());
            return result;
        });
    }

    /** Action results of different instances never meet: the key covers the instance name. */
    private static Digest key(String instance, Digest action) {
        return Digest.of(("ac\0" + instance + "\0" + action).getBytes(StandardCharsets.UTF_8));
    }

}
