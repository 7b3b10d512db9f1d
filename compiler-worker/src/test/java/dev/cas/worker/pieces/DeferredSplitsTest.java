package dev.cas.worker.pieces;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cas.worker.cache.LocalCache;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeferredSplitsTest {
    @TempDir
    Path dir;

    /**
     * A unit whose frontend ends just after the other unit of a {@code make -j2} build finished, before make has
     * started the next one, still counts as built beside others: split at once, it cost ~1 s on the critical path.
     */
    @Test
    void aUnitRightAfterAnotherFinishedStillCountsAsBuiltBesideOthers() {
        try (LocalCache cache = new LocalCache(dir.resolve("cache"), 1L << 30, Clock.systemUTC());
                DeferredSplits splits = new DeferredSplits(null, cache, dir.resolve("spool"), () -> { })) {
            splits.unitStarted();
            assertThat(splits.othersCompiling()).as("alone, in a fresh worker").isFalse();
            splits.unitStarted();
            assertThat(splits.othersCompiling()).as("with another unit compiling").isTrue();
            splits.unitFinished();
            assertThat(splits.othersCompiling()).as("the other just finished").isTrue();
            splits.unitFinished();
        }
    }

    /** A serial build ({@code make -j1}) never has two units at once: its units are split as they are built. */
    @Test
    void aSerialBuildNeverCountsAsParallel() {
        try (LocalCache cache = new LocalCache(dir.resolve("cache"), 1L << 30, Clock.systemUTC());
                DeferredSplits splits = new DeferredSplits(null, cache, dir.resolve("spool"), () -> { })) {
            for (int unit = 0; unit < 3; unit++) {
                splits.unitStarted();
                assertThat(splits.othersCompiling()).isFalse();
                splits.unitFinished();
            }
        }
    }
}
