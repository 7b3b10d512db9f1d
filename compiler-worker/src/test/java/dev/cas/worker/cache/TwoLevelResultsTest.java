package dev.cas.worker.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cas.store.Digest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A far level's hits are kept in the near one without the lookup waiting for it, and none is lost: closing the near
 * cache (a worker's stop) or clearing it waits for what is queued. Both levels are real local caches (RocksDB in
 * temp directories); the far one stands where the server is in a build.
 */
class TwoLevelResultsTest {
    private static final int RESULTS = 200;

    @TempDir
    Path dir;

    private static Result result(int i, int repeat) {
        return Result.ofObject(("object " + i).repeat(repeat).getBytes(StandardCharsets.UTF_8), new byte[0], 1);
    }

    @Test
    void farHitsAreKeptInTheNearCacheAndSurviveItsClosing() {
        List<Digest> keys = new ArrayList<>();
        Path near = dir.resolve("near");
        try (LocalCache farCache = new LocalCache(dir.resolve("far"), 1L << 30, Clock.systemUTC())) {
            LocalResults far = new LocalResults(farCache);
            for (int i = 0; i < RESULTS; i++) {
                Digest key = Digest.of("key " + i);
                keys.add(key);
                far.put(key, result(i, 1_000));
            }
            try (LocalCache nearCache = new LocalCache(near, 1L << 30, Clock.systemUTC())) {
                Map<Digest, Result> found = new TwoLevelResults(new LocalResults(nearCache), far).getAll(keys);
                assertThat(found).hasSize(RESULTS);
            }
        }
        try (LocalCache reopened = new LocalCache(near, 1L << 30, Clock.systemUTC())) {
            Map<Digest, Result> kept = new LocalResults(reopened).getAll(keys);
            assertThat(kept).as("every hit kept before the cache closed").hasSize(RESULTS);
            assertThat(kept.get(keys.get(7)).onlyObject().orElseThrow())
                    .isEqualTo(result(7, 1_000).onlyObject().orElseThrow());
        }
    }

    @Test
    void aClearWaitsForTheHitsBeingKeptSoNoneComesBackAfterIt() {
        Digest key = Digest.of("key");
        try (LocalCache farCache = new LocalCache(dir.resolve("far"), 1L << 30, Clock.systemUTC());
                LocalCache nearCache = new LocalCache(dir.resolve("near"), 1L << 30, Clock.systemUTC())) {
            LocalResults far = new LocalResults(farCache);
            far.put(key, result(1, 100_000));
            new TwoLevelResults(new LocalResults(nearCache), far).getAll(List.of(key));
            nearCache.clear();
            assertThat(new LocalResults(nearCache).getAll(List.of(key))).isEmpty();
        }
    }
}
