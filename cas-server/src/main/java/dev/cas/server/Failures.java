package dev.cas.server;

import dev.cas.store.StoreException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import jakarta.servlet.http.HttpServletResponse;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one translation of a failure into what a client is told, used by every gRPC and HTTP handler. A gRPC status a
 * handler raised goes out as it is; a store's failure by its kind: a write that does not match its digest
 * INVALID_ARGUMENT (HTTP 400), a full data directory RESOURCE_EXHAUSTED (507, as bazel-remote answers; reads go on),
 * a damaged or wrongly sized blob NOT_FOUND (404: a miss), a failing disk or database UNAVAILABLE (503); anything
 * else INTERNAL (500). The server's faults are logged here, once, with their causes.
 */
final class Failures {
    private static final Logger log = LoggerFactory.getLogger(Failures.class);

    private Failures() {
    }

    /** Answers a unary call: the handler's response, or its failure as a status. */
    static <T> void respond(StreamObserver<T> observer, String call, Supplier<T> handler) {
        T response;
        try {
            response = handler.get();
        } catch (RuntimeException e) {
            observer.onError(grpc(call, e));
            return;
        }
        observer.onNext(response);
        observer.onCompleted();
    }

    /** The failure of {@code call} as the exception a gRPC observer is given. */
    static StatusRuntimeException grpc(String call, Throwable failure) {
        return status(call, failure).asRuntimeException();
    }

    /** The failure of {@code call} as a gRPC status (whose cause is the failure). */
    static Status status(String call, Throwable failure) {
        if (failure instanceof StatusRuntimeException raised) {
            return raised.getStatus();
        }
        StoreException store = StoreException.in(failure).orElse(null);
        if (store == null) {
            log.error("{} failed", call, failure);
            return Status.INTERNAL.withDescription(call + ": " + failure).withCause(failure);
        }
        Status status = switch (store.kind()) {
            case REJECTED -> Status.INVALID_ARGUMENT;
            case FULL -> Status.RESOURCE_EXHAUSTED;
            case CORRUPT, WRONG_SIZE -> Status.NOT_FOUND;
            case FAILED -> Status.UNAVAILABLE;
        };
        if (store.kind() == StoreException.Kind.FULL) {
            log.warn("{} refused: {}", call, store.getMessage());
        } else if (store.kind() == StoreException.Kind.FAILED) {
            log.error("{} failed", call, failure);
        }
        return status.withDescription(call + ": " + store.getMessage()).withCause(store);
    }

    /** The HTTP status for a failure's gRPC status: a full directory is 507, any other exhaustion 413. */
    static int http(Status status) {
        return switch (status.getCode()) {
            case OK -> HttpServletResponse.SC_OK;
            case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> HttpServletResponse.SC_BAD_REQUEST;
            case NOT_FOUND -> HttpServletResponse.SC_NOT_FOUND;
            case RESOURCE_EXHAUSTED -> StoreException.is(status.getCause(), StoreException.Kind.FULL)
                    ? 507 : HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE;
            case UNAUTHENTICATED -> HttpServletResponse.SC_UNAUTHORIZED;
            case PERMISSION_DENIED -> HttpServletResponse.SC_FORBIDDEN;
            case UNIMPLEMENTED -> HttpServletResponse.SC_NOT_IMPLEMENTED;
            case UNAVAILABLE -> HttpServletResponse.SC_SERVICE_UNAVAILABLE;
            default -> HttpServletResponse.SC_INTERNAL_SERVER_ERROR;
        };
    }
}
