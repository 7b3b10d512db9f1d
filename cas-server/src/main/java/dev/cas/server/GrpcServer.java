package dev.cas.server;

import static dev.cas.server.MalformedRequests.rejected;

import com.google.bytestream.ByteStreamGrpc;
import com.google.common.util.concurrent.ThreadFactoryBuilder;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.grpc.MetricCollectingServerInterceptor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.SslBundles;
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
    private final AccessPolicy accessPolicy;
    private final MeterRegistry meters;
    private final SslBundles sslBundles;
    private volatile Server server;
    private ExecutorService callPool;
    private TransportThreads transport;

    public GrpcServer(CasServerProperties properties, ServerStores.Stores stores, AccessPolicy accessPolicy,
            MeterRegistry meters, SslBundles sslBundles) {
        this.properties = properties;
        this.stores = stores;
        this.accessPolicy = accessPolicy;
        this.meters = meters;
        this.sslBundles = sslBundles;
    }

    /** The largest batch a client may send: a message's limit less room for the envelope. */
    long maxBatchTotalSizeBytes() {
        return properties.grpc().maxMessageSize().toBytes() - 64 * 1024;
    }

    @Override
    public void start() {
        int maxMessage = (int) Math.min(Integer.MAX_VALUE, properties.grpc().maxMessageSize().toBytes());
        callPool = Executors.newCachedThreadPool(new ThreadFactoryBuilder().setNameFormat("grpc-call-%d")
                .setDaemon(true).build());
        transport = TransportThreads.start(properties.grpc().eventLoopThreads());
        NettyServerBuilder builder = NettyServerBuilder.forPort(properties.grpc().port())
                .channelType(transport.channelType())
                .bossEventLoopGroup(transport.boss())
                .workerEventLoopGroup(transport.workers())
                .maxInboundMessageSize(maxMessage)
                .directExecutor()
                .callExecutor(new QuickCallsInline(callPool))
                .addService(rejected(new CapabilitiesService(maxBatchTotalSizeBytes()).bindService()))
                .addService(rejected(new ContentAddressableStorageService(stores.cas(), maxBatchTotalSizeBytes(),
                        properties.storage().maxBlobSize().toBytes())
                        .bindService()))
                .addService(rejected(new ActionCacheService(stores.actions(), stores.cas(), maxBatchTotalSizeBytes()).bindService()))
                .addService(rejected(new ByteStreamService(stores.cas(), properties.storage().maxBlobSize().toBytes(),
                        callPool).bindService()))
                // interceptors run last-added first: metrics see every call, refused ones included
                .intercept(new GrpcAuthInterceptor(accessPolicy))
                .intercept(new MetricCollectingServerInterceptor(meters));
        String bundle = properties.grpc().sslBundle();
        if (bundle != null && !bundle.isBlank()) {
            builder.sslContext(tlsContext(bundle));
        }
        server = builder.build();
        try {
            server.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen for gRPC on port " + properties.grpc().port(), e);
        }
        log.info("gRPC (REAPI v2 cache, ByteStream) listening on port {}{}, {} transport threads", server.getPort(),
                bundle == null || bundle.isBlank() ? "" : " with TLS (SSL bundle '" + bundle + "')",
                properties.grpc().eventLoopThreads());
    }

    /**
     * Runs the short reads (existence checks, batch reads, action lookups, ByteStream reads) on the transport thread
     * that received them, call set-up included (the server's default executor is direct): a hand-off to another
     * thread cost more than the call itself. Writes, which can wait on the disk, run on a pool.
     */
    private static final class QuickCallsInline implements ServerCallExecutorSupplier {
        private static final Set<String> QUICK = Set.of(
                build.bazel.remote.execution.v2.ContentAddressableStorageGrpc.getFindMissingBlobsMethod()
                        .getFullMethodName(),
                build.bazel.remote.execution.v2.ContentAddressableStorageGrpc.getBatchReadBlobsMethod()
                        .getFullMethodName(),
                build.bazel.remote.execution.v2.ActionCacheGrpc.getGetActionResultMethod().getFullMethodName(),
                build.bazel.remote.execution.v2.CapabilitiesGrpc.getGetCapabilitiesMethod().getFullMethodName(),
                ByteStreamGrpc.getQueryWriteStatusMethod().getFullMethodName(),
                // small reads are served inline; the service moves larger ones to the pool itself
                ByteStreamGrpc.getReadMethod().getFullMethodName());

        private final Executor pool;

        QuickCallsInline(Executor pool) {
            this.pool = pool;
        }

        /** Null keeps the default (direct) executor. */
        @Override
        public <Q, R> Executor getExecutor(ServerCall<Q, R> call, Metadata metadata) {
            return QUICK.contains(call.getMethodDescriptor().getFullMethodName()) ? null : pool;
        }
    }

    /** TLS from a Spring SSL bundle, the same configuration the HTTP side can use ({@code server.ssl.bundle}). */
    private SslContext tlsContext(String bundleName) {
        SslBundle bundle = sslBundles.getBundle(bundleName);
        try {
            return GrpcSslContexts.configure(SslContextBuilder.forServer(bundle.getManagers().getKeyManagerFactory()))
                    .build();
        } catch (SSLException e) {
            throw new IllegalStateException("cannot set up TLS for gRPC from SSL bundle '" + bundleName + "': "
                    + e.getMessage(), e);
        }
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
        callPool.shutdownNow();
        transport.close();
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
