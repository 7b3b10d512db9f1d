package dev.cas.store;

/**
 * A write refused because the cache's directory is at its bound and eviction has not made room yet: servers answer
 * it as {@code RESOURCE_EXHAUSTED} / HTTP 507, and reads go on. Nothing of the refused write is kept.
 */
public class StorageFullException extends IllegalStateException {
    public StorageFullException(String message) {
        super(message);
    }
}
