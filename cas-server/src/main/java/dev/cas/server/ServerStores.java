package dev.cas.server;

import dev.cas.store.BlobStore;
import dev.cas.store.CompressingBlobStore;
import dev.cas.store.RocksDbDatabase;
import dev.cas.store.VerifyingBlobStore;
import java.time.Clock;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The server's stores, composed from cas-store's parts: one RocksDB database (size-bounded, LRU eviction) holding a
 * content-addressed space (zstd at rest, every write and read checked against the digest) and an action space.
 */
@Configuration(proxyBeanMethods = false)
public class ServerStores {
    private static final int ZSTD_LEVEL = 3;

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
    Stores stores(RocksDbDatabase database) {
        BlobStore content = new CompressingBlobStore(database.space(RocksDbDatabase.Space.CAS), ZSTD_LEVEL);
        VerifyingBlobStore cas = new VerifyingBlobStore(content, corrupt -> database.addToCounter("corrupt.removed", 1));
        BlobStore actions = new CompressingBlobStore(database.space(RocksDbDatabase.Space.ACTIONS), ZSTD_LEVEL);
        return new Stores(cas, actions);
    }
}
