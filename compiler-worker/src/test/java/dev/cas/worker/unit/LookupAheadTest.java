package dev.cas.worker.unit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cas.store.Digest;
import dev.cas.worker.cache.Result;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

class LookupAheadTest {
    private static final Digest NEWEST = Digest.of("newest record's unit");
    private static final Digest OLDER = Digest.of("older record's unit");

    private final List<Digest> asked = new CopyOnWriteArrayList<>();

    private Optional<Result> lookup(Digest key) {
        asked.add(key);
        return Optional.of(Result.ofObject(key.hash().getBytes(StandardCharsets.UTF_8), new byte[0], 0));
    }

    @Test
    void theKeyLookedUpAheadIsServedByThatLookupAlone() {
        CountDownLatch released = new CountDownLatch(1);
        LookupAhead lookups = new LookupAhead(key -> {
            await(released); // still running while the caller goes on: the check of the record's files
            return lookup(key);
        });
        lookups.start(NEWEST);
        released.countDown();

        Optional<Result> result = lookups.get(NEWEST);

        assertThat(result.flatMap(Result::onlyObject)).hasValueSatisfying(
                object -> assertThat(new String(object, StandardCharsets.UTF_8)).isEqualTo(NEWEST.hash()));
        assertThat(asked).containsExactly(NEWEST);
    }

    @Test
    void anotherKeyIsLookedUpWhenAsked() throws Exception {
        LookupAhead lookups = new LookupAhead(this::lookup);
        lookups.start(NEWEST);
        lookups.start(OLDER); // one lookup ahead only

        assertThat(lookups.get(OLDER)).isPresent();
        waitUntil(() -> asked.size() == 2);
        assertThat(asked).containsExactlyInAnyOrder(NEWEST, OLDER);
    }

    @Test
    void withNothingStartedEveryKeyIsLookedUpWhenAsked() {
        LookupAhead lookups = new LookupAhead(this::lookup);

        assertThat(lookups.get(NEWEST)).isPresent();
        assertThat(asked).containsExactly(NEWEST);
    }

    @Test
    void aFailingLookupAheadFailsAsTheLookupItself() {
        LookupAhead lookups = new LookupAhead(key -> {
            throw new IllegalStateException("cache unreadable");
        });
        lookups.start(NEWEST);

        assertThatThrownBy(() -> lookups.get(NEWEST)).isInstanceOf(IllegalStateException.class)
                .hasMessage("cache unreadable");
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(10, TimeUnit.SECONDS)).isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void waitUntil(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
    }
}
