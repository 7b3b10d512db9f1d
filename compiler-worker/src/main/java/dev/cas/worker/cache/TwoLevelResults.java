package dev.cas.worker.cache;

import dev.cas.store.Digest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Two levels as one (bb-storage's read-caching blob access): a lookup asks the near level, then the far one for what
 * it missed, in one call, and keeps the far level's hits in the near one (without waiting for that:
 * {@link ResultStore#keep}); a put goes to both, near first.
 */
public final class TwoLevelResults implements ResultStore {
    private final ResultStore near;
    private final ResultStore far;

    public TwoLevelResults(ResultStore near, ResultStore far) {
        this.near = near;
        this.far = far;
    }

    @Override
    public Map<Digest, Result> getAll(List<Digest> keys) {
        Map<Digest, Result> found = new HashMap<>(near.getAll(keys));
        List<Digest> missing = keys.stream().filter(key -> !found.containsKey(key)).distinct().toList();
        if (!missing.isEmpty()) {
            far.getAll(missing).forEach((key, result) -> {
                near.keep(key, result.kept());
                found.put(key, result);
            });
        }
        return found;
    }

    @Override
    public void put(Digest key, Result result) {
        near.put(key, result);
        far.put(key, result);
    }

    @Override
    public void putSoon(Digest key, Result result) {
        near.putSoon(key, result);
        far.putSoon(key, result);
    }

    @Override
    public void keep(Digest key, Result result) {
        near.keep(key, result);
        far.keep(key, result);
    }
}
