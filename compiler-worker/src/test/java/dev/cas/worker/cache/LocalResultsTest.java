package dev.cas.worker.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cas.store.Digest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A unit's result is put "soon": its build answers before the write, and a lookup meanwhile (the next command of a
 * {@code make}, the direct-mode record written right after) still finds it. Real RocksDB in a temp directory.
 */
class LocalResultsTest {
    /** Below LocalCache's patience (1 s): within it, a store queued during a build waits for the build. */
    private static final Duration WITHIN_PATIENCE = Duration.ofMillis(800);

    @TempDir
    Path dir;

    @Test
    void aResultPutSoonIsServedAtOnceAndWrittenAfterTheBuild() {
        Digest key = Digest.of("unit");
        byte[] object = "object ".repeat(10_000).getBytes(StandardCharsets.UTF_8);
        try (LocalCache cache = new LocalCache(dir, 1L << 30, Clock.systemUTC())) {
            LocalResults results = new LocalResults(cache);
            try (LocalCache.BuildRunning build = cache.buildRunning()) {
                long start = System.nanoTime();
                results.putSoon(key, Result.ofObject(object, new byte[0], 1));
                boolean written = cache.actions().get(key).isPresent();
                if (System.nanoTime() - start < WITHIN_PATIENCE.toNanos()) {
                    assertThat(written).as("written while the build that put it runs").isFalse();
                }
                assertThat(results.getAll(List.of(key))).as("served before it is written").containsKey(key);
                assertThat(results.get(key).orElseThrow().onlyObject()).contains(object);
            }
            assertThat(cache.stats().get(Stat.BYTES_STORED.key())).as("stats wait for the write").isPositive();
            assertThat(cache.actions().get(key)).isPresent();
        }
        try (LocalCache reopened = new LocalCache(dir, 1L << 30, Clock.systemUTC())) {
            assertThat(new LocalResults(reopened).get(key).orElseThrow().onlyObject()).contains(object);
        }
    }
}
