package dev.cas.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Cache;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The server's stack with blobs kept in memory above verifying: everything the plain stack does (the inherited tests,
 * corrupt chunks and wrong sizes included), plus what the memory adds and must not break.
 */
class MemoryCachingBlobStoreTest extends ServerStackBlobStoreTest {
    private static final int MAX_VALUE_BYTES = 64 * 1024;
    private Cache<Digest, ?> values;

    @Override
    protected BlobStore aboveVerifying(BlobStore verified) {
        MemoryCachingBlobStore memory = new MemoryCachingBlobStore(verified, 1 << 20, MAX_VALUE_BYTES);
        values = memory.values();
        return memory;
    }

    private static byte[] random(int size, long seed) {
        byte[] value = new byte[size];
        new Random(seed).nextBytes(value);
        return value;
    }

    @Test
    void aSecondReadIsServedFromMemory() {
        byte[] value = random(4096, 1);
        store.put(Digest.of(value), value);
        assertThat(store.get(Digest.of(value))).hasValueSatisfying(v -> assertThat(v).isEqualTo(value));
        assertThat(store.get(Digest.of(value))).hasValueSatisfying(v -> assertThat(v).isEqualTo(value));
        assertThat(values.stats().missCount()).isEqualTo(1);
        assertThat(values.stats().hitCount()).isEqualTo(1);
    }

    @Test
    void aValueChangedInMemoryIsReadAgainNotServed() {
        byte[] value = random(4096, 4);
        Digest digest = Digest.of(value);
        store.put(digest, value);
        byte[] first = store.get(digest).orElseThrow();
        first[100] ^= 0x20; // a caller breaking the contract, or a flipped bit: the array is the one kept in memory
        assertThat(store.get(digest)).hasValueSatisfying(v -> assertThat(v).isEqualTo(value).isNotSameAs(first));
        assertThat(store.get(digest)).hasValueSatisfying(v -> assertThat(v).isEqualTo(value));
    }

    @Test
    void aValueDamagedAtRestWhileInMemoryIsNeverServedDamaged() throws Exception {
        byte[] value = random(4096, 5);
        Digest digest = Digest.of(value);
        store.put(digest, value);
        assertThat(store.get(digest)).isPresent();
        byte[] stored = raw.get(digest).orElseThrow();
        stored[stored.length / 2] ^= 0x55;
        raw.delete(digest);
        raw.put(digest, stored);
        assertThat(store.get(digest)).hasValueSatisfying(v -> assertThat(v).isEqualTo(value)); // the checked copy
        values.invalidateAll(); // as memory pressure does: the next read reaches the damaged value
        assertThat(store.get(digest)).isEmpty();
        assertThat(database.counter("corrupt")).isEqualTo(1);
        assertThat(store.findMissing(List.of(digest))).containsExactly(digest);
    }

    @Test
    void anEntryRemovedBelowIsNotServedFromMemory() {
        byte[] value = random(4096, 2);
        Digest digest = Digest.of(value);
        store.put(digest, value);
        assertThat(store.get(digest)).isPresent();
        raw.delete(digest); // as eviction does: in the leaf, past the memory
        assertThat(store.get(digest)).isEmpty();
        assertThat(values.getIfPresent(digest)).isNull();
        assertThat(store.findMissing(List.of(digest))).containsExactly(digest);
    }

    @Test
    void readsServedFromMemoryStillCountAsUseForEviction() {
        database.close();
        MutableClock clock = new MutableClock();
        store = stackOn(RocksDbDatabase.open(dir.resolve("lru"), 11_000, clock));
        byte[][] blobs = new byte[4][];
        for (int i = 0; i < blobs.length; i++) {
            blobs[i] = random(3_000, 10 + i); // incompressible: each weighs a little over 3 000 bytes below
        }
        store.put(Digest.of(blobs[0]), blobs[0]);
        clock.now += 2 * RocksDbSpaceStore.TOUCH_INTERVAL_MILLIS;
        assertThat(store.get(Digest.of(blobs[0]))).isPresent(); // read from disk, now in memory
        for (int i = 1; i <= 2; i++) {
            clock.now += 2 * RocksDbSpaceStore.TOUCH_INTERVAL_MILLIS;
            store.put(Digest.of(blobs[i]), blobs[i]);
        }
        clock.now += 2 * RocksDbSpaceStore.TOUCH_INTERVAL_MILLIS;
        assertThat(store.get(Digest.of(blobs[0]))).isPresent(); // from memory
        assertThat(values.stats().hitCount()).isEqualTo(1);
        clock.now += 2 * RocksDbSpaceStore.TOUCH_INTERVAL_MILLIS;
        store.put(Digest.of(blobs[3]), blobs[3]); // over 11 000 bytes: the least recently used goes
        assertThat(store.findMissing(List.of(Digest.of(blobs[0]), Digest.of(blobs[1]), Digest.of(blobs[2]),
                Digest.of(blobs[3])))).containsExactly(Digest.of(blobs[1]));
    }

    @Test
    void largerBlobsAreReadThroughAndNotKept() {
        byte[] value = random(MAX_VALUE_BYTES + 1, 3);
        store.put(Digest.of(value), value);
        assertThat(store.get(Digest.of(value))).hasValueSatisfying(v -> assertThat(v).isEqualTo(value));
        assertThat(values.estimatedSize()).isZero();
    }
}
