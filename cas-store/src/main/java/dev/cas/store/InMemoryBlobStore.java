package dev.cas.store;

import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/** A store in a map: the leaf that decorator tests wrap, so they exercise the decorator and nothing else. */
public final class InMemoryBlobStore implements BlobStore {
    private final ConcurrentMap<Digest, byte[]> entries = new ConcurrentHashMap<>();

    @Override
    public Optional<byte[]> get(Digest digest) {
        return Optional.ofNullable(entries.get(digest)).map(byte[]::clone);
    }

    @Override
    public void put(Digest digest, byte[] value) {
        entries.put(digest, value.clone());
    }

    @Override
    public void delete(Digest digest) {
        entries.remove(digest);
    }
}
