package dev.cas.server;

import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * The gRPC listener (grpc-java on Netty) as part of the Spring lifecycle: it starts after the stores exist and, on
 * shutdown, stops taking calls and lets running ones finish (up to 30 s) before the stores close. grpc-java is wired
 * here directly rather than through a starter: the server needs the builder's message-size limits and its own
 * lifecycle, and this is a handful of lines.
 */
@Component
public class GrpcServer implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(GrpcServer.class);
    private static final long GRACE_SECONDS = 30;

    private final CasServerProperties properties;
    private final ServerStores.Stores stores;
    private volatile Server server;

    public GrpcServer(CasServerProperties properties, ServerStores.Stores stores) {
        this.properties = properties;
        this.stores = stores;
    }

    /** The largest batch a client may send: a message's limit less room for the envelope. */
    long maxBatchTotalSizeBytes() {
        return properties.grpc().maxMessageSize().toBytes() - 64 * 1024;
    }

    @Override
    public void start() {
        int maxMessage = (int) Math.min(Integer.MAX_VALUE, properties.grpc().maxMessageSize().toBytes());
        server = NettyServerBuilder.forPort(properties.grpc().port())
                .maxInboundMessageSize(maxMessage)
                .addService(new CapabilitiesService(maxBatchTotalSizeBytes()))
                .addService(new ContentAddressableStorageService(stores.cas(), maxBatchTotalSizeBytes()))
                .addService(new ActionCacheService(stores.actions(), stores.cas()))
                .addService(new ByteStreamService(stores.cas(), properties.storage().maxBlobSize().toBytes()))
                .build();
        try {
            server.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen for gRPC on port " + properties.grpc().port(), e);
        }
        log.info("gRPC (REAPI v2 cache, ByteStream) listening on port {}", server.getPort());
    }

    @Override
    public void stop() {
        Server running = server;
        if (running == null) {
            return;
        }
        running.shutdown();
        try {
            if (!running.awaitTermination(GRACE_SECONDS, TimeUnit.SECONDS)) {
                running.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            running.shutdownNow();
            Thread.currentThread().interrupt();
        }
        server = null;
    }

    @Override
    public boolean isRunning() {
        return server != null;
    }

    /** The port actually bound (useful when configured as 0). */
    public int port() {
        return server.getPort();
    }
}
