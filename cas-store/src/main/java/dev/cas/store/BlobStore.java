package dev.cas.store;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * The storage core every layer of the cache is built from: a map from {@link Digest} to bytes.
 * Used both as a content-addressed store (key = digest of the value, checked by {@link VerifyingBlobStore})
 * and as an action cache (key = digest of the action, opaque value), as bb-storage's BlobAccess is.
 * A miss is an empty Optional, never an exception; decorators add one concern each.
 */
public interface BlobStore {

    Optional<byte[]> get(Digest digest);

    void put(Digest digest, byte[] value);

    /** Removes an entry; absent entries are ignored. */
    void delete(Digest digest);

    /** The subset of {@code digests} this store does not hold. */
    default Set<Digest> findMissing(Collection<Digest> digests) {
        Set<Digest> missing = new LinkedHashSet<>();
        for (Digest digest : digests) {
            if (get(digest).isEmpty()) {
                missing.add(digest);
            }
        }
        return missing;
    }
}
