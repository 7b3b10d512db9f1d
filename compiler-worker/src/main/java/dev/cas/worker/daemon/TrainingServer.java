package dev.cas.worker.daemon;

import build.bazel.remote.execution.v2.ActionCacheGrpc;
import build.bazel.remote.execution.v2.ActionCacheUpdateCapabilities;
import build.bazel.remote.execution.v2.ActionResult;
import build.bazel.remote.execution.v2.BatchReadBlobsRequest;
import build.bazel.remote.execution.v2.BatchReadBlobsResponse;
import build.bazel.remote.execution.v2.BatchUpdateBlobsRequest;
import build.bazel.remote.execution.v2.BatchUpdateBlobsResponse;
import build.bazel.remote.execution.v2.CacheCapabilities;
import build.bazel.remote.execution.v2.CapabilitiesGrpc;
import build.bazel.remote.execution.v2.ContentAddressableStorageGrpc;
import build.bazel.remote.execution.v2.Digest;
import build.bazel.remote.execution.v2.DigestFunction;
import build.bazel.remote.execution.v2.FindMissingBlobsRequest;
import build.bazel.remote.execution.v2.FindMissingBlobsResponse;
import build.bazel.remote.execution.v2.GetActionResultRequest;
import build.bazel.remote.execution.v2.GetCapabilitiesRequest;
import build.bazel.remote.execution.v2.ServerCapabilities;
import build.bazel.remote.execution.v2.UpdateActionResultRequest;
import com.google.protobuf.ByteString;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A cache server held in memory, only for {@link ClassArchiveTraining}: it answers the calls a worker with a remote
 * level makes (capabilities, action results, batched blobs), so that the gRPC, Netty and protobuf classes of those
 * calls are in the class archive too. Without them a fresh CI runner's first remote hits waited ~0.5 s for the
 * channel alone. Nothing is checked: it serves the training's own calls and nothing else.
 */
final class TrainingServer implements AutoCloseable {
    private final Map<Digest, ActionResult> actions = new ConcurrentHashMap<>();
    private final Map<Digest, ByteString> blobs = new ConcurrentHashMap<>();
    private final Server server;

    TrainingServer() throws IOException {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new Capabilities()).addService(new ActionCache()).addService(new Blobs())
                .build().start();
    }

    int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.shutdownNow();
    }

    private final class Capabilities extends CapabilitiesGrpc.CapabilitiesImplBase {
        @Override
        public void getCapabilities(GetCapabilitiesRequest request, StreamObserver<ServerCapabilities> response) {
            response.onNext(ServerCapabilities.newBuilder().setCacheCapabilities(CacheCapabilities.newBuilder()
                    .addDigestFunctions(DigestFunction.Value.SHA256).setMaxBatchTotalSizeBytes(4 << 20)
                    .setActionCacheUpdateCapabilities(ActionCacheUpdateCapabilities.newBuilder()
                            .setUpdateEnabled(true))).build());
            response.onCompleted();
        }
    }

    private final class ActionCache extends ActionCacheGrpc.ActionCacheImplBase {
        @Override
        public void getActionResult(GetActionResultRequest request, StreamObserver<ActionResult> response) {
            ActionResult result = actions.get(request.getActionDigest());
            if (result == null) {
                response.onError(Status.NOT_FOUND.asRuntimeException());
            } else {
                response.onNext(result);
                response.onCompleted();
            }
        }

        @Override
        public void updateActionResult(UpdateActionResultRequest request, StreamObserver<ActionResult> response) {
            actions.put(request.getActionDigest(), request.getActionResult());
            response.onNext(request.getActionResult());
            response.onCompleted();
        }
    }

    private final class Blobs extends ContentAddressableStorageGrpc.ContentAddressableStorageImplBase {
        @Override
        public void findMissingBlobs(FindMissingBlobsRequest request,
                StreamObserver<FindMissingBlobsResponse> response) {
            FindMissingBlobsResponse.Builder missing = FindMissingBlobsResponse.newBuilder();
            request.getBlobDigestsList().stream().filter(digest -> !blobs.containsKey(digest))
                    .forEach(missing::addMissingBlobDigests);
            response.onNext(missing.build());
            response.onCompleted();
        }

        @Override
        public void batchUpdateBlobs(BatchUpdateBlobsRequest request,
                StreamObserver<BatchUpdateBlobsResponse> response) {
            BatchUpdateBlobsResponse.Builder stored = BatchUpdateBlobsResponse.newBuilder();
            for (BatchUpdateBlobsRequest.Request blob : request.getRequestsList()) {
                blobs.put(blob.getDigest(), blob.getData());
                stored.addResponses(BatchUpdateBlobsResponse.Response.newBuilder().setDigest(blob.getDigest()));
            }
            response.onNext(stored.build());
            response.onCompleted();
        }

        @Override
        public void batchReadBlobs(BatchReadBlobsRequest request, StreamObserver<BatchReadBlobsResponse> response) {
            BatchReadBlobsResponse.Builder read = BatchReadBlobsResponse.newBuilder();
            for (Digest digest : request.getDigestsList()) {
                ByteString data = blobs.get(digest);
                read.addResponses(BatchReadBlobsResponse.Response.newBuilder().setDigest(digest)
                        .setData(data == null ? ByteString.EMPTY : data)
                        .setStatus(com.google.rpc.Status.newBuilder()
                                .setCode(data == null ? Status.Code.NOT_FOUND.value() : 0)));
            }
            response.onNext(read.build());
            response.onCompleted();
        }
    }
}
