package dev.cas.server;

import com.google.bytestream.ByteStreamGrpc;
import com.google.bytestream.QueryWriteStatusRequest;
import com.google.bytestream.QueryWriteStatusResponse;
import com.google.bytestream.ReadRequest;
import com.google.bytestream.ReadResponse;
import com.google.bytestream.WriteRequest;
import com.google.bytestream.WriteResponse;
import com.google.protobuf.ByteString;
import dev.cas.store.BlobStore;
import dev.cas.store.Digest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;

/**
 * google.bytestream over the CAS, with REAPI's resource names: plain and {@code compressed-blobs/zstd} reads and
 * writes. A write is checked against its digest before it is acknowledged; a write of a blob already held ends at
 * once, as the API allows. Reads go out in 64 KiB messages. Limitation for now: a blob is held whole in memory
 * while it is read or written (the store keeps each blob as one value).
 */
final class ByteStreamService extends ByteStreamGrpc.ByteStreamImplBase {
    private static final int CHUNK = 64 * 1024;

    private final BlobStore cas;
    private final long maxBlobBytes;

    ByteStreamService(BlobStore cas, long maxBlobBytes) {
        this.cas = cas;
        this.maxBlobBytes = maxBlobBytes;
    }

    @Override
    public void read(ReadRequest request, StreamObserver<ReadResponse> observer) {
        try {
            ResourceName name = ResourceName.forRead(request.getResourceName());
            if (request.getReadOffset() < 0) {
                throw Status.OUT_OF_RANGE.withDescription("negative read_offset " + request.getReadOffset())
                        .asRuntimeException();
            }
            if (request.getReadLimit() < 0) {
                throw Digests.invalid("negative read_limit " + request.getReadLimit());
            }
            if (name.zstd() && request.getReadLimit() != 0) {
                throw Digests.invalid("read_limit must be 0 when reading compressed-blobs");
            }
            byte[] blob = cas.get(name.digest()).orElseThrow(() -> Status.NOT_FOUND
                    .withDescription("blob " + name.digest() + " is not in the cache").asRuntimeException());
            if (request.getReadOffset() > blob.length) {
                throw Status.OUT_OF_RANGE.withDescription("read_offset " + request.getReadOffset()
                        + " is past the end of a " + blob.length + "-byte blob").asRuntimeException();
            }
            int from = (int) request.getReadOffset();
            int to = request.getReadLimit() == 0 ? blob.length
                    : (int) Math.min(blob.length, from + request.getReadLimit());
            byte[] slice = from == 0 && to == blob.length ? blob : Arrays.copyOfRange(blob, from, to);
            if (name.zstd()) {
                slice = Zstd.compress(slice);
            }
            for (int at = 0; at < slice.length; at += CHUNK) {
                observer.onNext(ReadResponse.newBuilder()
                        .setData(ByteString.copyFrom(slice, at, Math.min(CHUNK, slice.length - at))).build());
            }
            observer.onCompleted();
        } catch (StatusRuntimeException e) {
            observer.onError(e);
        } catch (RuntimeException e) {
            observer.onError(Calls.internal("Read", e));
        }
    }

    @Override
    public StreamObserver<WriteRequest> write(StreamObserver<WriteResponse> observer) {
        return new Upload(observer);
    }

    @Override
    public void queryWriteStatus(QueryWriteStatusRequest request, StreamObserver<QueryWriteStatusResponse> observer) {
        Calls.respond(observer, "QueryWriteStatus", () -> {
            Digest digest = ResourceName.forWrite(request.getResourceName()).digest();
            boolean complete = digest.size() == 0 || cas.findMissing(List.of(digest)).isEmpty();
            return QueryWriteStatusResponse.newBuilder().setComplete(complete)
                    .setCommittedSize(complete ? digest.size() : 0).build();
        });
    }

    /** One client-streamed write: offsets must follow on, the total must fit the digest, the content must match. */
    private final class Upload implements StreamObserver<WriteRequest> {
        private final StreamObserver<WriteResponse> observer;
        private ResourceName name;
        private String resourceName;
        private ByteArrayOutputStream received;
        private long limit;
        private boolean finished;

        Upload(StreamObserver<WriteResponse> observer) {
            this.observer = observer;
        }

        @Override
        public void onNext(WriteRequest request) {
            if (finished) {
                return;
            }
            try {
                if (name == null && start(request)) {
                    return;
                }
                if (!request.getResourceName().isEmpty() && !request.getResourceName().equals(resourceName)) {
                    throw Digests.invalid("resource_name changed within one write: '" + request.getResourceName()
                            + "'");
                }
                if (request.getWriteOffset() != received.size()) {
                    throw Digests.invalid("write_offset " + request.getWriteOffset() + " does not follow the "
                            + received.size() + " bytes received");
                }
                if (received.size() + (long) request.getData().size() > limit) {
                    throw Digests.invalid("more data than the " + name.digest().size() + "-byte blob "
                            + name.digest().hash() + " can hold");
                }
                request.getData().writeTo(received);
                if (request.getFinishWrite()) {
                    commit();
                }
            } catch (StatusRuntimeException e) {
                fail(e);
            } catch (java.io.IOException | RuntimeException e) {
                fail(Calls.internal("Write", e instanceof RuntimeException r ? r
                        : new IllegalStateException(e)));
            }
        }

        /** Reads the first message's name; true when the blob is already held and the write ended early. */
        private boolean start(WriteRequest request) {
            resourceName = request.getResourceName();
            name = ResourceName.forWrite(resourceName);
            long size = name.digest().size();
            if (size > maxBlobBytes) {
                throw Status.RESOURCE_EXHAUSTED.withDescription("blob of " + size + " bytes exceeds the limit of "
                        + maxBlobBytes + " bytes").asRuntimeException();
            }
            if (request.getWriteOffset() != 0) {
                throw Digests.invalid("resumed writes are not supported: write_offset must start at 0, got "
                        + request.getWriteOffset());
            }
            if (size == 0 || cas.findMissing(List.of(name.digest())).isEmpty()) {
                respond(name.zstd() ? -1 : size);
                return true;
            }
            limit = name.zstd() ? com.github.luben.zstd.Zstd.compressBound(size) : size;
            received = new ByteArrayOutputStream((int) Math.min(size, 1 << 20));
            return false;
        }

        private void commit() {
            byte[] data = received.toByteArray();
            byte[] blob = name.zstd() ? Zstd.decompress(data, name.digest().size()) : data;
            try {
                cas.put(name.digest(), blob);
            } catch (IllegalArgumentException e) {
                throw Digests.invalid(e.getMessage());
            }
            respond(data.length);
        }

        private void respond(long committed) {
            finished = true;
            observer.onNext(WriteResponse.newBuilder().setCommittedSize(committed).build());
            observer.onCompleted();
        }

        private void fail(StatusRuntimeException e) {
            finished = true;
            received = null;
            observer.onError(e);
        }

        @Override
        public void onError(Throwable t) {
            finished = true; // the client went away: nothing was acknowledged, nothing is kept
            received = null;
        }

        @Override
        public void onCompleted() {
            if (!finished) {
                fail(Digests.invalid("the write stream ended before finish_write"));
            }
        }
    }
}
