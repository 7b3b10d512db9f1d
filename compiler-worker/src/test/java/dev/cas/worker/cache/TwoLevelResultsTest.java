package dev.cas.worker.cache;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cas.store.Digest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A far level's hits are kept in the local cache without the build waiting for it, and none is lost: a stop
 * (closing the cache) or a clear waits for what is queued.
 */
class TwoLevelResultsTest {
    private static final int RESULTS = 200;

    @TempDir
    Path dir;

    /** A far level that holds results and records what it is asked to keep or store. */
    private static final class Far implements ResultStore {
        final Map<Digest, Result> held = new HashMap<>();
        final List<Digest> stored = new ArrayList<>();

        @Override
        public Map<Digest, Result> getAll(List<Digest> keys) {
            Map<Digest, Result> found = new HashMap<>();
            keys.forEach(key -> {
                if (held.containsKey(key)) {
                    found.put(key, held.get(key));
                }
            });
            return found;
        }

        @Override
        public void put(Digest key, Result result) {
            stored.add(key);
        }
    }

    @Test
    void farHitsAreKeptInTheLocalCacheAndSurviveItsClosing() {
        Far far = new Far();
        List<Digest> keys = new ArrayList<>();
        for (int i = 0; i < RESULTS; i++) {
            Digest key = Digest.of("key " + i);
            keys.add(key);
            far.held.put(key, Result.ofObject(("object " + i).repeat(1_000).getBytes(StandardCharsets.UTF_8),
                    new byte[0], 1));
        }
        Path directory = dir.resolve("cache");
        try (LocalCache cache = new LocalCache(directory, 1L << 30, Clock.systemUTC())) {
            Map<Digest, Result> found = new TwoLevelResults(new LocalResults(cache), far).getAll(keys);
            assertThat(found).hasSize(RESULTS);
        }
        assertThat(far.stored).as("keeping a far hit is no put: nothing goes back to where it came from").isEmpty();
        try (LocalCache reopened = new LocalCache(directory, 1L << 30, Clock.systemUTC())) {
            Map<Digest, Result> local = new LocalResults(reopened).getAll(keys);
            assertThat(local).as("every hit kept before the cache closed").hasSize(RESULTS);
            assertThat(local.get(keys.get(7)).onlyObject().orElseThrow())
                    .isEqualTo(far.held.get(keys.get(7)).onlyObject().orElseThrow());
        }
    }

    @Test
    void aClearWaitsForTheHitsBeingKeptSoNoneComesBackAfterIt() {
        Far far = new Far();
        Digest key = Digest.of("key");
        far.held.put(key, Result.ofObject("object".repeat(100_000).getBytes(StandardCharsets.UTF_8), new byte[0], 1));
        try (LocalCache cache = new LocalCache(dir.resolve("cache"), 1L << 30, Clock.systemUTC())) {
            new TwoLevelResults(new LocalResults(cache), far).getAll(List.of(key));
            cache.clear();
            assertThat(new LocalResults(cache).getAll(List.of(key))).isEmpty();
        }
    }
}
