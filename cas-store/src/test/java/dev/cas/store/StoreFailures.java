package dev.cas.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.assertj.core.api.ThrowingConsumer;

/** Checks that a thrown failure is (or wraps, as streams do) a store failure of one kind. */
final class StoreFailures {
    private StoreFailures() {
    }

    static ThrowingConsumer<Throwable> failsAs(StoreException.Kind kind) {
        return thrown -> assertThat(StoreException.in(thrown)).as("the store failure behind %s", thrown)
                .map(StoreException::kind).contains(kind);
    }
}
