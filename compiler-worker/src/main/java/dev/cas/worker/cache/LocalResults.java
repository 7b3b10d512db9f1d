package dev.cas.worker.cache;

import dev.cas.store.Digest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Results in the machine's local cache: a manifest in its action store, the blobs in its verified store. Many keys
 * are read in parallel (each read is verified and decompressed), on the fork-join pool the caller runs in. A failing
 * cache is counted ({@link Stat#CACHE_ERRORS}) and answers a miss.
 */
public final class LocalResults implements ResultStore {
    private final LocalCache cache;

    public LocalResults(LocalCache cache) {
        this.cache = cache;
    }

    @Override
    public Map<Digest, Result> getAll(List<Digest> keys) {
        Map<Digest, Result> found = new ConcurrentHashMap<>();
        (keys.size() > 1 ? keys.parallelStream() : keys.stream())
                .forEach(key -> read(key).ifPresent(result -> found.put(key, result)));
        return found;
    }

    private Optional<Result> read(Digest key) {
        Optional<Result> pending = cache.pending(key);
        if (pending.isPresent()) {
            return pending;
        }
        try {
            Optional<UnitManifest> manifest = cache.actions().get(key).flatMap(UnitManifest::decode);
            if (manifest.isEmpty()) {
                return Optional.empty();
            }
            Map<Digest, byte[]> blobs = new HashMap<>();
            for (Digest digest : manifest.get().blobs()) {
                Optional<byte[]> blob = cache.blobs().get(digest);
                if (blob.isEmpty()) {
                    return Optional.empty();
                }
                blobs.put(digest, blob.get());
            }
            return Result.of(manifest.get(), blobs, false);
        } catch (RuntimeException e) {
            cache.failed("lookup of " + key, e);
            return Optional.empty();
        }
    }

    @Override
    public void put(Digest key, Result result) {
        try {
            cache.store(key, result.manifest(), result.blobs());
        } catch (RuntimeException e) {
            cache.failed("store of " + key, e);
        }
    }

    /** In the background: the build that found {@code result} elsewhere does not wait for the local write. */
    @Override
    public void keep(Digest key, Result result) {
        cache.keep(key, result);
    }

    /** In the background too, seen by lookups at once. */
    @Override
    public void putSoon(Digest key, Result result) {
        cache.keep(key, result);
    }
}
