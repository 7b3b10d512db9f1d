package dev.cas.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksIterator;

/** The RocksDB leaf on its own (values as given, inline or in chunks), on a real database in a temp dir. */
class RocksDbBlobStoreTest extends BlobStoreContractTest {
    @TempDir
    Path dir;
    private RocksDbDatabase database;

    @Override
    protected BlobStore createStore() {
        database = RocksDbDatabase.open(dir.resolve("db"), 1L << 30, Clock.systemUTC());
        return database.space(RocksDbDatabase.Space.CAS);
    }

    @Override
    protected void closeStore() {
        database.close();
    }

    @Test
    void entriesAndCountersSurviveReopening() {
        byte[] value = bytes("durable");
        store.put(Digest.of(value), value);
        database.addToCounter("hits", 5);
        database.addToCounter("hits", 2);
        long size = database.storedBytes();
        database.close();
        database = RocksDbDatabase.open(dir.resolve("db"), 1L << 30, Clock.systemUTC());
        store = database.space(RocksDbDatabase.Space.CAS);
        assertThat(store.get(Digest.of(value))).isPresent();
        assertThat(database.counter("hits")).isEqualTo(7);
        assertThat(database.storedBytes()).isEqualTo(size).isPositive();
    }

    @Test
    void keySpacesAreSeparate() {
        Digest key = Digest.of("same key");
        database.space(RocksDbDatabase.Space.ACTIONS).put(key, bytes("manifest"));
        assertThat(database.space(RocksDbDatabase.Space.CAS).get(key)).isEmpty();
    }

    @Test
    void secondProcessOrHandleIsRefusedClearly() {
        assertThatThrownBy(() -> RocksDbDatabase.open(dir.resolve("db"), 1L << 30, Clock.systemUTC()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("cannot open the cache database");
    }

    @Test
    void evictsLeastRecentlyUsedEntriesUnderTheLimit() {
        database.close();
        MutableClock clock = new MutableClock();
        database = RocksDbDatabase.open(dir.resolve("lru"), 10_000, clock);
        BlobStore raw = database.space(RocksDbDatabase.Space.CAS);
        byte[][] values = new byte[4][];
        for (int i = 0; i < 4; i++) {
            values[i] = new byte[3_000];
            values[i][0] = (byte) i;
            clock.now += 2 * RocksDbSpaceStore.TOUCH_INTERVAL_MILLIS;
            raw.put(Digest.of(values[i]), values[i]);
        }
        // 12 000 bytes > 10 000: the oldest entries go until at most 9 000 remain
        assertThat(raw.get(Digest.of(values[0]))).isEmpty();
        assertThat(raw.get(Digest.of(values[3]))).isPresent();
        assertThat(database.storedBytes()).isLessThanOrEqualTo(9_000);
        assertThat(database.evictions()).isPositive();

        clock.now += 2 * RocksDbSpaceStore.TOUCH_INTERVAL_MILLIS;
        raw.get(Digest.of(values[1])); // used again: now the newest
        byte[] fifth = new byte[3_000];
        fifth[0] = 5;
        clock.now += 2 * RocksDbSpaceStore.TOUCH_INTERVAL_MILLIS;
        raw.put(Digest.of(fifth), fifth);
        assertThat(raw.get(Digest.of(values[1]))).isPresent();
        assertThat(raw.get(Digest.of(values[2]))).isEmpty();
    }

    @Test
    void valuesAroundTheChunkSizeReadBackExactly() throws IOException {
        int chunk = ChunkedValues.CHUNK_BYTES;
        for (int size : new int[] {chunk - 1, chunk, chunk + 1, 2 * chunk, 2 * chunk + 7}) {
            byte[] value = largeValue(size, size);
            Digest digest = Digest.of(value);
            try (BlobWriter writer = store.openWrite(digest)) {
                writeInPieces(writer, value);
                writer.commit();
            }
            try (InputStream in = store.openRead(digest).orElseThrow()) {
                assertThat(in.readAllBytes()).as("size %d", size).isEqualTo(value);
            }
        }
        assertThat(database.storedBytes()).isEqualTo(7L * chunk + 7);
    }

    @Test
    void aValueRemovedWhileItIsReadStillReadsWhole() throws IOException {
        byte[] value = largeValue(3 * ChunkedValues.CHUNK_BYTES + 5, 11);
        store.put(Digest.of(value), value);
        try (InputStream in = store.openRead(Digest.of(value)).orElseThrow()) {
            byte[] first = in.readNBytes(1000);
            store.delete(Digest.of(value));
            byte[] rest = in.readAllBytes();
            assertThat(first.length + rest.length).isEqualTo(value.length);
            assertThat(rest[rest.length - 1]).isEqualTo(value[value.length - 1]);
        }
        assertThat(store.get(Digest.of(value))).isEmpty();
        assertThat(chunkCount()).isZero();
        assertThat(database.storedBytes()).isZero();
    }

    @Test
    void replacingAChunkedValueFreesItsChunks() {
        Digest key = Digest.of("an action key");
        store.put(key, largeValue(3 * ChunkedValues.CHUNK_BYTES, 12));
        store.put(key, bytes("small now"));
        assertThat(chunkCount()).isZero();
        assertThat(database.storedBytes()).isEqualTo(9);
    }

    @Test
    void chunksOfAWriteCutShortAreRemovedOnReopen() throws IOException {
        byte[] value = largeValue(4 * ChunkedValues.CHUNK_BYTES, 13);
        BlobWriter abandoned = store.openWrite(Digest.of(value));
        abandoned.write(value); // never committed nor closed: as if the process had been killed here
        assertThat(chunkCount()).isEqualTo(3);
        byte[] kept = largeValue(2 * ChunkedValues.CHUNK_BYTES, 14);
        store.put(Digest.of(kept), kept);
        database.close();
        database = RocksDbDatabase.open(dir.resolve("db"), 1L << 30, Clock.systemUTC());
        store = database.space(RocksDbDatabase.Space.CAS);
        assertThat(chunkCount()).isEqualTo(2);
        assertThat(store.get(Digest.of(kept))).hasValueSatisfying(v -> assertThat(v).isEqualTo(kept));
        assertThat(store.contains(Digest.of(value))).isFalse();
    }

    @Test
    void evictionRemovesChunkedValuesWhole() {
        database.close();
        MutableClock clock = new MutableClock();
        database = RocksDbDatabase.open(dir.resolve("lru-chunks"), 5L * ChunkedValues.CHUNK_BYTES, clock);
        BlobStore raw = database.space(RocksDbDatabase.Space.CAS);
        byte[] old = largeValue(3 * ChunkedValues.CHUNK_BYTES, 15);
        raw.put(Digest.of(old), old);
        clock.now += 2 * RocksDbSpaceStore.TOUCH_INTERVAL_MILLIS;
        byte[] recent = largeValue(3 * ChunkedValues.CHUNK_BYTES, 16);
        raw.put(Digest.of(recent), recent);
        assertThat(raw.contains(Digest.of(old))).isFalse();
        assertThat(raw.get(Digest.of(recent))).isPresent();
        assertThat(chunkCount()).isEqualTo(3);
        assertThat(database.evictedBytes()).isEqualTo(3L * ChunkedValues.CHUNK_BYTES);
    }

    @Test
    void findMissingOfTenThousandDigestsReadsNoValues() {
        List<Digest> asked = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            byte[] value = bytes("blob " + i);
            if (i % 2 == 0) {
                store.put(Digest.of(value), value);
            }
            asked.add(Digest.of(value));
        }
        assertThat(store.findMissing(asked)).hasSize(5_000).allMatch(d -> asked.indexOf(d) % 2 == 1);
    }

    @Test
    void findMissingFollowsDeletesEvictionsAndReopening() {
        database.close();
        MutableClock clock = new MutableClock();
        database = RocksDbDatabase.open(dir.resolve("held"), 10_000, clock);
        BlobStore raw = database.space(RocksDbDatabase.Space.CAS);
        byte[][] values = new byte[4][];
        List<Digest> digests = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            values[i] = new byte[3_000];
            values[i][0] = (byte) i;
            digests.add(Digest.of(values[i]));
            clock.now += 2 * RocksDbSpaceStore.TOUCH_INTERVAL_MILLIS;
            raw.put(digests.get(i), values[i]);
        }
        raw.delete(digests.get(1));
        assertThat(raw.findMissing(digests)).containsExactly(digests.get(1));

        clock.now += 2 * RocksDbSpaceStore.TOUCH_INTERVAL_MILLIS;
        assertThat(raw.findMissing(List.of(digests.get(0)))).isEmpty(); // used again: now the newest
        values[3] = new byte[3_000];
        values[3][0] = 3;
        digests.add(Digest.of(values[3]));
        raw.put(digests.get(3), values[3]);
        raw.put(Digest.of(values[1]), values[1]); // 12 000 bytes: the least recently used (values[2]) goes
        assertThat(raw.findMissing(digests)).containsExactly(digests.get(2));
        assertThat(raw.contains(digests.get(2))).isFalse();

        database.close();
        database = RocksDbDatabase.open(dir.resolve("held"), 10_000, clock);
        raw = database.space(RocksDbDatabase.Space.CAS);
        assertThat(raw.findMissing(digests)).as("the index is rebuilt from the LRU records")
                .containsExactly(digests.get(2));
        assertThat(database.space(RocksDbDatabase.Space.ACTIONS).findMissing(digests)).hasSize(4);
        database.clear();
        assertThat(raw.findMissing(digests)).hasSize(4);
    }

    private long chunkCount() {
        long count = 0;
        try (RocksIterator it = database.db().newIterator(database.chunksFamily())) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                count++;
            }
        }
        return count;
    }
}
