package dev.cas.api;

import com.google.bytestream.ByteStreamGrpc;
import com.google.bytestream.WriteRequest;
import com.google.bytestream.WriteResponse;
import com.google.protobuf.ByteString;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;

/**
 * One google.bytestream Write of a blob held in memory, as every client of the server sends it: messages of at most
 * {@code chunk} bytes at consecutive offsets, the resource name on the first, {@code finish_write} on the last (an
 * empty blob is one empty message), stopping early once the server has answered (a blob it already holds, or a
 * refusal).
 */
public final class ByteStreamUpload {
    private ByteStreamUpload() {
    }

    /**
     * Starts the upload on {@code stub} (deadlines, credentials and the like set on it by the caller). The future
     * completes with the server's response, the default instance if it closed the call without one, or fails with
     * the call's error.
     */
    public static CompletableFuture<WriteResponse> start(ByteStreamGrpc.ByteStreamStub stub, String resourceName,
            ByteString data, int chunk) {
        CompletableFuture<WriteResponse> done = new CompletableFuture<>();
        StreamObserver<WriteRequest> requests = stub.write(new StreamObserver<>() {
            @Override
            public void onNext(WriteResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                done.complete(WriteResponse.getDefaultInstance());
            }
        });
        for (int at = 0; (at < data.size() || at == 0) && !done.isDone(); at += chunk) {
            int end = Math.min(data.size(), at + chunk);
            requests.onNext(WriteRequest.newBuilder().setResourceName(at == 0 ? resourceName : "").setWriteOffset(at)
                    .setData(data.substring(at, end)).setFinishWrite(end == data.size()).build());
        }
        requests.onCompleted();
        return done;
    }
}
