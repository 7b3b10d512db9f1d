package dev.cas.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The RocksDB leaf under the same stack the local cache uses (compressing), on a real database in a temp dir. */
class RocksDbBlobStoreTest extends BlobStoreContractTest {
    @TempDir
    Path dir;
    private RocksDbDatabase database;

    @Override
    protected BlobStore createStore() {
        database = RocksDbDatabase.open(dir.resolve("db"), 1L << 30, Clock.systemUTC());
        return new CompressingBlobStore(database.space(RocksDbDatabase.Space.CAS), 3);
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
            clock.now += 1_000;
            raw.put(Digest.of(values[i]), values[i]);
        }
        // 12 000 bytes > 10 000: the oldest entries go until at most 9 000 remain
        assertThat(raw.get(Digest.of(values[0]))).isEmpty();
        assertThat(raw.get(Digest.of(values[3]))).isPresent();
        assertThat(database.storedBytes()).isLessThanOrEqualTo(9_000);
        assertThat(database.evictions()).isPositive();

        clock.now += 1_000;
        raw.get(Digest.of(values[1])); // used again: now the newest
        byte[] fifth = new byte[3_000];
        fifth[0] = 5;
        clock.now += 1_000;
        raw.put(Digest.of(fifth), fifth);
        assertThat(raw.get(Digest.of(values[1]))).isPresent();
        assertThat(raw.get(Digest.of(values[2]))).isEmpty();
    }

    /** A clock the test moves by hand. */
    private static final class MutableClock extends Clock {
        long now = 1_000_000;

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(now);
        }

        @Override
        public long millis() {
            return now;
        }
    }
}
