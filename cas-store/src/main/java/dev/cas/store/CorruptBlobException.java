package dev.cas.store;

/**
 * Thrown by a layer that finds a stored value it cannot decode. {@link VerifyingBlobStore} turns it into a miss
 * and removes the entry, so a corrupt value is never served.
 */
public class CorruptBlobException extends RuntimeException {
    public CorruptBlobException(String message, Throwable cause) {
        super(message, cause);
    }
}
