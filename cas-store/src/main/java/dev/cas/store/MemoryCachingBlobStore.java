package dev.cas.store;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.InputStream;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Keeps recently read small blobs in memory in front of a store whose every read costs a database lookup and a
 * decompression (the server's RocksDB and zstd): the hot part of a build's outputs is then served from the heap.
 * <p>
 * Meant for content-addressed spaces, where a key's value never changes; it goes below {@link VerifyingBlobStore}, so
 * a value served from memory is still checked against its digest. Before serving a value it holds, it asks the store
 * below whether the entry is still there ({@link BlobStore#findMissing}, an in-memory index lookup in the RocksDB
 * leaf, which also refreshes the entry's last use): an entry deleted or evicted below is never served from here, and a
 * blob read often is not evicted below for want of reads reaching it. Arrays it returns are shared with later readers:
 * callers must not modify them.
 */
public final class MemoryCachingBlobStore implements BlobStore {
    /** Roughly what an entry costs besides its bytes (key, digest, map node), for the weight bound. */
    private static final int ENTRY_OVERHEAD_BYTES = 160;

    private final BlobStore delegate;
    private final Cache<Digest, byte[]> values;
    private final long maxValueBytes;

    /** {@code values} as made by {@link #newCache}; blobs larger than {@code maxValueBytes} are never kept. */
    public MemoryCachingBlobStore(BlobStore delegate, Cache<Digest, byte[]> values, long maxValueBytes) {
        this.delegate = delegate;
        this.values = values;
        this.maxValueBytes = maxValueBytes;
    }

    /** A cache of at most {@code maxBytes} (values and their bookkeeping), recording hit and miss counts. */
    public static Cache<Digest, byte[]> newCache(long maxBytes) {
        return Caffeine.newBuilder().maximumWeight(maxBytes)
                .weigher((Digest digest, byte[] value) -> value.length + ENTRY_OVERHEAD_BYTES)
                .recordStats()
                .build();
    }

    @Override
    public Optional<byte[]> get(Digest digest) {
        byte[] held = values.getIfPresent(digest);
        if (held != null) {
            if (delegate.findMissing(List.of(digest)).isEmpty()) {
                return Optional.of(held);
            }
            values.invalidate(digest);
            return Optional.empty();
        }
        Optional<byte[]> value = delegate.get(digest);
        if (value.isPresent() && value.get().length <= maxValueBytes) {
            values.put(digest, value.get());
        }
        return value;
    }

    @Override
    public void put(Digest digest, byte[] value) {
        delegate.put(digest, value);
    }

    @Override
    public void delete(Digest digest) {
        values.invalidate(digest);
        delegate.delete(digest);
    }

    @Override
    public Set<Digest> findMissing(Collection<Digest> digests) {
        return delegate.findMissing(digests);
    }

    @Override
    public boolean contains(Digest digest) {
        return delegate.contains(digest);
    }

    /** Small blobs are read whole (and so kept); larger ones stream from the store below. */
    @Override
    public Optional<InputStream> openRead(Digest digest) {
        if (digest.size() > 0 && digest.size() <= maxValueBytes) {
            return get(digest).map(java.io.ByteArrayInputStream::new);
        }
        return delegate.openRead(digest);
    }

    @Override
    public BlobWriter openWrite(Digest digest) {
        return delegate.openWrite(digest);
    }
}
