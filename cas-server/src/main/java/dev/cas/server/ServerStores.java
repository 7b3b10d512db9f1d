package dev.cas.server;

import dev.cas.store.BlobStore;
import dev.cas.store.CompressingBlobStore;
import dev.cas.store.MemoryCachingBlobStore;
import dev.cas.store.MeteredBlobStore;
import dev.cas.store.RocksDbDatabase;
import dev.cas.store.VerifyingBlobStore;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import java.time.Clock;
import java.util.function.ToLongFunction;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The server's stores, composed from cas-store's parts: one RocksDB database (size-bounded, LRU eviction) holding a
 * content-addressed space (zstd at rest, every write and read checked against the digest, small blobs also kept
 * in memory, metered) and an action space (zstd at rest, metered), plus the database's own figures as Prometheus
 * meters.
 */
@Configuration(proxyBeanMethods = false)
public class ServerStores {
    private static final int ZSTD_LEVEL = 3;
    /** Blobs up to this size may be kept in memory: small outputs and headers are read most often. */
    private static final long MEMORY_CACHE_MAX_BLOB_BYTES = 256 * 1024;
    static final String CORRUPT_REMOVED = "corrupt.removed";

    /**
     * The content-addressed blobs (by digest; small ones also from memory), the size a held blob was stored under by
     * its hash (-1 when unknown; HTTP clients name blobs by hash alone), and the action results and opaque entries.
     * gRPC and HTTP both read and write through these same two stacks.
     */
    public record Stores(BlobStore cas, ToLongFunction<String> declaredSizes, BlobStore actions) {
    }

    /** Closed by Spring after the gRPC server has stopped (it depends on this bean). */
    @Bean(destroyMethod = "close")
    RocksDbDatabase database(CasServerProperties properties) {
        return RocksDbDatabase.open(properties.storage().path(), properties.storage().limits(), Clock.systemUTC());
    }

    /**
     * The blobs: every write and read checked against the digest, then metered. The memory cache sits above the check
     * (it keeps only checked values, each guarded by a CRC32C: a hit costs no SHA-256) and below the meters (a hit
     * counts as a hit, its bytes as bytes read).
     */
    @Bean
    Stores stores(RocksDbDatabase database, CasServerProperties properties, MeterRegistry meters) {
        BlobStore compressed = new CompressingBlobStore(database.space(RocksDbDatabase.Space.CAS), ZSTD_LEVEL);
        BlobStore checked = new VerifyingBlobStore(compressed, corrupt -> database.addToCounter(CORRUPT_REMOVED, 1));
        BlobStore served = checked;
        long memoryBytes = properties.storage().memoryCacheSize().toBytes();
        if (memoryBytes > 0) {
            MemoryCachingBlobStore hot = new MemoryCachingBlobStore(checked, memoryBytes, MEMORY_CACHE_MAX_BLOB_BYTES);
            CaffeineCacheMetrics.monitor(meters, hot.values(), "cas.memory");
            served = hot;
        }
        BlobStore cas = new MeteredBlobStore(served, "cas", meters);
        BlobStore actions = new MeteredBlobStore(
                new CompressingBlobStore(database.space(RocksDbDatabase.Space.ACTIONS), ZSTD_LEVEL), "actions", meters);
        return new Stores(cas, hash -> database.declaredSize(RocksDbDatabase.Space.CAS, hash), actions);
    }

    /** Size, limits, disk use, evictions and corrupt entries removed, read from the database at each scrape. */
    @Bean
    MeterBinder storageMeters(RocksDbDatabase database) {
        return registry -> {
            Gauge.builder("cas.storage.stored", database, RocksDbDatabase::storedBytes).baseUnit("bytes")
                    .description("Bytes held (compressed), as eviction counts them").register(registry);
            Gauge.builder("cas.storage.limit", database, RocksDbDatabase::maxSizeBytes).baseUnit("bytes")
                    .description("cas.storage.max-size: the bound on the data directory").register(registry);
            Gauge.builder("cas.storage.values.limit", database, RocksDbDatabase::dataLimitBytes).baseUnit("bytes")
                    .description("What max-size leaves the values after RocksDB's logs and temporaries")
                    .register(registry);
            Gauge.builder("cas.storage.disk", database, RocksDbDatabase::diskBytes).baseUnit("bytes")
                    .description("The data directory on disk").register(registry);
            FunctionCounter.builder("cas.storage.evictions", database, RocksDbDatabase::evictions)
                    .description("Entries evicted to stay under the limit").register(registry);
            FunctionCounter.builder("cas.storage.evicted", database, RocksDbDatabase::evictedBytes).baseUnit("bytes")
                    .description("Bytes evicted to stay under the limit").register(registry);
            FunctionCounter.builder("cas.storage.corrupt.removed", database, db -> db.counter(CORRUPT_REMOVED))
                    .description("Entries found damaged at rest and removed").register(registry);
        };
    }
}
