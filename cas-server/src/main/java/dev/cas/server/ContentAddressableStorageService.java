package dev.cas.server;

import build.bazel.remote.execution.v2.BatchReadBlobsRequest;
import build.bazel.remote.execution.v2.BatchReadBlobsResponse;
import build.bazel.remote.execution.v2.BatchUpdateBlobsRequest;
import build.bazel.remote.execution.v2.BatchUpdateBlobsResponse;
import build.bazel.remote.execution.v2.Compressor;
import build.bazel.remote.execution.v2.ContentAddressableStorageGrpc;
import build.bazel.remote.execution.v2.FindMissingBlobsRequest;
import build.bazel.remote.execution.v2.FindMissingBlobsResponse;
import build.bazel.remote.execution.v2.GetTreeRequest;
import build.bazel.remote.execution.v2.GetTreeResponse;
import com.google.protobuf.UnsafeByteOperations;
import dev.cas.store.BlobStore;
import dev.cas.store.Digest;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * REAPI's ContentAddressableStorage over the server's verified CAS. The empty blob is always present. Batches larger
 * than the advertised limit are refused whole (INVALID_ARGUMENT); within a batch each blob succeeds or fails alone.
 */
final class ContentAddressableStorageService extends ContentAddressableStorageGrpc.ContentAddressableStorageImplBase {
    private final BlobStore cas;
    private final long maxBatchTotalSizeBytes;
    private final long maxBlobBytes;

    ContentAddressableStorageService(BlobStore cas, long maxBatchTotalSizeBytes, long maxBlobBytes) {
        this.cas = cas;
        this.maxBatchTotalSizeBytes = maxBatchTotalSizeBytes;
        this.maxBlobBytes = maxBlobBytes;
    }

    @Override
    public void findMissingBlobs(FindMissingBlobsRequest request, StreamObserver<FindMissingBlobsResponse> observer) {
        Failures.respond(observer, "FindMissingBlobs", () -> {
            Digests.requireSha256(request.getDigestFunction());
            List<Digest> asked = new ArrayList<>(request.getBlobDigestsCount());
            for (var digest : request.getBlobDigestsList()) {
                asked.add(Digests.fromProto(digest)); // the verifying store answers for empty blobs
            }
            FindMissingBlobsResponse.Builder response = FindMissingBlobsResponse.newBuilder();
            cas.findMissing(asked).forEach(missing -> response.addMissingBlobDigests(Digests.toProto(missing)));
            return response.build();
        });
    }

    @Override
    public void batchUpdateBlobs(BatchUpdateBlobsRequest request, StreamObserver<BatchUpdateBlobsResponse> observer) {
        Failures.respond(observer, "BatchUpdateBlobs", () -> {
            Digests.requireSha256(request.getDigestFunction());
            // Sizes as the digests declare them, before anything is decompressed or allocated: a compressed blob
            // is as large as its digest says once stored, whatever its frame weighs on the wire.
            long total = 0;
            for (BatchUpdateBlobsRequest.Request blob : request.getRequestsList()) {
                total += Math.max(blob.getData().size(), Math.max(0, blob.getDigest().getSizeBytes()));
            }
            if (total > maxBatchTotalSizeBytes) {
                throw Digests.invalid("batch of " + total + " bytes exceeds the limit of " + maxBatchTotalSizeBytes
                        + " bytes; use ByteStream.Write for large blobs");
            }
            BatchUpdateBlobsResponse.Builder response = BatchUpdateBlobsResponse.newBuilder();
            for (BatchUpdateBlobsRequest.Request blob : request.getRequestsList()) {
                response.addResponses(BatchUpdateBlobsResponse.Response.newBuilder()
                        .setDigest(blob.getDigest())
                        .setStatus(status("BatchUpdateBlobs", () -> store(blob))));
            }
            return response.build();
        });
    }

    private void store(BatchUpdateBlobsRequest.Request blob) {
        Digest digest = Digests.fromProto(blob.getDigest());
        if (digest.size() > maxBlobBytes) {
            throw Status.RESOURCE_EXHAUSTED.withDescription("blob of " + digest.size()
                    + " bytes exceeds cas.storage.max-blob-size (" + maxBlobBytes + " bytes)").asRuntimeException();
        }
        byte[] data = switch (blob.getCompressor()) {
            case IDENTITY -> blob.getData().toByteArray();
            case ZSTD -> Zstd.decompress(blob.getData().toByteArray(), digest.size());
            default -> throw Digests.invalid("unsupported compressor " + blob.getCompressor());
        };
        cas.put(digest, data);
    }

    @Override
    public void batchReadBlobs(BatchReadBlobsRequest request, StreamObserver<BatchReadBlobsResponse> observer) {
        Failures.respond(observer, "BatchReadBlobs", () -> {
            Digests.requireSha256(request.getDigestFunction());
            long total = 0;
            for (var digest : request.getDigestsList()) {
                total += Math.max(0, digest.getSizeBytes());
            }
            if (total > maxBatchTotalSizeBytes) {
                throw Digests.invalid("batch of " + total + " bytes exceeds the limit of " + maxBatchTotalSizeBytes
                        + " bytes; use ByteStream.Read for large blobs");
            }
            BatchReadBlobsResponse.Builder response = BatchReadBlobsResponse.newBuilder();
            for (var digest : request.getDigestsList()) {
                BatchReadBlobsResponse.Response.Builder one = BatchReadBlobsResponse.Response.newBuilder()
                        .setDigest(digest).setCompressor(Compressor.Value.IDENTITY);
                one.setStatus(status("BatchReadBlobs", () -> {
                    Optional<byte[]> data = cas.get(Digests.fromProto(digest));
                    if (data.isEmpty()) {
                        throw Status.NOT_FOUND.withDescription("blob " + digest.getHash() + "/"
                                + digest.getSizeBytes() + " is not in the cache").asRuntimeException();
                    }
                    // stores hand out arrays nobody writes to again (the memory cache shares them): no copy
                    one.setData(UnsafeByteOperations.unsafeWrap(data.get()));
                }));
                response.addResponses(one);
            }
            return response.build();
        });
    }

    @Override
    public void getTree(GetTreeRequest request, StreamObserver<GetTreeResponse> observer) {
        observer.onError(Status.UNIMPLEMENTED.withDescription("GetTree is not served by this cache")
                .asRuntimeException());
    }

    private static final com.google.rpc.Status OK = com.google.rpc.Status.newBuilder()
            .setCode(Status.Code.OK.value()).build();

    /** Runs one blob's part of a batch and turns its outcome into a google.rpc.Status. */
    private static com.google.rpc.Status status(String call, Runnable part) {
        try {
            part.run();
            return OK;
        } catch (RuntimeException e) {
            Status status = Failures.status(call, e);
            return com.google.rpc.Status.newBuilder().setCode(status.getCode().value())
                    .setMessage(String.valueOf(status.getDescription())).build();
        }
    }
}
