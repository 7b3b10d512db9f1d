package dev.cas.worker;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.cas.store.Digest;
import java.util.Optional;

/**
 * The piece objects of recent builds, in memory and bounded by bytes. Rebuilding a unit after an edit needs every
 * other piece's object again; reading thousands of them back from the store (each verified and decompressed) costs
 * more than compiling the one that changed. Entries are the objects stored under those keys, so serving one is the
 * same as reading it from the store.
 */
final class RecentPieces {
    private final Cache<Digest, byte[]> objects;

    RecentPieces(long maxBytes) {
        this.objects = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((Digest key, byte[] object) -> object.length)
                .executor(Runnable::run)
                .build();
    }

    Optional<byte[]> get(Digest key) {
        return Optional.ofNullable(objects.getIfPresent(key));
    }

    void put(Digest key, byte[] object) {
        objects.put(key, object);
    }

    void clear() {
        objects.invalidateAll();
    }
}
