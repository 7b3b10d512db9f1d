package dev.cas.store;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The storage core every layer of the cache is built from: a map from {@link Digest} to bytes.
 * Used both as a content-addressed store (key = digest of the value, checked by {@link VerifyingBlobStore})
 * and as an action cache (key = digest of the action, opaque value), as bb-storage's BlobAccess is.
 * A miss is an empty Optional, never an exception; decorators add one concern each. Small values move as byte
 * arrays; large ones as streams ({@link #openRead}, {@link #openWrite}), which a store that keeps values in pieces
 * serves without ever holding one whole.
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

    default boolean contains(Digest digest) {
        return findMissing(List.of(digest)).isEmpty();
    }

    /**
     * The entry's value as a stream, for the caller to close. A fault found while reading (corrupt content) surfaces
     * as an IOException from the stream, before its end is reached.
     */
    default Optional<InputStream> openRead(Digest digest) {
        return get(digest).map(ByteArrayInputStream::new);
    }

    /** A writer whose bytes become the entry's value when it is committed; closing it uncommitted discards them. */
    default BlobWriter openWrite(Digest digest) {
        return new BufferedBlobWriter(value -> put(digest, value));
    }
}
