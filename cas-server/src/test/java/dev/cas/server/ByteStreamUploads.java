package dev.cas.server;

import com.google.bytestream.ByteStreamGrpc;
import com.google.bytestream.WriteResponse;
import com.google.protobuf.ByteString;
import dev.cas.api.ByteStreamUpload;
import io.grpc.Channel;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** A ByteStream upload as the tests make them: in messages of {@code chunk} bytes, the last with finish_write. */
final class ByteStreamUploads {
    private ByteStreamUploads() {
    }

    /** Uploads and waits for the answer; a refusal is rethrown as the StatusRuntimeException the call ended with. */
    static WriteResponse write(Channel channel, String resourceName, byte[] data, int chunk) {
        try {
            return ByteStreamUpload.start(ByteStreamGrpc.newStub(channel), resourceName, ByteString.copyFrom(data),
                    chunk).get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw (RuntimeException) e.getCause();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
