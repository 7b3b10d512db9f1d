package dev.cas.store;

import it.unimi.dsi.fastutil.longs.Long2LongOpenHashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The keys one space of the database holds, in memory, each as the first 64 bits of its hash with the minute it was
 * last used and the size its digest declares, packed in one long (16 bytes a key: 1M keys take ~32 MB).
 * FindMissingBlobs of ten thousand digests and the last-use check on every read answer from here instead of reading
 * RocksDB's LRU records. A digest is (hash, size): asked with another size, a held hash reads as missing, and so does
 * an entry written before sizes were recorded (the client uploads it again, which records its size).
 * <p>
 * Its answers err only one way that matters. A key absent here is not held (every commit adds its key before the
 * commit returns; removals drop it after RocksDB has). A key present here is held unless another held key shares
 * its first 64 bits and was removed meanwhile (then this one reads as missing: a client uploads it again) or an
 * unheld key shares them with a held one (odds about n / 2^64 per lookup, 5e-14 with a million keys): a blob then
 * reads as held though it is not, which costs a cache miss later, never a wrong result, since reads are verified.
 */
final class HeldKeys {
    /** Returned by {@link #lastUseMinutes} for a key not held. */
    static final int ABSENT = -1;
    /** A size an entry written before sizes were recorded has: it matches no digest. */
    static final long UNKNOWN_SIZE = -1;
    private static final int SIZE_BITS = 38; // 256 GiB; the minute takes the 26 bits above (until the year 2097)
    private static final long SIZE_MASK = (1L << SIZE_BITS) - 1;
    private static final long ABSENT_VALUE = -1L;

    private final Long2LongOpenHashMap entries = new Long2LongOpenHashMap();
    private final ReadWriteLock lock = new ReentrantReadWriteLock();

    HeldKeys() {
        entries.defaultReturnValue(ABSENT_VALUE);
    }

    /** Records {@code hash} as held with the size its digest declares ({@link #UNKNOWN_SIZE}), used at {@code millis}. */
    void held(String hash, long size, long millis) {
        long value = ((long) minute(millis) << SIZE_BITS) | (size < 0 || size >= SIZE_MASK ? SIZE_MASK : size);
        lock.writeLock().lock();
        try {
            entries.put(prefix(hash), value);
        } finally {
            lock.writeLock().unlock();
        }
    }

    void removed(String hash) {
        lock.writeLock().lock();
        try {
            entries.remove(prefix(hash));
        } finally {
            lock.writeLock().unlock();
        }
    }

    void clear() {
        lock.writeLock().lock();
        try {
            entries.clear();
            entries.trim();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * For each digest, the minute it was last used, or {@link #ABSENT} when its hash is not held or is held with
     * another size; one lock for the whole list.
     */
    int[] lastUseMinutes(List<Digest> digests) {
        long[] prefixes = new long[digests.size()];
        for (int i = 0; i < prefixes.length; i++) {
            prefixes[i] = prefix(digests.get(i).hash());
        }
        long[] values = new long[prefixes.length];
        lock.readLock().lock();
        try {
            for (int i = 0; i < prefixes.length; i++) {
                values[i] = entries.get(prefixes[i]);
            }
        } finally {
            lock.readLock().unlock();
        }
        int[] minutes = new int[prefixes.length];
        for (int i = 0; i < values.length; i++) {
            boolean sameSize = values[i] != ABSENT_VALUE && (values[i] & SIZE_MASK) == digests.get(i).size();
            minutes[i] = sameSize ? (int) (values[i] >>> SIZE_BITS) : ABSENT;
        }
        return minutes;
    }

    /** The minute {@code hash} was last used, whatever its size, or {@link #ABSENT}. */
    int lastUseMinute(String hash) {
        long value = valueOf(hash);
        return value == ABSENT_VALUE ? ABSENT : (int) (value >>> SIZE_BITS);
    }

    /**
     * The size the digest of {@code hash} declared when it was stored, or {@link #UNKNOWN_SIZE} when it is not held (or
     * was stored before sizes were recorded). A key sharing the hash's 64-bit prefix may answer instead: callers
     * read with the size and find nothing when it is not the blob's.
     */
    long declaredSize(String hash) {
        long value = valueOf(hash);
        long size = value & SIZE_MASK;
        return value == ABSENT_VALUE || size == SIZE_MASK ? UNKNOWN_SIZE : size;
    }

    /** The packed minute and size kept for {@code hash}'s prefix, or {@link #ABSENT_VALUE}. */
    private long valueOf(String hash) {
        long prefix = prefix(hash);
        lock.readLock().lock();
        try {
            return entries.get(prefix);
        } finally {
            lock.readLock().unlock();
        }
    }

    int size() {
        lock.readLock().lock();
        try {
            return entries.size();
        } finally {
            lock.readLock().unlock();
        }
    }

    static int minute(long millis) {
        return (int) TimeUnit.MILLISECONDS.toMinutes(millis);
    }

    /** The first 16 hex digits of a SHA-256 hex hash (validated by {@link Digest}) as a long. */
    private static long prefix(String hash) {
        return Long.parseUnsignedLong(hash, 0, 16, 16);
    }
}
