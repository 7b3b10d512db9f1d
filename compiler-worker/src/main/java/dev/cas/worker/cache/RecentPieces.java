package dev.cas.worker.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.cas.store.Digest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The piece results of recent builds, in memory and bounded by bytes: the level in front of the local cache for
 * pieces. Rebuilding a unit after an edit needs every other piece's object again; reading thousands of them back
 * from the store (each verified and decompressed) costs more than compiling the one that changed. Entries are the
 * results stored under those keys, so serving one is the same as reading it from the store.
 */
final class RecentPieces implements ResultStore {
    private final Cache<Digest, Result> results;

    RecentPieces(long maxBytes) {
        this.results = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((Digest key, Result result) -> (int) Math.min(Integer.MAX_VALUE, result.weight()))
                .executor(Runnable::run)
                .build();
    }

    @Override
    public Map<Digest, Result> getAll(List<Digest> keys) {
        Map<Digest, Result> found = new HashMap<>();
        for (Digest key : keys) {
            Result result = results.getIfPresent(key);
            if (result != null) {
                found.put(key, result);
            }
        }
        return found;
    }

    @Override
    public void put(Digest key, Result result) {
        results.put(key, result);
    }

    void clear() {
        results.invalidateAll();
    }
}
