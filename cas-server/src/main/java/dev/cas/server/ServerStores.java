package dev.cas.server;

import com.github.benmanes.caffeine.cache.Cache;
import dev.cas.store.BlobStore;
import dev.cas.store.CompressingBlobStore;
import dev.cas.store.Digest;
import dev.cas.store.MemoryCachingBlobStore;
import dev.cas.store.RocksDbDatabase;
import dev.cas.store.VerifyingBlobStore;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import java.time.Clock;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The server's stores, composed from cas-store's parts: one RocksDB database (size-bounded, LRU eviction) holding a
 * content-addressed space (zstd at rest, small blobs also kept in memory, metered, every write and read checked
 * against the digest) and an action space (zstd at rest, metered), plus the database's own figures as Prometheus
 * meters.
 */
@Configuration(proxyBeanMethods = false)
public class ServerStores {
    private static final int ZSTD_LEVEL = 3;
    /** Blobs up to this size may be kept in memory: small outputs and headers are read most often. */
    private static final long MEMORY_CACHE_MAX_BLOB_BYTES = 256 * 1024;
    static final String CORRUPT_REMOVED = "corrupt.removed";

    /** The content-addressed blobs (verified; readable by hash alone for HTTP), the action results and opaque entries. */
    public record Stores(VerifyingBlobStore cas, BlobStore actions) {
    }

    /** Closed by Spring after the gRPC server has stopped (it depends on this bean). */
    @Bean(destroyMethod = "close")
    RocksDbDatabase database(CasServerProperties properties) {
        return RocksDbDatabase.open(properties.storage().path(), properties.storage().maxSize().toBytes(),
                Clock.systemUTC());
    }

    @Bean
    Stores stores(RocksDbDatabase database, CasServerProperties properties, MeterRegistry meters) {
        BlobStore compressed = new CompressingBlobStore(database.space(RocksDbDatabase.Space.CAS), ZSTD_LEVEL);
        long memoryBytes = properties.storage().memoryCacheSize().toBytes();
        if (memoryBytes > 0) {
            Cache<Digest, byte[]> hot = MemoryCachingBlobStore.newCache(memoryBytes);
            CaffeineCacheMetrics.monitor(meters, hot, "cas.memory");
            compressed = new MemoryCachingBlobStore(compressed, hot, MEMORY_CACHE_MAX_BLOB_BYTES);
        }
        BlobStore content = new MeteredBlobStore(compressed, "cas", meters);
        VerifyingBlobStore cas = new VerifyingBlobStore(content, corrupt -> database.addToCounter(CORRUPT_REMOVED, 1));
        BlobStore actions = new MeteredBlobStore(
                new CompressingBlobStore(database.space(RocksDbDatabase.Space.ACTIONS), ZSTD_LEVEL), "actions", meters);
        return new Stores(cas, actions);
    }

    /** Size, limit, disk use, evictions and corrupt entries removed, read from the database at each scrape. */
    @Bean
    MeterBinder storageMeters(RocksDbDatabase database) {
        return registry -> {
            Gauge.builder("cas.storage.stored", database, RocksDbDatabase::storedBytes).baseUnit("bytes")
                    .description("Bytes held (compressed), as eviction counts them").register(registry);
            Gauge.builder("cas.storage.limit", database, RocksDbDatabase::maxSizeBytes).baseUnit("bytes")
                    .description("cas.storage.max-size").register(registry);
            Gauge.builder("cas.storage.disk", database, RocksDbDatabase::diskBytes).baseUnit("bytes")
                    .description("RocksDB files and memtables").register(registry);
            FunctionCounter.builder("cas.storage.evictions", database, RocksDbDatabase::evictions)
                    .description("Entries evicted to stay under the limit").register(registry);
            FunctionCounter.builder("cas.storage.evicted", database, RocksDbDatabase::evictedBytes).baseUnit("bytes")
                    .description("Bytes evicted to stay under the limit").register(registry);
            FunctionCounter.builder("cas.storage.corrupt.removed", database, db -> db.counter(CORRUPT_REMOVED))
                    .description("Entries found damaged at rest and removed").register(registry);
        };
    }
}
