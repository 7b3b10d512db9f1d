package dev.cas.load;

import build.bazel.remote.execution.v2.ActionCacheGrpc;
import build.bazel.remote.execution.v2.ActionResult;
import build.bazel.remote.execution.v2.BatchReadBlobsRequest;
import build.bazel.remote.execution.v2.BatchUpdateBlobsRequest;
import build.bazel.remote.execution.v2.ContentAddressableStorageGrpc;
import build.bazel.remote.execution.v2.Digest;
import build.bazel.remote.execution.v2.FindMissingBlobsRequest;
import build.bazel.remote.execution.v2.GetActionResultRequest;
import build.bazel.remote.execution.v2.OutputFile;
import build.bazel.remote.execution.v2.UpdateActionResultRequest;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The calls of the fault scenario, each one blocking and each reporting what it saw: a blob or an action result
 * written (acknowledged or not) over gRPC BatchUpdateBlobs, ByteStream or HTTP PUT, and read back over gRPC or HTTP
 * with its content checked. Blob {@code i} of size {@code s} is {@link Blobs}' blob, so a verifier in another process
 * knows what every acknowledged write held; action {@code i} names blobs by their index and size.
 */
final class FaultWorkload implements AutoCloseable {
    /** What became of one call. */
    enum Outcome {
        /** The server acknowledged the write, or served the value with the right content. */
        OK,
        /** The server answered that it does not hold the value. */
        MISSING,
        /** The server refused the write (full disk: RESOURCE_EXHAUSTED, 507) or failed it (INTERNAL, 500). */
        REFUSED,
        /** The server could not be reached (killed, restarting). */
        UNREACHABLE,
        /** A value was served whose content is not what was written, or an action result naming a missing blob. */
        WRONG
    }

    private final ManagedChannel channel;
    private final CasClient byteStream;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final String httpBase;

    FaultWorkload(String host, int grpcPort, int httpPort) {
        channel = NettyChannelBuilder.forAddress(host, grpcPort).usePlaintext().disableRetry()
                .maxInboundMessageSize(64 << 20).build();
        byteStream = new CasClient(host, grpcPort, 1, 1, "", null);
        httpBase = "http://" + host + ":" + httpPort;
    }

    static ByteString blob(long index, int size) {
        return new Blobs(size).content(index);
    }

    Outcome writeOverBatch(long index, int size) {
        ByteString content = blob(index, size);
        return grpc(() -> {
            int code = cas().batchUpdateBlobs(BatchUpdateBlobsRequest.newBuilder().addRequests(
                    BatchUpdateBlobsRequest.Request.newBuilder().setDigest(Blobs.digestOf(content)).setData(content))
                    .build()).getResponses(0).getStatus().getCode();
            return code == 0 ? Outcome.OK : Outcome.REFUSED;
        });
    }

    Outcome writeOverByteStream(long index, int size) {
        ByteString content = blob(index, size);
        try {
            long committed = byteStream.write(content, index).get(10, TimeUnit.SECONDS);
            return committed == size ? Outcome.OK : Outcome.WRONG;
        } catch (ExecutionException e) {
            return e.getCause() instanceof StatusRuntimeException status ? classify(status) : Outcome.UNREACHABLE;
        } catch (TimeoutException e) {
            return Outcome.UNREACHABLE;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Outcome.UNREACHABLE;
        }
    }

    Outcome writeOverHttp(long index, int size) {
        ByteString content = blob(index, size);
        return http(HttpRequest.newBuilder(URI.create(httpBase + "/cas/" + Blobs.digestOf(content).getHash()))
                .PUT(HttpRequest.BodyPublishers.ofByteArray(content.toByteArray())), response ->
                response.statusCode() == 201 ? Outcome.OK : Outcome.REFUSED);
    }

    /** Records action {@code action} whose output files are the given blobs (all acknowledged before). */
    Outcome writeAction(long action, long[] blobs, int[] sizes) {
        ActionResult.Builder result = ActionResult.newBuilder().setExitCode(0);
        for (int i = 0; i < blobs.length; i++) {
            result.addOutputFiles(OutputFile.newBuilder().setPath("out/" + i)
                    .setDigest(Blobs.digestOf(blob(blobs[i], sizes[i]))));
        }
        return grpc(() -> {
            actions().updateActionResult(UpdateActionResultRequest.newBuilder().setActionDigest(actionDigest(action))
                    .setActionResult(result).build());
            return Outcome.OK;
        });
    }

    Outcome readOverBatch(long index, int size) {
        ByteString content = blob(index, size);
        return grpc(() -> {
            var response = cas().batchReadBlobs(BatchReadBlobsRequest.newBuilder()
                    .addDigests(Blobs.digestOf(content)).build()).getResponses(0);
            if (response.getStatus().getCode() == Status.Code.NOT_FOUND.value()) {
                return Outcome.MISSING;
            }
            if (response.getStatus().getCode() != 0) {
                return Outcome.REFUSED;
            }
            return response.getData().equals(content) ? Outcome.OK : Outcome.WRONG;
        });
    }

    Outcome readOverHttp(long index, int size) {
        ByteString content = blob(index, size);
        return http(HttpRequest.newBuilder(URI.create(httpBase + "/cas/" + Blobs.digestOf(content).getHash())).GET(),
                response -> switch (response.statusCode()) {
                    case 200 -> Arrays.equals(response.body(), content.toByteArray()) ? Outcome.OK : Outcome.WRONG;
                    case 404 -> Outcome.MISSING;
                    default -> Outcome.REFUSED;
                });
    }

    /** Reads action {@code action}: when served, every blob it names must be held (and is checked). */
    Outcome readAction(long action) {
        return grpc(() -> {
            ActionResult result;
            try {
                result = actions().getActionResult(GetActionResultRequest.newBuilder()
                        .setActionDigest(actionDigest(action)).build());
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                    return Outcome.MISSING;
                }
                throw e;
            }
            FindMissingBlobsRequest.Builder named = FindMissingBlobsRequest.newBuilder();
            result.getOutputFilesList().forEach(file -> named.addBlobDigests(file.getDigest()));
            return cas().findMissingBlobs(named.build()).getMissingBlobDigestsCount() == 0 ? Outcome.OK
                    : Outcome.WRONG;
        });
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        byteStream.close();
    }

    static Digest actionDigest(long action) {
        return Blobs.digestOf(ByteString.copyFromUtf8("fault-scenario action " + action));
    }

    private ContentAddressableStorageGrpc.ContentAddressableStorageBlockingStub cas() {
        return ContentAddressableStorageGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private ActionCacheGrpc.ActionCacheBlockingStub actions() {
        return ActionCacheGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
    }

    private interface Call {
        Outcome run();
    }

    private static Outcome grpc(Call call) {
        try {
            return call.run();
        } catch (StatusRuntimeException e) {
            return classify(e);
        }
    }

    private static Outcome classify(StatusRuntimeException e) {
        return switch (e.getStatus().getCode()) {
            case UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED -> Outcome.UNREACHABLE;
            case NOT_FOUND -> Outcome.MISSING;
            case DATA_LOSS -> Outcome.WRONG;
            default -> Outcome.REFUSED;
        };
    }

    private interface Answer {
        Outcome of(HttpResponse<byte[]> response);
    }

    private Outcome http(HttpRequest.Builder request, Answer answer) {
        try {
            return answer.of(http.send(request.timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofByteArray()));
        } catch (IOException e) {
            return Outcome.UNREACHABLE; // refused connection, reset, or a body cut short by a kill
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Outcome.UNREACHABLE;
        }
    }
}
