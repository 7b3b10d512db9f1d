package dev.cas.load;

import build.bazel.remote.execution.v2.BatchReadBlobsRequest;
import build.bazel.remote.execution.v2.BatchReadBlobsResponse;
import build.bazel.remote.execution.v2.BatchUpdateBlobsRequest;
import build.bazel.remote.execution.v2.BatchUpdateBlobsResponse;
import build.bazel.remote.execution.v2.ContentAddressableStorageGrpc;
import build.bazel.remote.execution.v2.Digest;
import build.bazel.remote.execution.v2.FindMissingBlobsRequest;
import build.bazel.remote.execution.v2.FindMissingBlobsResponse;
import com.google.bytestream.ByteStreamGrpc;
import com.google.bytestream.ReadRequest;
import com.google.bytestream.ReadResponse;
import com.google.bytestream.WriteResponse;
import com.google.common.util.concurrent.FutureCallback;
import com.google.common.util.concurrent.Futures;
import com.google.common.util.concurrent.ListenableFuture;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.ByteString;
import dev.cas.api.ByteStreamUpload;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The REAPI cache calls the load generator makes, each as a CompletableFuture, over a few channels picked by a key
 * (one HTTP/2 connection would serialise on one server event loop). The channels share a small event loop group of
 * their own and run callbacks on it, so the generator takes as little of the machine it shares with the server as it
 * can: like redis-benchmark, one thread by default. Retries are off: a load test counts failures, it does not hide them.
 */
final class CasClient implements AutoCloseable {
    private static final int WRITE_CHUNK = 1 << 20;

    private final EventLoopGroup eventLoops;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final String instance;
    private final ClientInterceptor auth;

    CasClient(String host, int port, int connections, int eventLoopThreads, String instance, String token) {
        boolean epoll = Epoll.isAvailable();
        eventLoops = epoll ? new EpollEventLoopGroup(eventLoopThreads) : new NioEventLoopGroup(eventLoopThreads);
        for (int i = 0; i < connections; i++) {
            channels.add(NettyChannelBuilder.forAddress(host, port).usePlaintext().directExecutor().disableRetry()
                    .eventLoopGroup(eventLoops)
                    .channelType(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                    .maxInboundMessageSize(64 << 20).build());
        }
        this.instance = instance;
        Metadata headers = new Metadata();
        if (token != null) {
            headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
        }
        this.auth = MetadataUtils.newAttachHeadersInterceptor(headers);
    }

    CompletableFuture<FindMissingBlobsResponse> findMissing(List<Digest> digests, long key) {
        return future(cas(key).findMissingBlobs(FindMissingBlobsRequest.newBuilder().setInstanceName(instance)
                .addAllBlobDigests(digests).build()));
    }

    BatchReadBlobsRequest batchReadRequest(List<Digest> digests) {
        return BatchReadBlobsRequest.newBuilder().setInstanceName(instance).addAllDigests(digests).build();
    }

    CompletableFuture<BatchReadBlobsResponse> batchRead(BatchReadBlobsRequest request, long key) {
        return future(cas(key).batchReadBlobs(request));
    }

    CompletableFuture<BatchUpdateBlobsResponse> batchUpdate(List<ByteString> blobs, long key) {
        BatchUpdateBlobsRequest.Builder request = BatchUpdateBlobsRequest.newBuilder().setInstanceName(instance);
        for (ByteString blob : blobs) {
            request.addRequests(BatchUpdateBlobsRequest.Request.newBuilder().setDigest(Blobs.digestOf(blob))
                    .setData(blob));
        }
        return future(cas(key).batchUpdateBlobs(request.build())).thenApply(response -> {
            for (BatchUpdateBlobsResponse.Response one : response.getResponsesList()) {
                if (one.getStatus().getCode() != 0) {
                    throw new IllegalStateException("upload refused: " + one.getStatus().getMessage());
                }
            }
            return response;
        });
    }

    /** Reads a whole blob; completes with its size. */
    CompletableFuture<Long> read(Digest digest, long key) {
        CompletableFuture<Long> done = new CompletableFuture<>();
        ByteStreamGrpc.newStub(channel(key)).withInterceptors(auth).read(ReadRequest.newBuilder()
                .setResourceName(prefix() + "blobs/" + digest.getHash() + "/" + digest.getSizeBytes()).build(),
                new StreamObserver<ReadResponse>() {
                    private long received;

                    @Override
                    public void onNext(ReadResponse value) {
                        received += value.getData().size();
                    }

                    @Override
                    public void onError(Throwable t) {
                        done.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        done.complete(received);
                    }
                });
        return done;
    }

    /** Uploads a blob in messages of up to 1 MiB; completes with the committed size. */
    CompletableFuture<Long> write(ByteString blob, long key) {
        Digest digest = Blobs.digestOf(blob);
        String name = prefix() + "uploads/" + UUID.randomUUID() + "/blobs/" + digest.getHash() + "/"
                + digest.getSizeBytes();
        return ByteStreamUpload.start(ByteStreamGrpc.newStub(channel(key)).withInterceptors(auth), name, blob,
                WRITE_CHUNK).thenApply(WriteResponse::getCommittedSize);
    }

    @Override
    public void close() throws InterruptedException {
        for (ManagedChannel channel : channels) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        eventLoops.shutdownGracefully(0, 5, TimeUnit.SECONDS).awaitUninterruptibly();
    }

    private String prefix() {
        return instance.isEmpty() ? "" : instance + "/";
    }

    private ManagedChannel channel(long key) {
        return channels.get((int) (key % channels.size()));
    }

    private ContentAddressableStorageGrpc.ContentAddressableStorageFutureStub cas(long key) {
        return ContentAddressableStorageGrpc.newFutureStub(channel(key)).withInterceptors(auth);
    }

    private static <T> CompletableFuture<T> future(ListenableFuture<T> call) {
        CompletableFuture<T> done = new CompletableFuture<>();
        Futures.addCallback(call, new FutureCallback<>() {
            @Override
            public void onSuccess(T result) {
                done.complete(result);
            }

            @Override
            public void onFailure(Throwable t) {
                done.completeExceptionally(t);
            }
        }, MoreExecutors.directExecutor());
        return done;
    }
}
