package dev.cas.store;

import java.io.IOException;
import java.util.Optional;

/**
 * The one failure a store raises, saying what kind it is, so that a server can answer any handler's failure with one
 * translation (a bad write is the client's fault, a full directory a refusal, a damaged value a miss, a failing disk
 * the server's fault). Streams, which may fail only with IOExceptions, carry it as the cause of one
 * ({@link #asIOException()}); {@link #in(Throwable)} finds it either way.
 */
public final class StoreException extends RuntimeException {

    /** What went wrong, as a client should hear it. */
    public enum Kind {
        /** The write was wrong: its bytes do not match the digest it names, or are more than the digest declares. */
        REJECTED,
        /** The directory is at its bound and eviction has not made room yet: nothing of the write is kept. */
        FULL,
        /** A stored value was found damaged: it reads as a miss (the verifying layer removes it). */
        CORRUPT,
        /** A blob was read under its hash but another size: the request was wrong, not the store; a miss. */
        WRONG_SIZE,
        /** The medium under the store failed (RocksDB, the file system): the server's fault, maybe passing. */
        FAILED
    }

    private final Kind kind;

    private StoreException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public static StoreException rejected(String message) {
        return new StoreException(Kind.REJECTED, message, null);
    }

    public static StoreException full(String message, Throwable cause) {
        return new StoreException(Kind.FULL, message, cause);
    }

    public static StoreException corrupt(String message, Throwable cause) {
        return new StoreException(Kind.CORRUPT, message, cause);
    }

    public static StoreException wrongSize(String message) {
        return new StoreException(Kind.WRONG_SIZE, message, null);
    }

    public static StoreException failed(String message, Throwable cause) {
        return new StoreException(Kind.FAILED, message, cause);
    }

    public Kind kind() {
        return kind;
    }

    /** This failure as a stream reports it: an IOException with the same message, caused by this. */
    public IOException asIOException() {
        return new IOException(getMessage(), this);
    }

    /** The store failure behind {@code failure}, if one is in its chain of causes. */
    public static Optional<StoreException> in(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof StoreException store) {
                return Optional.of(store);
            }
        }
        return Optional.empty();
    }

    /** Whether {@code failure} is, or was caused by, a store failure of the given kind. */
    public static boolean is(Throwable failure, Kind wanted) {
        return in(failure).filter(store -> store.kind == wanted).isPresent();
    }
}
