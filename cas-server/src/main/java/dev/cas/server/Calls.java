package dev.cas.server;

import dev.cas.store.StorageFullException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where a call's outcome reaches the wire: a gRPC status thrown by the handler goes out as it is, a
 * full store as RESOURCE_EXHAUSTED, anything else as INTERNAL (logged once, with the store's message).
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
            observer.onError(failed(method, e));
            return;
        }
        observer.onNext(response);
        observer.onCompleted();
    }

    /** The status for a handler's failure that is not already a gRPC status. */
    static StatusRuntimeException failed(String method, RuntimeException e) {
        if (e instanceof StorageFullException full) {
            log.warn("{} refused: {}", method, full.getMessage());
            return Status.RESOURCE_EXHAUSTED.withDescription(method + ": " + full.getMessage()).asRuntimeException();
        }
        return internal(method, e);
    }

    static StatusRuntimeException internal(String method, RuntimeException e) {
        log.error("{} failed", method, e);
        return Status.INTERNAL.withDescription(method + ": " + e.getMessage()).asRuntimeException();
    }
}
