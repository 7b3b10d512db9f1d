package dev.cas.server;

import com.google.bytestream.ByteStreamGrpc;
import com.google.bytestream.WriteRequest;
import com.google.bytestream.WriteResponse;
import com.google.protobuf.ByteString;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** A ByteStream upload as the tests make them: in messages of {@code chunk} bytes, the last with finish_write. */
final class ByteStreamUploads {
    private ByteStreamUploads() {
    }

    /** Uploads and waits for the answer; a refusal is rethrown as the StatusRuntimeException the call ended with. */
    static WriteResponse write(Channel channel, String resourceName, byte[] data, int chunk) {
        CompletableFuture<WriteResponse> done = new CompletableFuture<>();
        StreamObserver<WriteRequest> requests = ByteStreamGrpc.newStub(channel).write(new StreamObserver<>() {
            @Override
            public void onNext(WriteResponse value) {
                done.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                done.complete(null);
            }
        });
        for (int at = 0; at < data.length || at == 0; at += chunk) {
            int length = Math.min(chunk, data.length - at);
            requests.onNext(WriteRequest.newBuilder().setResourceName(at == 0 ? resourceName : "")
                    .setWriteOffset(at).setData(ByteString.copyFrom(data, at, length))
                    .setFinishWrite(at + length >= data.length).build());
            if (done.isDone()) {
                break;
            }
        }
        requests.onCompleted();
        try {
            return done.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw (RuntimeException) e.getCause();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
