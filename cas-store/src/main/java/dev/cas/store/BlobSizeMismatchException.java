package dev.cas.store;

import java.io.IOException;

/**
 * A blob was read under the right hash but the wrong size: the request was wrong, not the store, so it reads as a
 * miss and nothing is removed. Found only at the end of a stream, hence an IOException.
 */
public final class BlobSizeMismatchException extends IOException {
    public BlobSizeMismatchException(String message) {
        super(message);
    }
}
