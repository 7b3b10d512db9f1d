package dev.cas.worker.cache;

import dev.cas.store.Digest;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where compiles look for results before compiling and put what they compiled, by key: memory, the local cache,
 * the build's remote level, or levels composed ({@link TwoLevelResults}). A cache failure never fails a build: a
 * level that fails answers a miss and drops a put.
 */
public interface ResultStore {

    /** The results held for {@code keys}; a key not in the answer is a miss. */
    Map<Digest, Result> getAll(List<Digest> keys);

    default Optional<Result> get(Digest key) {
        return Optional.ofNullable(getAll(List.of(key)).get(key));
    }

    void put(Digest key, Result result);

    /**
     * Puts a result without making the caller wait for the write, where this level can: lookups here see it at once,
     * the write follows (a unit's object, so that its build answers first).
     */
    default void putSoon(Digest key, Result result) {
        put(key, result);
    }

    /**
     * Holds a result that another level found, so that this level serves it next time; unlike {@link #put}, it may
     * be stored after this returns.
     */
    default void keep(Digest key, Result result) {
        put(key, result);
    }
}
