package dev.cas.worker.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cas.store.Digest;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The figures {@code cas-compile stats} reads are the ones the local cache keeps, under the same names. */
class LocalCacheStatsTest {
    @TempDir
    Path dir;

    @Test
    void everyCounterPersistsUnderItsKeyAndTheSizesComeWithThem() {
        try (LocalCache cache = new LocalCache(dir.resolve("cache"), 1L << 30, Clock.systemUTC())) {
            Stat[] counted = Arrays.stream(Stat.values()).filter(Stat::counted).toArray(Stat[]::new);
            for (int i = 0; i < counted.length; i++) {
                cache.count(counted[i], i + 1);
            }
            Map<String, Long> stats = cache.stats();
            for (int i = 0; i < counted.length; i++) {
                assertThat(counted[i].in(stats)).as(counted[i].key()).isEqualTo(i + 1);
            }
            assertThat(stats).containsKeys(Stat.BYTES_STORED.key(), Stat.BYTES_LIMIT.key(), Stat.EVICTIONS.key());
            assertThat(Stat.BYTES_LIMIT.in(stats)).isEqualTo(1L << 30);
            assertThat(stats.keySet()).doesNotHaveDuplicates().hasSize(counted.length + 3);
        }
    }

    @Test
    void aCacheIsEmptyUntilSomethingIsStoredAndAgainWhenCleared() {
        try (LocalCache cache = new LocalCache(dir.resolve("cache"), 1L << 30, Clock.systemUTC())) {
            assertThat(cache.isEmpty()).isTrue();
            cache.count(Stat.UNIT_HITS, 1);
            assertThat(cache.isEmpty()).as("counters are not entries").isTrue();
            byte[] object = "an object".getBytes();
            cache.blobs().put(Digest.of(object), object);
            assertThat(cache.isEmpty()).isFalse();
            cache.clear();
            assertThat(cache.isEmpty()).isTrue();
        }
        try (LocalCache reopened = new LocalCache(dir.resolve("cache"), 1L << 30, Clock.systemUTC())) {
            assertThat(reopened.isEmpty()).isTrue();
        }
    }
}
