package dev.cas.worker.cache;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class BackgroundStoresTest {
    @Test
    void aStoreWaitsWhileABuildRunsAndGoesOnWhenItEnds() throws Exception {
        AtomicBoolean building = new AtomicBoolean(true);
        CountDownLatch stored = new CountDownLatch(1);
        try (BackgroundStores stores = new BackgroundStores(1 << 20, building::get, Duration.ofMinutes(1))) {
            stores.submit(100, stored::countDown);
            assertThat(stored.await(300, TimeUnit.MILLISECONDS)).as("stored during the build").isFalse();
            building.set(false);
            stores.buildsEnded();
            assertThat(stored.await(5, TimeUnit.SECONDS)).as("stored once the build ended").isTrue();
        }
    }

    @Test
    void aStoreWaitsNoLongerThanItsPatience() throws Exception {
        CountDownLatch stored = new CountDownLatch(1);
        try (BackgroundStores stores = new BackgroundStores(1 << 20, () -> true, Duration.ofMillis(200))) {
            stores.submit(100, stored::countDown);
            assertThat(stored.await(5, TimeUnit.SECONDS)).as("stored though builds never end").isTrue();
        }
    }

    @Test
    void aDrainAndACloseDoNotWaitForTheBuilds() {
        AtomicBoolean first = new AtomicBoolean();
        AtomicBoolean second = new AtomicBoolean();
        long begin = System.nanoTime();
        try (BackgroundStores stores = new BackgroundStores(1 << 20, () -> true, Duration.ofMinutes(1))) {
            stores.submit(100, () -> first.set(true));
            stores.drain();
            assertThat(first).isTrue();
            stores.submit(100, () -> second.set(true));
        }
        assertThat(second).as("stored by the close").isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - begin)).isLessThan(Duration.ofSeconds(30));
    }

    @Test
    void theCallerStoresWhenTooMuchIsWaiting() {
        try (BackgroundStores stores = new BackgroundStores(1_000, () -> true, Duration.ofMinutes(1))) {
            AtomicBoolean first = new AtomicBoolean();
            AtomicBoolean second = new AtomicBoolean();
            stores.submit(800, () -> first.set(true));
            stores.submit(800, () -> second.set(true)); // over the bound: stored now, by this thread
            assertThat(first).isFalse();
            assertThat(second).isTrue();
        }
    }
}
