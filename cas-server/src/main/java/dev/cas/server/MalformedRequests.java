package dev.cas.server;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.KnownLength;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;

/**
 * Makes a request that does not parse an INVALID_ARGUMENT. grpc-java parses requests before any interceptor sees
 * them and answers a parse failure with UNKNOWN ("Application error processing RPC"); here each method takes its
 * request as raw bytes on the wire and parses it inside the call, where a failure can be answered precisely.
 */
final class MalformedRequests {
    private MalformedRequests() {
    }

    static ServerServiceDefinition rejected(ServerServiceDefinition service) {
        ServerServiceDefinition.Builder builder = ServerServiceDefinition.builder(
                service.getServiceDescriptor().getName());
        for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
            add(builder, method);
        }
        return builder.build();
    }

    private static <Q, R> void add(ServerServiceDefinition.Builder builder, ServerMethodDefinition<Q, R> method) {
        MethodDescriptor<Q, R> typed = method.getMethodDescriptor();
        MethodDescriptor<InputStream, R> wire = typed.toBuilder(RawBytes.INSTANCE, typed.getResponseMarshaller())
                .build();
        ServerCallHandler<Q, R> handler = method.getServerCallHandler();
        builder.addMethod(wire, (call, headers) -> start(typed, handler, call, headers));
    }

    private static <Q, R> ServerCall.Listener<InputStream> start(MethodDescriptor<Q, R> typed,
            ServerCallHandler<Q, R> handler, ServerCall<InputStream, R> call, Metadata headers) {
        ServerCall<Q, R> typedCall = new ForwardingServerCall.SimpleForwardingServerCall<Q, R>(
                uncheckedCast(call)) {
            @Override
            public MethodDescriptor<Q, R> getMethodDescriptor() {
                return typed;
            }
        };
        ServerCall.Listener<Q> listener = handler.startCall(typedCall, headers);
        return new ForwardingServerCallListener<InputStream>() {
            private boolean closed;

            @Override
            protected ServerCall.Listener<InputStream> delegate() {
                return uncheckedCast(listener);
            }

            @Override
            public void onMessage(InputStream message) {
                if (closed) {
                    return;
                }
                Q request;
                try {
                    request = typed.parseRequest(message);
                } catch (RuntimeException e) {
                    closed = true;
                    call.close(Status.INVALID_ARGUMENT.withDescription("malformed " + typed.getFullMethodName()
                            + " request: " + rootMessage(e)), new Metadata());
                    return;
                }
                listener.onMessage(request);
            }

            @Override
            public void onHalfClose() {
                if (!closed) {
                    listener.onHalfClose();
                }
            }
        };
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root.getMessage();
    }

    @SuppressWarnings("unchecked")
    private static <T> T uncheckedCast(Object value) {
        return (T) value;
    }

    /**
     * Leaves a request as the bytes that came (copied, so the transport's buffer can go), as a stream that tells its
     * length: grpc's protobuf marshaller then parses it from one array, not through a stream refilled in pieces.
     */
    private enum RawBytes implements MethodDescriptor.Marshaller<InputStream> {
        INSTANCE;

        @Override
        public InputStream stream(InputStream value) {
            return value;
        }

        @Override
        public InputStream parse(InputStream stream) {
            try {
                if (stream instanceof KnownLength) { // grpc's own message streams: read into one exact array
                    byte[] bytes = new byte[stream.available()];
                    if (stream.readNBytes(bytes, 0, bytes.length) == bytes.length && stream.read() < 0) {
                        return new KnownLengthBytes(bytes);
                    }
                    throw new IOException("a request stream held other than the length it announced");
                }
                return new KnownLengthBytes(stream.readAllBytes());
            } catch (IOException e) {
                throw Status.INTERNAL.withDescription("cannot read a request: " + e.getMessage()).withCause(e)
                        .asRuntimeException();
            }
        }
    }

    /** Bytes whose length grpc-java can ask for ({@link KnownLength}). */
    private static final class KnownLengthBytes extends ByteArrayInputStream implements KnownLength {
        KnownLengthBytes(byte[] bytes) {
            super(bytes);
        }
    }
}
