package dev.cas.worker.remote;

/** The cache server could not be used for this call: down, slow, refusing, or answering with damaged data. */
public final class RemoteCacheException extends RuntimeException {
    public RemoteCacheException(String message) {
        super(message);
    }

    public RemoteCacheException(String message, Throwable cause) {
        super(message, cause);
    }
}
