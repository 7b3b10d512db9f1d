package dev.cas.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import build.bazel.remote.execution.v2.BatchUpdateBlobsRequest;
import build.bazel.remote.execution.v2.BatchUpdateBlobsResponse;
import build.bazel.remote.execution.v2.Compressor;
import build.bazel.remote.execution.v2.ContentAddressableStorageGrpc;
import build.bazel.remote.execution.v2.FindMissingBlobsRequest;
import com.github.luben.zstd.Zstd;
import com.google.protobuf.ByteString;
import dev.cas.store.Digest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Hostile compressed uploads on BatchUpdateBlobs, over real gRPC against real RocksDB, with large messages allowed
 * (64 MB) and a small blob limit (1 MB): a few bytes declaring gigabytes (once decompressed into a buffer of the
 * declared size: the JVM ran out of heap), a zstd bomb over the blob limit (once stored), a frame holding more than
 * its digest says. Each is refused with a precise status; nothing is stored; the server goes on serving.
 */
class HostileBatchIT extends RunningServer {

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        storageAndPorts(registry);
        registry.add("cas.grpc.max-message-size", () -> "64MB");
        registry.add("cas.storage.max-blob-size", () -> "1MB");
    }

    ContentAddressableStorageGrpc.ContentAddressableStorageBlockingStub cas;

    /** Messages as large as the server takes (64 MB), so that only the blob limit can refuse them. */
    @Override
    NettyChannelBuilder channelBuilder() {
        return super.channelBuilder().maxInboundMessageSize(64 << 20);
    }

    @BeforeEach
    void stubs() {
        cas = ContentAddressableStorageGrpc.newBlockingStub(channel);
    }

    @Test
    void aFewBytesDeclaringGigabytesAreRefusedBeforeAnyAllocation() {
        byte[] frame = Zstd.compress(new byte[64]);
        Digest declared = new Digest(Digest.of(new byte[64]).hash(), Integer.MAX_VALUE - 64);
        assertThatThrownBy(() -> cas.batchUpdateBlobs(batch(declared, frame)))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).contains("exceeds the limit");
                });
        assertServerServes();
    }

    @Test
    void aCompressedBlobOverTheBlobLimitIsRefusedAndNotStored() {
        byte[] blob = new byte[8 << 20]; // 8 MB of zeros: a frame of a few hundred bytes
        Digest digest = Digest.of(blob);
        BatchUpdateBlobsResponse response = cas.batchUpdateBlobs(batch(digest,
                Zstd.compress(blob)));
        assertThat(response.getResponses(0).getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED.value());
        assertThat(response.getResponses(0).getStatus().getMessage()).contains("max-blob-size");
        assertThat(missing(digest)).isTrue();
        assertServerServes();
    }

    @Test
    void aFrameHoldingMoreThanItsDigestSaysIsRefused() {
        byte[] blob = new byte[100];
        Digest digest = Digest.of(blob);
        BatchUpdateBlobsResponse response = cas.batchUpdateBlobs(batch(digest,
                Zstd.compress(new byte[900_000])));
        assertThat(response.getResponses(0).getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT.value());
        assertThat(response.getResponses(0).getStatus().getMessage()).contains("more than 100 bytes");
        assertThat(missing(digest)).isTrue();
    }

    private boolean missing(Digest digest) {
        return cas.findMissingBlobs(FindMissingBlobsRequest.newBuilder().addBlobDigests(proto(digest)).build())
                .getMissingBlobDigestsCount() == 1;
    }

    /** A small honest upload still goes through after the hostile one. */
    private void assertServerServes() {
        byte[] blob = "still serving".getBytes(StandardCharsets.UTF_8);
        assertThat(cas.batchUpdateBlobs(batch(Digest.of(blob), Zstd.compress(blob)))
                .getResponses(0).getStatus().getCode()).isZero();
        assertThat(missing(Digest.of(blob))).isFalse();
    }

    private static BatchUpdateBlobsRequest batch(Digest digest, byte[] frame) {
        return BatchUpdateBlobsRequest.newBuilder().addRequests(BatchUpdateBlobsRequest.Request.newBuilder()
                .setDigest(proto(digest)).setData(ByteString.copyFrom(frame)).setCompressor(Compressor.Value.ZSTD))
                .build();
    }

    private static build.bazel.remote.execution.v2.Digest proto(Digest digest) {
        return build.bazel.remote.execution.v2.Digest.newBuilder().setHash(digest.hash())
                .setSizeBytes(digest.size()).build();
    }
}
