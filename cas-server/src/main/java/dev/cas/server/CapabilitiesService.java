package dev.cas.server;

import build.bazel.remote.execution.v2.ActionCacheUpdateCapabilities;
import build.bazel.remote.execution.v2.CacheCapabilities;
import build.bazel.remote.execution.v2.CapabilitiesGrpc;
import build.bazel.remote.execution.v2.Compressor;
import build.bazel.remote.execution.v2.DigestFunction;
import build.bazel.remote.execution.v2.GetCapabilitiesRequest;
import build.bazel.remote.execution.v2.ServerCapabilities;
import build.bazel.remote.execution.v2.SymlinkAbsolutePathStrategy;
import build.bazel.semver.SemVer;
import io.grpc.stub.StreamObserver;

/**
 * Tells clients what this cache serves: SHA-256, action-cache updates, zstd, the largest batch, API 2.0-2.3. Bazel
 * refuses to start without SHA256, update_enabled and a version range covering 2.0.
 */
final class CapabilitiesService extends CapabilitiesGrpc.CapabilitiesImplBase {
    private final ServerCapabilities capabilities;

    CapabilitiesService(long maxBatchTotalSizeBytes) {
        this.capabilities = ServerCapabilities.newBuilder()
                .setCacheCapabilities(CacheCapabilities.newBuilder()
                        .addDigestFunctions(DigestFunction.Value.SHA256)
                        .setActionCacheUpdateCapabilities(
                                ActionCacheUpdateCapabilities.newBuilder().setUpdateEnabled(true))
                        .setMaxBatchTotalSizeBytes(maxBatchTotalSizeBytes)
                        .setSymlinkAbsolutePathStrategy(SymlinkAbsolutePathStrategy.Value.ALLOWED)
                        .addSupportedCompressors(Compressor.Value.ZSTD)
                        .addSupportedBatchUpdateCompressors(Compressor.Value.ZSTD))
                .setDeprecatedApiVersion(version(2, 0))
                .setLowApiVersion(version(2, 0))
                .setHighApiVersion(version(2, 3))
                .build();
    }

    /** A caller without write access is told the action cache is not updatable, so it does not try. */
    private static ServerCapabilities readOnly(ServerCapabilities full) {
        ServerCapabilities.Builder builder = full.toBuilder();
        builder.getCacheCapabilitiesBuilder().getActionCacheUpdateCapabilitiesBuilder().setUpdateEnabled(false);
        return builder.build();
    }

    private static SemVer version(int major, int minor) {
        return SemVer.newBuilder().setMajor(major).setMinor(minor).build();
    }

    @Override
    public void getCapabilities(GetCapabilitiesRequest request, StreamObserver<ServerCapabilities> observer) {
        AccessPolicy.Caller caller = GrpcAuthInterceptor.CALLER.get();
        boolean mayWrite = caller == null || caller.mayWrite();
        Failures.respond(observer, "GetCapabilities", () -> mayWrite ? capabilities : readOnly(capabilities));
    }
}
