package dev.cas.store;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.zip.CRC32C;

/**
 * Keeps recently read small blobs in memory in front of a store whose every read costs a database lookup, a
 * decompression and a SHA-256 (the server's verified RocksDB and zstd stack): the hot part of a build's outputs is then
 * served from the heap.
 * <p>
 * Meant for content-addressed spaces, where a key's value never changes, and to go above {@link VerifyingBlobStore}:
 * it keeps only values the store below returned, so only values checked against their digest. Each is kept with the
 * CRC32C of its bytes, checked again on every hit (a few percent of a SHA-256's cost), so a value changed in memory is
 * dropped and read again rather than served. Before serving a value it holds, it asks the store below whether the
 * entry is still there ({@link BlobStore#findMissing}, an in-memory index lookup in the RocksDB leaf, which also
 * refreshes the entry's last use): an entry deleted or evicted below is never served from here, and a blob read often
 * is not evicted below for want of reads reaching it. Arrays it returns are shared with later readers: callers must
 * not modify them.
 */
public final class MemoryCachingBlobStore implements BlobStore {
    /** Roughly what an entry costs besides its bytes (key, digest, map node, the entry), for the weight bound. */
    private static final int ENTRY_OVERHEAD_BYTES = 180;

    private final BlobStore delegate;
    private final Cache<Digest, Held> values;
    private final long maxValueBytes;

    /** A value as kept, with the CRC32C its bytes had when it came from the store below. */
    private record Held(byte[] bytes, int crc32c) {
        static Held of(byte[] bytes) {
            return new Held(bytes, crc32c(bytes));
        }

        boolean intact() {
            return crc32c(bytes) == crc32c;
        }

        private static int crc32c(byte[] bytes) {
            CRC32C crc = new CRC32C();
            crc.update(bytes);
            return (int) crc.getValue();
        }
    }

    /**
     * Keeps at most {@code maxBytes} (values and their bookkeeping); blobs larger than {@code maxValueBytes} are
     * never kept.
     */
    public MemoryCachingBlobStore(BlobStore delegate, long maxBytes, long maxValueBytes) {
        this.delegate = delegate;
        this.values = Caffeine.newBuilder().maximumWeight(maxBytes)
                .weigher((Digest digest, Held held) -> held.bytes().length + ENTRY_OVERHEAD_BYTES)
                .recordStats()
                .build();
        this.maxValueBytes = maxValueBytes;
    }

    /** The values kept, with their hit and miss counts, for metrics. */
    public Cache<Digest, ?> values() {
        return values;
    }

    @Override
    public Optional<byte[]> get(Digest digest) {
        Held held = values.getIfPresent(digest);
        if (held != null) {
            if (held.intact() && delegate.findMissing(List.of(digest)).isEmpty()) {
                return Optional.of(held.bytes());
            }
            values.invalidate(digest);
        }
        Optional<byte[]> value = delegate.get(digest);
        if (value.isPresent() && value.get().length <= maxValueBytes) {
            values.put(digest, Held.of(value.get()));
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
            return get(digest).map(ByteArrayInputStream::new);
        }
        return delegate.openRead(digest);
    }

    @Override
    public BlobWriter openWrite(Digest digest) {
        return delegate.openWrite(digest);
    }
}
