package dev.cas.worker.remote;

import build.bazel.remote.execution.v2.ActionCacheGrpc;
import build.bazel.remote.execution.v2.ActionResult;
import build.bazel.remote.execution.v2.BatchReadBlobsRequest;
import build.bazel.remote.execution.v2.BatchReadBlobsResponse;
import build.bazel.remote.execution.v2.BatchUpdateBlobsRequest;
import build.bazel.remote.execution.v2.BatchUpdateBlobsResponse;
import build.bazel.remote.execution.v2.CacheCapabilities;
import build.bazel.remote.execution.v2.CapabilitiesGrpc;
import build.bazel.remote.execution.v2.ContentAddressableStorageGrpc;
import build.bazel.remote.execution.v2.DigestFunction;
import build.bazel.remote.execution.v2.FindMissingBlobsRequest;
import build.bazel.remote.execution.v2.GetActionResultRequest;
import build.bazel.remote.execution.v2.OutputFile;
import build.bazel.remote.execution.v2.GetCapabilitiesRequest;
import build.bazel.remote.execution.v2.UpdateActionResultRequest;
import com.google.bytestream.ByteStreamGrpc;
import com.google.bytestream.ReadRequest;
import com.google.bytestream.ReadResponse;
import com.google.bytestream.WriteResponse;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.protobuf.ByteString;
import dev.cas.api.ByteStreamUpload;
import dev.cas.store.Digest;
import io.grpc.ConnectivityState;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.ChannelOption;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Remote Execution API v2 cache client for one server: the capabilities probe that bounds how long an unreachable
 * server can hold a build, action results fetched concurrently (the API has no batch lookup), blobs read and written
 * in as few batches as the server's advertised limit allows, and ByteStream for blobs larger than a batch. Every blob
 * read is checked against its digest. Any failure is a {@link RemoteCacheException}.
 */
public final class RemoteCache implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RemoteCache.class);
    private static final long DEFAULT_BATCH_LIMIT = 4L << 20;
    /** Room for one entry's digest and status in a batch message. */
    private static final long ENTRY_OVERHEAD = 160;
    private static final int DIGESTS_PER_FIND = 10_000;
    private static final int BYTESTREAM_CHUNK = 1 << 20;
    private static final long CALL_TIMEOUT_SECONDS = 60;
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    /**
     * The receive window a new connection starts with (gRPC's own is 64 KiB, grown by its bandwidth probes): a
     * worker's first lookups are its connection's first, and objects of a few MiB came in window by window.
     */
    private static final int INITIAL_WINDOW_BYTES = 8 << 20;

    private final RemoteSettings settings;
    private final ManagedChannel channel;
    private volatile long batchLimit = DEFAULT_BATCH_LIMIT;
    private volatile boolean probed;
    private volatile boolean updateEnabled = true;

    public RemoteCache(RemoteSettings settings) {
        this.settings = settings;
        NettyChannelBuilder builder = NettyChannelBuilder.forAddress(settings.host(), settings.port())
                .withOption(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) settings.connectTimeout().toMillis())
                .maxInboundMessageSize(64 << 20)
                .initialFlowControlWindow(INITIAL_WINDOW_BYTES)
                .userAgent("cas-compile");
        if (settings.tls()) {
            builder.useTransportSecurity();
        } else {
            builder.usePlaintext();
        }
        settings.token().ifPresent(token -> {
            Metadata headers = new Metadata();
            headers.put(AUTHORIZATION, "Bearer " + token);
            builder.intercept(MetadataUtils.newAttachHeadersInterceptor(headers));
        });
        this.channel = builder.build();
    }

    public RemoteSettings settings() {
        return settings;
    }

    /**
     * Makes sure the server answers, waiting at most the connect timeout when no connection is up, and learns its
     * batch limit and whether this caller may write action results.
     */
    public void ensureReachable() {
        if (probed && channel.getState(false) == ConnectivityState.READY) {
            return;
        }
        long begin = System.nanoTime();
        CacheCapabilities capabilities = call("connect", () -> CapabilitiesGrpc.newBlockingStub(channel)
                .withDeadlineAfter(settings.connectTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .getCapabilities(GetCapabilitiesRequest.newBuilder().setInstanceName(settings.instanceName()).build()))
                .getCacheCapabilities();
        if (!capabilities.getDigestFunctionsList().isEmpty()
                && !capabilities.getDigestFunctionsList().contains(DigestFunction.Value.SHA256)) {
            throw new RemoteCacheException("the server at " + settings.target() + " does not offer SHA-256 digests");
        }
        long limit = capabilities.getMaxBatchTotalSizeBytes();
        batchLimit = limit > 0 ? Math.min(limit, 64L << 20) : DEFAULT_BATCH_LIMIT;
        updateEnabled = capabilities.getActionCacheUpdateCapabilities().getUpdateEnabled();
        probed = true;
        log.debug("connected to {} in {} ms", settings.target(), (System.nanoTime() - begin) / 1_000_000);
    }

    /** Whether the server lets this caller write action results (a read-only token does not). */
    public boolean updateEnabled() {
        return updateEnabled;
    }

    /**
     * The results the server holds among {@code actions}; all asked at once over the one connection. The server is
     * asked to send the stderr and the file {@code inlineFile} inline, which REAPI lets it do or not: what it sends
     * is in {@link #inlineBlobs}, checked, and needs no second round trip.
     */
    public Map<Digest, ActionResult> getActionResults(Collection<Digest> actions, String inlineFile) {
        ActionCacheGrpc.ActionCacheFutureStub stub = deadline(ActionCacheGrpc.newFutureStub(channel));
        Map<Digest, ListenableFuture<ActionResult>> calls = new HashMap<>();
        for (Digest action : actions) {
            calls.put(action, stub.getActionResult(GetActionResultRequest.newBuilder()
                    .setInstanceName(settings.instanceName()).setActionDigest(toProto(action))
                    .setInlineStderr(true).addInlineOutputFiles(inlineFile)
                    .setDigestFunction(DigestFunction.Value.SHA256).build()));
        }
        Map<Digest, ActionResult> found = new HashMap<>();
        for (Map.Entry<Digest, ListenableFuture<ActionResult>> call : calls.entrySet()) {
            try {
                found.put(call.getKey(), await("GetActionResult", call.getValue()));
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
                    calls.values().forEach(pending -> pending.cancel(true));
                    throw failure("GetActionResult", e);
                }
            }
        }
        return found;
    }

    /** The blobs {@code result} carries inline (output files, stdout, stderr), each checked against its digest. */
    public Map<Digest, byte[]> inlineBlobs(ActionResult result) {
        Map<Digest, byte[]> inline = new HashMap<>();
        for (OutputFile file : result.getOutputFilesList()) {
            if (!file.getContents().isEmpty()) {
                Digest digest = fromProto(file.getDigest());
                inline.put(digest, verified(digest, file.getContents().toByteArray()));
            }
        }
        if (result.hasStdoutDigest() && !result.getStdoutRaw().isEmpty()) {
            Digest digest = fromProto(result.getStdoutDigest());
            inline.put(digest, verified(digest, result.getStdoutRaw().toByteArray()));
        }
        if (result.hasStderrDigest() && !result.getStderrRaw().isEmpty()) {
            Digest digest = fromProto(result.getStderrDigest());
            inline.put(digest, verified(digest, result.getStderrRaw().toByteArray()));
        }
        return inline;
    }

    /** The blobs the server holds among {@code digests}, each checked against its digest. */
    public Map<Digest, byte[]> readBlobs(Collection<Digest> digests) {
        Map<Digest, byte[]> found = new HashMap<>();
        List<Digest> large = new ArrayList<>();
        List<ListenableFuture<BatchReadBlobsResponse>> batches = new ArrayList<>();
        ContentAddressableStorageGrpc.ContentAddressableStorageFutureStub stub =
                deadline(ContentAddressableStorageGrpc.newFutureStub(channel));
        for (List<Digest> batch : batches(digests, large)) {
            BatchReadBlobsRequest.Builder request = BatchReadBlobsRequest.newBuilder()
                    .setInstanceName(settings.instanceName()).setDigestFunction(DigestFunction.Value.SHA256);
            batch.forEach(digest -> request.addDigests(toProto(digest)));
            batches.add(stub.batchReadBlobs(request.build()));
        }
        for (ListenableFuture<BatchReadBlobsResponse> batch : batches) {
            BatchReadBlobsResponse response = call("BatchReadBlobs", () -> await("BatchReadBlobs", batch));
            for (BatchReadBlobsResponse.Response blob : response.getResponsesList()) {
                Digest digest = fromProto(blob.getDigest());
                int code = blob.getStatus().getCode();
                if (code == Status.Code.NOT_FOUND.value()) {
                    continue;
                }
                if (code != Status.Code.OK.value()) {
                    throw new RemoteCacheException("the server at " + settings.target() + " could not read blob "
                            + digest + ": " + Status.fromCodeValue(code).getCode() + " " + blob.getStatus().getMessage());
                }
                found.put(digest, verified(digest, blob.getData().toByteArray()));
            }
        }
        for (Digest digest : large) {
            readStream(digest).ifPresent(data -> found.put(digest, data));
        }
        return found;
    }

    /** Which of {@code digests} the server lacks. */
    public Set<Digest> findMissing(Collection<Digest> digests) {
        Set<Digest> missing = new HashSet<>();
        List<Digest> all = new ArrayList<>(digests);
        for (int from = 0; from < all.size(); from += DIGESTS_PER_FIND) {
            FindMissingBlobsRequest.Builder request = FindMissingBlobsRequest.newBuilder()
                    .setInstanceName(settings.instanceName()).setDigestFunction(DigestFunction.Value.SHA256);
            all.subList(from, Math.min(all.size(), from + DIGESTS_PER_FIND))
                    .forEach(digest -> request.addBlobDigests(toProto(digest)));
            call("FindMissingBlobs", () -> deadline(ContentAddressableStorageGrpc.newBlockingStub(channel))
                    .findMissingBlobs(request.build())).getMissingBlobDigestsList()
                    .forEach(digest -> missing.add(fromProto(digest)));
        }
        return missing;
    }

    /** Stores the blobs: batched up to the server's limit, larger ones streamed. */
    public void writeBlobs(Map<Digest, byte[]> blobs) {
        List<Digest> large = new ArrayList<>();
        ContentAddressableStorageGrpc.ContentAddressableStorageFutureStub stub =
                deadline(ContentAddressableStorageGrpc.newFutureStub(channel));
        List<ListenableFuture<BatchUpdateBlobsResponse>> batches = new ArrayList<>();
        for (List<Digest> batch : batches(blobs.keySet(), large)) {
            BatchUpdateBlobsRequest.Builder request = BatchUpdateBlobsRequest.newBuilder()
                    .setInstanceName(settings.instanceName()).setDigestFunction(DigestFunction.Value.SHA256);
            batch.forEach(digest -> request.addRequests(BatchUpdateBlobsRequest.Request.newBuilder()
                    .setDigest(toProto(digest)).setData(ByteString.copyFrom(blobs.get(digest)))));
            batches.add(stub.batchUpdateBlobs(request.build()));
        }
        for (ListenableFuture<BatchUpdateBlobsResponse> batch : batches) {
            for (BatchUpdateBlobsResponse.Response blob : call("BatchUpdateBlobs",
                    () -> await("BatchUpdateBlobs", batch)).getResponsesList()) {
                if (blob.getStatus().getCode() != Status.Code.OK.value()) {
                    throw new RemoteCacheException("the server at " + settings.target() + " refused blob "
                            + fromProto(blob.getDigest()) + ": " + Status.fromCodeValue(blob.getStatus().getCode())
                            .getCode() + " " + blob.getStatus().getMessage());
                }
            }
        }
        for (Digest digest : large) {
            writeStream(digest, blobs.get(digest));
        }
    }

    /** Records {@code result} as the result of {@code action}. */
    public void putActionResult(Digest action, ActionResult result) {
        call("UpdateActionResult", () -> deadline(ActionCacheGrpc.newBlockingStub(channel))
                .updateActionResult(UpdateActionResultRequest.newBuilder().setInstanceName(settings.instanceName())
                        .setActionDigest(toProto(action)).setActionResult(result)
                        .setDigestFunction(DigestFunction.Value.SHA256).build()));
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }

    /** Splits digests into batches that fit the server's limit; blobs too large for any batch go to {@code large}. */
    private List<List<Digest>> batches(Collection<Digest> digests, List<Digest> large) {
        List<List<Digest>> batches = new ArrayList<>();
        List<Digest> current = new ArrayList<>();
        long bytes = 0;
        long limit = batchLimit;
        for (Digest digest : digests) {
            long cost = digest.size() + ENTRY_OVERHEAD;
            if (cost > limit / 2) {
                large.add(digest);
                continue;
            }
            if (bytes + cost > limit - ENTRY_OVERHEAD && !current.isEmpty()) {
                batches.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(digest);
            bytes += cost;
        }
        if (!current.isEmpty()) {
            batches.add(current);
        }
        return batches;
    }

    private Optional<byte[]> readStream(Digest digest) {
        String resource = prefix() + "blobs/" + digest.hash() + "/" + digest.size();
        return call("ByteStream.Read", () -> {
            ByteArrayOutputStream data = new ByteArrayOutputStream((int) digest.size());
            try {
                Iterator<ReadResponse> responses = deadline(ByteStreamGrpc.newBlockingStub(channel))
                        .read(ReadRequest.newBuilder().setResourceName(resource).build());
                while (responses.hasNext()) {
                    responses.next().getData().writeTo(data);
                }
            } catch (StatusRuntimeException e) {
                if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                    return Optional.<byte[]>empty();
                }
                throw e;
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            return Optional.of(verified(digest, data.toByteArray()));
        });
    }

    private void writeStream(Digest digest, byte[] data) {
        String resource = prefix() + "uploads/" + UUID.randomUUID() + "/blobs/" + digest.hash() + "/" + digest.size();
        CompletableFuture<WriteResponse> done = ByteStreamUpload.start(deadline(ByteStreamGrpc.newStub(channel)),
                resource, ByteString.copyFrom(data), BYTESTREAM_CHUNK);
        call("ByteStream.Write", () -> await("ByteStream.Write", done));
    }

    private String prefix() {
        return settings.instanceName().isEmpty() ? "" : settings.instanceName() + "/";
    }

    private byte[] verified(Digest digest, byte[] data) {
        if (!digest.matches(data)) {
            throw new RemoteCacheException("the server at " + settings.target() + " returned a corrupt blob for "
                    + digest);
        }
        return data;
    }

    private <S extends AbstractStub<S>> S deadline(S stub) {
        return stub.withDeadlineAfter(CALL_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    }

    private <T> T call(String rpc, Supplier<T> body) {
        try {
            return body.get();
        } catch (StatusRuntimeException e) {
            throw failure(rpc, e);
        }
    }

    private RemoteCacheException failure(String rpc, StatusRuntimeException e) {
        Status status = e.getStatus();
        String reason = status.getDescription() == null ? "" : ": " + status.getDescription();
        return new RemoteCacheException("the server at " + settings.target() + " failed " + rpc + " ("
                + status.getCode() + reason + ")", e);
    }

    private static <T> T await(String rpc, Future<T> future) {
        try {
            return future.get(CALL_TIMEOUT_SECONDS + 5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StatusRuntimeException status) {
                throw status;
            }
            throw Status.UNKNOWN.withDescription(rpc + ": " + e.getCause()).withCause(e.getCause())
                    .asRuntimeException();
        } catch (TimeoutException e) {
            future.cancel(true);
            throw Status.DEADLINE_EXCEEDED.withDescription(rpc + " took too long").asRuntimeException();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
        }
    }

    static build.bazel.remote.execution.v2.Digest toProto(Digest digest) {
        return build.bazel.remote.execution.v2.Digest.newBuilder().setHash(digest.hash()).setSizeBytes(digest.size())
                .build();
    }

    static Digest fromProto(build.bazel.remote.execution.v2.Digest digest) {
        try {
            return new Digest(digest.getHash(), digest.getSizeBytes());
        } catch (IllegalArgumentException e) {
            throw new RemoteCacheException("the server sent a malformed digest: " + e.getMessage());
        }
    }
}
