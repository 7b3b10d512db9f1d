package dev.cas.store;

import it.unimi.dsi.fastutil.longs.Long2IntOpenHashMap;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The keys one space of the database holds, in memory, each as the first 64 bits of its hash with the minute it was
 * last used (12 bytes a key: 1M keys take ~24 MB). FindMissingBlobs of ten thousand digests and the last-use check
 * on every read answer from here instead of reading RocksDB's LRU records.
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

    private final Long2IntOpenHashMap lastUseMinute = new Long2IntOpenHashMap();
    private final ReadWriteLock lock = new ReentrantReadWriteLock();

    HeldKeys() {
        lastUseMinute.defaultReturnValue(ABSENT);
    }

    /** Records {@code hash} as held, last used at {@code millis}. */
    void held(String hash, long millis) {
        int minute = minute(millis);
        lock.writeLock().lock();
        try {
            lastUseMinute.put(prefix(hash), minute);
        } finally {
            lock.writeLock().unlock();
        }
    }

    void removed(String hash) {
        lock.writeLock().lock();
        try {
            lastUseMinute.remove(prefix(hash));
        } finally {
            lock.writeLock().unlock();
        }
    }

    void clear() {
        lock.writeLock().lock();
        try {
            lastUseMinute.clear();
            lastUseMinute.trim();
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** For each digest, the minute it was last used, or {@link #ABSENT}; one lock for the whole list. */
    int[] lastUseMinutes(List<Digest> digests) {
        long[] prefixes = new long[digests.size()];
        for (int i = 0; i < prefixes.length; i++) {
            prefixes[i] = prefix(digests.get(i).hash());
        }
        int[] minutes = new int[prefixes.length];
        lock.readLock().lock();
        try {
            for (int i = 0; i < prefixes.length; i++) {
                minutes[i] = lastUseMinute.get(prefixes[i]);
            }
        } finally {
            lock.readLock().unlock();
        }
        return minutes;
    }

    int lastUseMinute(String hash) {
        long prefix = prefix(hash);
        lock.readLock().lock();
        try {
            return lastUseMinute.get(prefix);
        } finally {
            lock.readLock().unlock();
        }
    }

    int size() {
        lock.readLock().lock();
        try {
            return lastUseMinute.size();
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
