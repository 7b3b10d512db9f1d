package dev.cas.server;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where a unary call's outcome reaches the wire: a gRPC status thrown by the handler goes out as it is,
 * anything else as INTERNAL (logged once, with the store's message).
 */
final class Calls {
    private static final Logger log = LoggerFactory.getLogger(Calls.class);

    private Calls() {
    }

    static <T> void respond(StreamObserver<T> observer, String method, Supplier<T> handler) {
        T response;
        try {
            response = handler.get();
        } catch (StatusRuntimeException e) {
            observer.onError(e);
            return;
        } catch (RuntimeException e) {
            observer.onError(internal(method, e));
            return;
        }
        observer.onNext(response);
        observer.onCompleted();
    }

    static StatusRuntimeException internal(String method, RuntimeException e) {
        log.error("{} failed", method, e);
        return Status.INTERNAL.withDescription(method + ": " + e.getMessage()).asRuntimeException();
    }
}
