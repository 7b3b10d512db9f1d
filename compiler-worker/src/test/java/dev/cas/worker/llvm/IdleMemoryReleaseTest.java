package dev.cas.worker.llvm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IdleMemoryReleaseTest {
    private static final long SETTLED_MILLIS = 10 * IdleMemoryRelease.IDLE_MILLIS;

    @Test
    void memoryIsHandedBackOnlyOnceIdleAfterWorkThatAllocatedMuch() throws Exception {
        try (IdleMemoryRelease memory = new IdleMemoryRelease()) {
            memory.unitStarted();
            memory.unitFinished(false); // a hit
            Thread.sleep(SETTLED_MILLIS);
            assertThat(memory.releases()).isZero();

            memory.unitStarted();
            memory.unitStarted();
            memory.unitFinished(true); // a miss, while another unit still compiles
            Thread.sleep(SETTLED_MILLIS);
            assertThat(memory.releases()).as("not while a unit compiles").isZero();
            memory.unitFinished(false);
            awaitReleases(memory, 1);

            memory.allocatedMuch(); // a split in the background
            awaitReleases(memory, 2);
            Thread.sleep(SETTLED_MILLIS);
            assertThat(memory.releases()).as("once per request").isEqualTo(2);
        }
    }

    private static void awaitReleases(IdleMemoryRelease memory, long expected) throws InterruptedException {
        long deadline = System.currentTimeMillis() + 10_000;
        while (memory.releases() < expected && System.currentTimeMillis() < deadline) {
            Thread.sleep(10);
        }
        assertThat(memory.releases()).isEqualTo(expected);
    }
}
