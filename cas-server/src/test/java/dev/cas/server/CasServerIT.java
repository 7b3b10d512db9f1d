package dev.cas.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import build.bazel.remote.execution.v2.ActionCacheGrpc;
import build.bazel.remote.execution.v2.ActionResult;
import build.bazel.remote.execution.v2.Directory;
import build.bazel.remote.execution.v2.DirectoryNode;
import build.bazel.remote.execution.v2.FileNode;
import build.bazel.remote.execution.v2.OutputDirectory;
import build.bazel.remote.execution.v2.Tree;
import build.bazel.remote.execution.v2.BatchReadBlobsRequest;
import build.bazel.remote.execution.v2.BatchReadBlobsResponse;
import build.bazel.remote.execution.v2.BatchUpdateBlobsRequest;
import build.bazel.remote.execution.v2.BatchUpdateBlobsResponse;
import build.bazel.remote.execution.v2.CapabilitiesGrpc;
import build.bazel.remote.execution.v2.Compressor;
import build.bazel.remote.execution.v2.ContentAddressableStorageGrpc;
import build.bazel.remote.execution.v2.DigestFunction;
import build.bazel.remote.execution.v2.FindMissingBlobsRequest;
import build.bazel.remote.execution.v2.GetActionResultRequest;
import build.bazel.remote.execution.v2.GetCapabilitiesRequest;
import build.bazel.remote.execution.v2.OutputFile;
import build.bazel.remote.execution.v2.ServerCapabilities;
import build.bazel.remote.execution.v2.UpdateActionResultRequest;
import com.github.luben.zstd.Zstd;
import com.google.bytestream.ByteStreamGrpc;
import com.google.bytestream.ReadRequest;
import com.google.bytestream.ReadResponse;
import com.google.bytestream.WriteResponse;
import com.google.protobuf.ByteString;
import dev.cas.store.Digest;
import io.grpc.CallOptions;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The REAPI v2 cache over real gRPC on loopback, backed by real RocksDB in a temporary directory. */
@org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability
class CasServerIT extends RunningServer {

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        storageAndPorts(registry);
        registry.add("cas.grpc.max-message-size", () -> "1MB");
        registry.add("cas.storage.max-blob-size", () -> "40MB");
    }

    ContentAddressableStorageGrpc.ContentAddressableStorageBlockingStub cas;
    ActionCacheGrpc.ActionCacheBlockingStub actionCache;
    ByteStreamGrpc.ByteStreamBlockingStub byteStream;

    @BeforeEach
    void stubs() {
        cas = ContentAddressableStorageGrpc.newBlockingStub(channel);
        actionCache = ActionCacheGrpc.newBlockingStub(channel);
        byteStream = ByteStreamGrpc.newBlockingStub(channel);
    }

    @Test
    void capabilitiesSatisfyBazel() {
        ServerCapabilities capabilities = CapabilitiesGrpc.newBlockingStub(channel)
                .getCapabilities(GetCapabilitiesRequest.newBuilder().setInstanceName("main").build());
        assertThat(capabilities.getCacheCapabilities().getDigestFunctionsList())
                .containsExactly(DigestFunction.Value.SHA256);
        assertThat(capabilities.getCacheCapabilities().getActionCacheUpdateCapabilities().getUpdateEnabled())
                .isTrue();
        assertThat(capabilities.getCacheCapabilities().getSupportedCompressorsList())
                .contains(Compressor.Value.ZSTD);
        assertThat(capabilities.getCacheCapabilities().getMaxBatchTotalSizeBytes()).isBetween(1L, 1L << 20);
        assertThat(capabilities.getLowApiVersion().getMajor()).isEqualTo(2);
        assertThat(capabilities.getLowApiVersion().getMinor()).isZero();
        assertThat(capabilities.getHighApiVersion().getMinor()).isGreaterThanOrEqualTo(0);
    }

    @Test
    void batchesStoreVerifyAndReadBlobs() {
        byte[] good = "int main() { return 0; }".getBytes(StandardCharsets.UTF_8);
        byte[] compressed = random(5000, 1);
        byte[] lying = "not what the digest says".getBytes(StandardCharsets.UTF_8);
        Digest lyingDigest = Digest.of("something else");
        BatchUpdateBlobsResponse updated = cas.batchUpdateBlobs(BatchUpdateBlobsRequest.newBuilder()
                .setInstanceName("main")
                .addRequests(update(Digest.of(good), good, Compressor.Value.IDENTITY))
                .addRequests(update(Digest.of(compressed), Zstd.compress(compressed),
                        Compressor.Value.ZSTD))
                .addRequests(update(new Digest(lyingDigest.hash(), lying.length), lying, Compressor.Value.IDENTITY))
                .build());
        assertThat(updated.getResponsesList()).extracting(r -> r.getStatus().getCode())
                .containsExactly(0, 0, Status.Code.INVALID_ARGUMENT.value());

        var missing = cas.findMissingBlobs(FindMissingBlobsRequest.newBuilder().setInstanceName("main")
                .addBlobDigests(proto(Digest.of(good))).addBlobDigests(proto(Digest.of(compressed)))
                .addBlobDigests(proto(Digest.EMPTY))
                .addBlobDigests(proto(new Digest(lyingDigest.hash(), lying.length)))
                .addBlobDigests(proto(new Digest(Digest.of("not empty").hash(), 0))).build());
        assertThat(missing.getMissingBlobDigestsList()).extracting(d -> d.getHash())
                .containsExactly(lyingDigest.hash(), Digest.of("not empty").hash());

        BatchReadBlobsResponse read = cas.batchReadBlobs(BatchReadBlobsRequest.newBuilder()
                .addDigests(proto(Digest.of(good))).addDigests(proto(Digest.of(compressed)))
                .addDigests(proto(Digest.EMPTY)).addDigests(proto(Digest.of("never stored"))).build());
        assertThat(read.getResponses(0).getData().toByteArray()).isEqualTo(good);
        assertThat(read.getResponses(1).getData().toByteArray()).isEqualTo(compressed);
        assertThat(read.getResponses(2).getData().size()).isZero();
        assertThat(read.getResponses(2).getStatus().getCode()).isZero();
        assertThat(read.getResponses(3).getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND.value());
    }

    @Test
    void badDigestsAndOversizedBatchesAreRejected() {
        assertStatus(() -> cas.findMissingBlobs(FindMissingBlobsRequest.newBuilder()
                .addBlobDigests(build.bazel.remote.execution.v2.Digest.newBuilder().setHash("xyz").setSizeBytes(1))
                .build()), Status.Code.INVALID_ARGUMENT);
        assertStatus(() -> cas.findMissingBlobs(FindMissingBlobsRequest.newBuilder()
                .addBlobDigests(build.bazel.remote.execution.v2.Digest.newBuilder()
                        .setHash(Digest.of("a").hash()).setSizeBytes(-5)).build()), Status.Code.INVALID_ARGUMENT);
        assertStatus(() -> cas.findMissingBlobs(FindMissingBlobsRequest.newBuilder()
                .setDigestFunction(DigestFunction.Value.MD5).build()), Status.Code.INVALID_ARGUMENT);
        byte[] big = random(600_000, 2);
        BatchUpdateBlobsRequest.Builder tooBig = BatchUpdateBlobsRequest.newBuilder();
        tooBig.addRequests(update(Digest.of(big), big, Compressor.Value.IDENTITY));
        tooBig.addRequests(update(Digest.of(big), big, Compressor.Value.IDENTITY));
        // over the 1 MB message limit: refused by gRPC itself; over the batch limit: refused by the service
        assertStatus(() -> cas.batchUpdateBlobs(tooBig.build()), Status.Code.RESOURCE_EXHAUSTED);
        byte[] almost = random((1 << 20) - 40 * 1024, 3); // under the message limit, over the batch limit
        assertStatus(() -> cas.batchUpdateBlobs(BatchUpdateBlobsRequest.newBuilder()
                .addRequests(update(Digest.of(almost), almost, Compressor.Value.IDENTITY)).build()),
                Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void byteStreamWritesInChunksAndReadsWithOffsets() {
        byte[] blob = random(300_000, 4);
        Digest digest = Digest.of(blob);
        String upload = "main/uploads/" + UUID.randomUUID() + "/blobs/" + digest.hash() + "/" + digest.size();
        assertThat(write(upload, blob, 100_000).getCommittedSize()).isEqualTo(blob.length);

        byte[] all = read("main/blobs/" + digest.hash() + "/" + digest.size(), 0, 0);
        assertThat(all).isEqualTo(blob);
        byte[] part = read("main/blobs/" + digest.hash() + "/" + digest.size(), 1000, 500);
        assertThat(part).isEqualTo(Arrays.copyOfRange(blob, 1000, 1500));

        // a second upload of a blob already held ends at once with the full size
        assertThat(write("main/uploads/" + UUID.randomUUID() + "/blobs/" + digest.hash() + "/" + digest.size(),
                blob, 100_000).getCommittedSize()).isEqualTo(blob.length);
    }

    @Test
    void byteStreamCompressedBlobsRoundTrip() {
        byte[] blob = ("compressible text ".repeat(20_000)).getBytes(StandardCharsets.UTF_8);
        Digest digest = Digest.of(blob);
        byte[] frame = Zstd.compress(blob);
        write("uploads/" + UUID.randomUUID() + "/compressed-blobs/zstd/" + digest.hash() + "/" + digest.size(),
                frame, 1000);
        byte[] plain = read("blobs/" + digest.hash() + "/" + digest.size(), 0, 0);
        assertThat(plain).isEqualTo(blob);
        byte[] compressed = read("compressed-blobs/zstd/" + digest.hash() + "/" + digest.size(), 0, 0);
        assertThat(Zstd.decompress(compressed, blob.length)).isEqualTo(blob);
    }

    @Test
    void byteStreamRejectsBadInputAndKeepsNothing() {
        byte[] blob = random(10_000, 5);
        Digest digest = Digest.of(blob);
        byte[] other = random(10_000, 6);
        assertStatus(() -> write("uploads/" + UUID.randomUUID() + "/blobs/" + digest.hash() + "/" + digest.size(),
                other, 4096), Status.Code.INVALID_ARGUMENT);
        assertStatus(() -> read("blobs/" + digest.hash() + "/" + digest.size(), 0, 0), Status.Code.NOT_FOUND);
        assertStatus(() -> write("uploads/" + UUID.randomUUID() + "/blobs/" + digest.hash() + "/5", blob, 4096),
                Status.Code.INVALID_ARGUMENT);
        for (String bad : List.of("blobs/" + digest.hash(), "nothing/here", "../blobs/" + digest.hash() + "/1",
                "blobs/" + digest.hash() + "/ten", "compressed-blobs/brotli/" + digest.hash() + "/1",
                "blobs/ABC/1")) {
            assertStatus(() -> read(bad, 0, 0), Status.Code.INVALID_ARGUMENT);
        }
        assertStatus(() -> write("blobs/" + digest.hash() + "/" + digest.size(), blob, 4096),
                Status.Code.INVALID_ARGUMENT);

        write("uploads/x/blobs/" + digest.hash() + "/" + digest.size(), blob, 4096);
        assertStatus(() -> read("blobs/" + digest.hash() + "/" + digest.size(), -1, 0), Status.Code.OUT_OF_RANGE);
        assertStatus(() -> read("blobs/" + digest.hash() + "/" + digest.size(), 10_001, 0),
                Status.Code.OUT_OF_RANGE);
        assertStatus(() -> read("blobs/" + digest.hash() + "/" + digest.size(), 0, -1),
                Status.Code.INVALID_ARGUMENT);
        assertThat(read("blobs/" + digest.hash() + "/" + digest.size(), 0, 0)).isEqualTo(blob);
    }

    @Test
    void largeBlobsStreamInAndOutInPieces() {
        byte[] blob = random(24_000_000, 7); // 24 chunks in the store, 24 messages each way under a 1 MB limit
        Digest digest = Digest.of(blob);
        write("main/uploads/" + UUID.randomUUID() + "/blobs/" + digest.hash() + "/" + digest.size(), blob,
                1_000_000);
        String name = "main/blobs/" + digest.hash() + "/" + digest.size();
        assertThat(Digest.of(read(name, 0, 0))).isEqualTo(digest);
        assertThat(read(name, 23_000_000, 5)).isEqualTo(Arrays.copyOfRange(blob, 23_000_000, 23_000_005));
        assertThat(read(name, 3_000_000, 2_500_000))
                .isEqualTo(Arrays.copyOfRange(blob, 3_000_000, 5_500_000));

        byte[] text = ("line of a large, compressible log " + "x".repeat(60) + "\n").repeat(120_000)
                .getBytes(StandardCharsets.UTF_8);
        Digest textDigest = Digest.of(text);
        byte[] frame = Zstd.compress(text);
        write("main/uploads/" + UUID.randomUUID() + "/compressed-blobs/zstd/" + textDigest.hash() + "/"
                + textDigest.size(), frame, 7_000);
        byte[] compressed = read("main/compressed-blobs/zstd/" + textDigest.hash() + "/" + textDigest.size(), 0, 0);
        assertThat(compressed.length).isLessThan(text.length / 10);
        assertThat(Zstd.decompress(compressed, text.length)).isEqualTo(text);
        byte[] tail = read("main/compressed-blobs/zstd/" + textDigest.hash() + "/" + textDigest.size(),
                text.length - 100, 0);
        assertThat(Zstd.decompress(tail, 100))
                .isEqualTo(Arrays.copyOfRange(text, text.length - 100, text.length));
    }

    @Test
    void badZstdUploadsAndOversizedBlobsAreRefusedAndKeepNothing() {
        byte[] blob = ("some text to compress ".repeat(5_000)).getBytes(StandardCharsets.UTF_8);
        Digest digest = Digest.of(blob);
        String upload = "uploads/" + UUID.randomUUID() + "/compressed-blobs/zstd/" + digest.hash() + "/"
                + digest.size();
        assertStatus(() -> write(upload, "not a zstd frame at all".getBytes(StandardCharsets.UTF_8), 100),
                Status.Code.INVALID_ARGUMENT);
        byte[] frame = Zstd.compress(blob);
        assertStatus(() -> write(upload, Arrays.copyOf(frame, frame.length - 10), 100),
                Status.Code.INVALID_ARGUMENT);
        byte[] wrong = Zstd.compress(random(blob.length, 8));
        assertStatus(() -> write(upload, wrong, 1000), Status.Code.INVALID_ARGUMENT);
        assertStatus(() -> read("blobs/" + digest.hash() + "/" + digest.size(), 0, 0), Status.Code.NOT_FOUND);

        Digest huge = new Digest(Digest.of("huge").hash(), 41L << 20);
        assertStatus(() -> write("uploads/u/blobs/" + huge.hash() + "/" + huge.size(), new byte[10], 10),
                Status.Code.RESOURCE_EXHAUSTED);
        assertThat(write(upload, frame, 1000).getCommittedSize()).as("a good upload after the bad ones")
                .isEqualTo(frame.length);
        assertThat(read("blobs/" + digest.hash() + "/" + digest.size(), 0, 0)).isEqualTo(blob);
    }

    @Test
    void malformedProtobufIsRefusedAndTheServerStaysUp() {
        byte[] stored = "still here".getBytes(StandardCharsets.UTF_8);
        cas.batchUpdateBlobs(BatchUpdateBlobsRequest.newBuilder()
                .addRequests(update(Digest.of(stored), stored, Compressor.Value.IDENTITY)).build());
        MethodDescriptor<byte[], byte[]> raw = MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(ContentAddressableStorageGrpc.getFindMissingBlobsMethod().getFullMethodName())
                .setRequestMarshaller(new BytesMarshaller()).setResponseMarshaller(new BytesMarshaller()).build();
        assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(channel, raw,
                CallOptions.DEFAULT, new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 1, 2, 3}))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode())
                        .isEqualTo(Status.Code.INVALID_ARGUMENT));
        assertThat(cas.batchReadBlobs(BatchReadBlobsRequest.newBuilder().addDigests(proto(Digest.of(stored)))
                .build()).getResponses(0).getData().toByteArray()).isEqualTo(stored);
    }

    @Test
    void prometheusShowsCallsLookupsBytesAndStorage() throws Exception {
        byte[] blob = "measured".getBytes(StandardCharsets.UTF_8);
        cas.batchUpdateBlobs(BatchUpdateBlobsRequest.newBuilder()
                .addRequests(update(Digest.of(blob), blob, Compressor.Value.IDENTITY)).build());
        cas.findMissingBlobs(FindMissingBlobsRequest.newBuilder().addBlobDigests(proto(Digest.of(blob)))
                .addBlobDigests(proto(Digest.of("absent"))).build());
        for (int i = 0; i < 2; i++) { // the second read is served from memory
            cas.batchReadBlobs(BatchReadBlobsRequest.newBuilder().addDigests(proto(Digest.of(blob))).build());
        }
        String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + httpPort + "/actuator/prometheus")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics)
                .containsPattern("grpc_server_processing_duration_seconds_count\\{[^}]*method=\"FindMissingBlobs\"")
                .containsPattern("cas_store_lookups_total\\{result=\"hit\",store=\"cas\"} [1-9]")
                .containsPattern("cas_store_lookups_total\\{result=\"miss\",store=\"cas\"} [1-9]")
                .containsPattern("cas_store_bytes_total\\{direction=\"written\",store=\"cas\"} [1-9]")
                .containsPattern("cas_storage_stored_bytes [1-9]")
                .containsPattern("cache_gets_total\\{cache=\"cas.memory\",result=\"hit\"} [1-9]")
                .contains("cas_storage_disk_bytes", "cas_storage_evictions_total", "cas_storage_corrupt_removed_total",
                        "cas_store_operation_seconds");
    }

    /** Passes bytes through unparsed, to put malformed messages on the wire. */
    private static final class BytesMarshaller implements MethodDescriptor.Marshaller<byte[]> {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @Test
    void actionResultsAreServedOnlyWhileTheirBlobsExist() {
        byte[] output = "object code".getBytes(StandardCharsets.UTF_8);
        Digest outputDigest = Digest.of(output);
        Digest action = Digest.of("action 1");
        ActionResult result = ActionResult.newBuilder().setExitCode(0)
                .addOutputFiles(OutputFile.newBuilder().setPath("out/a.o").setDigest(proto(outputDigest)))
                .build();
        actionCache.updateActionResult(UpdateActionResultRequest.newBuilder().setInstanceName("main")
                .setActionDigest(proto(action)).setActionResult(result).build());
        GetActionResultRequest get = GetActionResultRequest.newBuilder().setInstanceName("main")
                .setActionDigest(proto(action)).build();
        assertStatus(() -> actionCache.getActionResult(get), Status.Code.NOT_FOUND);

        cas.batchUpdateBlobs(BatchUpdateBlobsRequest.newBuilder()
                .addRequests(update(outputDigest, output, Compressor.Value.IDENTITY)).build());
        assertThat(actionCache.getActionResult(get)).isEqualTo(result);
        assertStatus(() -> actionCache.getActionResult(get.toBuilder().setInstanceName("other").build()),
                Status.Code.NOT_FOUND);
        assertStatus(() -> actionCache.updateActionResult(UpdateActionResultRequest.newBuilder()
                .setActionDigest(proto(action)).setActionResult(ActionResult.newBuilder()
                        .addOutputFiles(OutputFile.newBuilder().setPath("x").setDigest(
                                build.bazel.remote.execution.v2.Digest.newBuilder().setHash("bad")))).build()),
                Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void outputsAskedForComeInlineWithinTheLimit() {
        // this server's messages are 1 MB (properties): it inlines at most its batch size, 1 MB less 64 KiB
        byte[] small = "inline object code".getBytes(StandardCharsets.UTF_8);
        byte[] diagnostics = "warning: inline".getBytes(StandardCharsets.UTF_8);
        byte[] first = random(600_000, 11);
        byte[] second = random(600_000, 12); // fits alone, not after the first
        byte[] large = random(1_000_000, 13); // never fits
        for (byte[] blob : List.of(small, diagnostics, first, second, large)) {
            Digest digest = Digest.of(blob);
            write("main/uploads/" + UUID.randomUUID() + "/blobs/" + digest.hash() + "/" + blob.length, blob, 500_000);
        }
        Digest action = Digest.of("action inline");
        ActionResult.Builder built = ActionResult.newBuilder().setExitCode(0)
                .setStderrDigest(proto(Digest.of(diagnostics)));
        String[] paths = {"a.o", "first.o", "second.o", "large.o"};
        byte[][] contents = {small, first, second, large};
        for (int i = 0; i < paths.length; i++) {
            built.addOutputFiles(OutputFile.newBuilder().setPath(paths[i]).setDigest(proto(Digest.of(contents[i]))));
        }
        ActionResult result = built.build();
        actionCache.updateActionResult(UpdateActionResultRequest.newBuilder().setInstanceName("main")
                .setActionDigest(proto(action)).setActionResult(result).build());
        GetActionResultRequest get = GetActionResultRequest.newBuilder().setInstanceName("main")
                .setActionDigest(proto(action)).build();

        assertThat(actionCache.getActionResult(get)).as("nothing inline unless asked").isEqualTo(result);
        ActionResult inlined = actionCache.getActionResult(get.toBuilder().setInlineStderr(true)
                .addAllInlineOutputFiles(List.of(paths)).build());
        assertThat(inlined.getStderrRaw().toByteArray()).isEqualTo(diagnostics);
        assertThat(inlined.getOutputFiles(0).getContents().toByteArray()).isEqualTo(small);
        assertThat(inlined.getOutputFiles(1).getContents().toByteArray()).isEqualTo(first);
        assertThat(inlined.getOutputFiles(2).getContents().isEmpty()).as("over what is left: a digest only").isTrue();
        assertThat(inlined.getOutputFiles(3).getContents().isEmpty()).isTrue();
        assertThat(inlined.toBuilder().clearStderrRaw().setOutputFiles(0, result.getOutputFiles(0))
                .setOutputFiles(1, result.getOutputFiles(1)).build()).as("nothing else changed").isEqualTo(result);

        ActionResult alone = actionCache.getActionResult(get.toBuilder().addInlineOutputFiles("second.o").build());
        assertThat(alone.getOutputFiles(2).getContents().toByteArray()).as("fits alone").isEqualTo(second);
        assertThat(alone.getOutputFiles(0).getContents().isEmpty()).as("not asked for").isTrue();
        assertThat(alone.getStderrRaw().isEmpty()).isTrue();
    }

    /** D3: a digest is (hash, size); a held hash asked with another size is missing, and so is a result naming it. */
    @Test
    void sizesArePartOfEveryDigestComparison() {
        byte[] output = "sized object code".getBytes(StandardCharsets.UTF_8);
        Digest right = Digest.of(output);
        Digest wrongSize = new Digest(right.hash(), right.size() + 7);
        cas.batchUpdateBlobs(BatchUpdateBlobsRequest.newBuilder()
                .addRequests(update(right, output, Compressor.Value.IDENTITY)).build());
        assertThat(cas.findMissingBlobs(FindMissingBlobsRequest.newBuilder().addBlobDigests(proto(right))
                .addBlobDigests(proto(wrongSize)).build()).getMissingBlobDigestsList()).containsExactly(proto(wrongSize));
        for (Digest named : List.of(wrongSize, right)) {
            Digest action = Digest.of("action naming " + named);
            actionCache.updateActionResult(UpdateActionResultRequest.newBuilder().setActionDigest(proto(action))
                    .setActionResult(ActionResult.newBuilder().addOutputFiles(OutputFile.newBuilder()
                            .setPath("out/sized.o").setDigest(proto(named)))).build());
            GetActionResultRequest get = GetActionResultRequest.newBuilder().setActionDigest(proto(action)).build();
            if (named == right) {
                assertThat(actionCache.getActionResult(get).getOutputFiles(0).getDigest()).isEqualTo(proto(right));
            } else {
                assertStatus(() -> actionCache.getActionResult(get), Status.Code.NOT_FOUND);
            }
        }
    }

    /** D4: a result is served only while every file inside its output directories is held, both tree forms. */
    @Test
    void outputDirectoriesAreCompleteOnlyWithEveryFileInside() {
        byte[] present = "present header".getBytes(StandardCharsets.UTF_8);
        byte[] evicted = "a file the cache does not hold (evicted)".getBytes(StandardCharsets.UTF_8);
        Directory leaf = Directory.newBuilder().addFiles(FileNode.newBuilder().setName("gone.h")
                .setDigest(proto(Digest.of(evicted)))).build();
        Directory root = Directory.newBuilder().addFiles(FileNode.newBuilder().setName("kept.h")
                .setDigest(proto(Digest.of(present)))).addDirectories(DirectoryNode.newBuilder().setName("sub")
                .setDigest(proto(Digest.of(leaf.toByteArray())))).build();
        byte[] tree = Tree.newBuilder().setRoot(root).addChildren(leaf).build().toByteArray();
        BatchUpdateBlobsRequest.Builder upload = BatchUpdateBlobsRequest.newBuilder();
        for (byte[] blob : List.of(present, tree, leaf.toByteArray(), root.toByteArray())) {
            upload.addRequests(update(Digest.of(blob), blob, Compressor.Value.IDENTITY));
        }
        cas.batchUpdateBlobs(upload.build());

        List<GetActionResultRequest> gets = new ArrayList<>();
        for (OutputDirectory directory : List.of(
                OutputDirectory.newBuilder().setPath("include").setTreeDigest(proto(Digest.of(tree))).build(),
                OutputDirectory.newBuilder().setPath("include").setRootDirectoryDigest(proto(Digest.of(
                        root.toByteArray()))).build())) {
            Digest action = Digest.of("directory action " + directory);
            actionCache.updateActionResult(UpdateActionResultRequest.newBuilder().setActionDigest(proto(action))
                    .setActionResult(ActionResult.newBuilder().addOutputDirectories(directory)).build());
            gets.add(GetActionResultRequest.newBuilder().setActionDigest(proto(action)).build());
        }
        for (GetActionResultRequest get : gets) {
            assertStatus(() -> actionCache.getActionResult(get), Status.Code.NOT_FOUND);
        }
        cas.batchUpdateBlobs(BatchUpdateBlobsRequest.newBuilder()
                .addRequests(update(Digest.of(evicted), evicted, Compressor.Value.IDENTITY)).build());
        for (GetActionResultRequest get : gets) {
            assertThat(actionCache.getActionResult(get).getOutputDirectoriesCount()).isOne();
        }
    }

    private WriteResponse write(String resourceName, byte[] data, int chunk) {
        return ByteStreamUploads.write(channel, resourceName, data, chunk);
    }

    private byte[] read(String resourceName, long offset, long limit) {
        Iterator<ReadResponse> responses = byteStream.read(ReadRequest.newBuilder().setResourceName(resourceName)
                .setReadOffset(offset).setReadLimit(limit).build());
        List<ByteString> parts = new ArrayList<>();
        responses.forEachRemaining(r -> parts.add(r.getData()));
        return ByteString.copyFrom(parts).toByteArray();
    }

    private static void assertStatus(Runnable call, Status.Code code) {
        assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).as(String.valueOf(e.getStatus())).isEqualTo(code));
    }

    private static BatchUpdateBlobsRequest.Request update(Digest digest, byte[] data, Compressor.Value compressor) {
        return BatchUpdateBlobsRequest.Request.newBuilder().setDigest(proto(digest)).setData(ByteString.copyFrom(data))
                .setCompressor(compressor).build();
    }

    private static build.bazel.remote.execution.v2.Digest proto(Digest digest) {
        return build.bazel.remote.execution.v2.Digest.newBuilder().setHash(digest.hash())
                .setSizeBytes(digest.size()).build();
    }

    private static byte[] random(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
