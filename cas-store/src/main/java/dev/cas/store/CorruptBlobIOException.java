package dev.cas.store;

import java.io.IOException;

/**
 * A stored value found damaged while it was being streamed (as {@link CorruptBlobException} is for whole reads):
 * a stream cannot throw unchecked faults its callers would not expect, so this one is an IOException.
 */
public final class CorruptBlobIOException extends IOException {
    public CorruptBlobIOException(String message) {
        super(message);
    }

    public CorruptBlobIOException(String message, Throwable cause) {
        super(message, cause);
    }
}
