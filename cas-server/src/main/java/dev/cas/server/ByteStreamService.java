package dev.cas.server;

import com.github.luben.zstd.Zstd;
import com.google.bytestream.ByteStreamGrpc;
import com.google.bytestream.QueryWriteStatusRequest;
import com.google.bytestream.QueryWriteStatusResponse;
import com.google.bytestream.ReadRequest;
import com.google.bytestream.ReadResponse;
import com.google.bytestream.WriteRequest;
import com.google.bytestream.WriteResponse;
import com.google.common.util.concurrent.MoreExecutors;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.cas.store.BlobStore;
import dev.cas.store.BlobWriter;
import dev.cas.store.Digest;
import dev.cas.store.StoreException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * google.bytestream over the CAS, with REAPI's resource names: plain and {@code compressed-blobs/zstd} reads and
 * writes, streamed through the store chunk by chunk (a blob is never held whole). Reads follow the client's flow
 * control and hold back their last message until the blob has been verified, so a damaged blob never arrives
 * complete. A write is checked against its digest before it is acknowledged; a write of a blob already held ends at
 * once, as the API allows.
 */
final class ByteStreamService extends ByteStreamGrpc.ByteStreamImplBase {
    private static final Logger log = LoggerFactory.getLogger(ByteStreamService.class);
    private static final int CHUNK = 64 * 1024;

    /** Blobs up to this size are read on the transport thread. */
    private static final long INLINE_READ_BYTES = 64 * 1024;

    private final BlobStore cas;
    private final long maxBlobBytes;
    private final Executor pool;

    /** {@code pool} runs reads of larger blobs. */
    ByteStreamService(BlobStore cas, long maxBlobBytes, Executor pool) {
        this.cas = cas;
        this.maxBlobBytes = maxBlobBytes;
        this.pool = pool;
    }

    /**
     * Runs on the transport thread (the read is among the server's quick calls): a blob up to
     * {@link #INLINE_READ_BYTES} is read and sent there, a hand-off costing more than the read; a larger one, which
     * reads chunk after chunk from disk, moves to the pool.
     */
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
            if (request.getReadOffset() > name.digest().size()) {
                throw Status.OUT_OF_RANGE.withDescription("read_offset " + request.getReadOffset()
                        + " is past the end of a " + name.digest().size() + "-byte blob").asRuntimeException();
            }
            if (name.zstd() && request.getReadLimit() != 0) {
                throw Digests.invalid("read_limit must be 0 when reading compressed-blobs");
            }
            Executor executor = name.digest().size() <= INLINE_READ_BYTES ? MoreExecutors.directExecutor()
                    : MoreExecutors.newSequentialExecutor(pool);
            new Download((ServerCallStreamObserver<ReadResponse>) observer, name, request, executor).begin();
        } catch (RuntimeException e) {
            observer.onError(Failures.grpc("Read", e));
        }
    }

    @Override
    public StreamObserver<WriteRequest> write(StreamObserver<WriteResponse> observer) {
        return new Upload(observer);
    }

    /** Held with the size the digest declares: a blob recorded with another size (or none yet) is written again. */
    private boolean held(Digest digest) {
        return cas.findMissing(List.of(digest)).isEmpty();
    }

    @Override
    public void queryWriteStatus(QueryWriteStatusRequest request, StreamObserver<QueryWriteStatusResponse> observer) {
        Failures.respond(observer, "QueryWriteStatus", () -> {
            ResourceName name = ResourceName.forWrite(request.getResourceName());
            boolean complete = held(name.digest());
            return QueryWriteStatusResponse.newBuilder().setComplete(complete)
                    .setCommittedSize(complete ? name.digest().size() : 0).build();
        });
    }

    private static StatusRuntimeException notFound(ResourceName name) {
        return Status.NOT_FOUND.withDescription("blob " + name.digest() + " is not in the cache").asRuntimeException();
    }

    /**
     * A read that sends while the client is ready, one message ahead of what has been verified. Everything it does
     * (opening the blob, sending, giving up on cancellation) runs on one executor, one task at a time.
     */
    private final class Download {
        private final ServerCallStreamObserver<ReadResponse> observer;
        private final ResourceName name;
        private final ReadRequest request;
        private final Executor executor;
        private InputStream blob;
        /** A small blob read whole: its pieces are views of the array, sent without a copy. */
        private byte[] whole;
        private int position;
        private ZstdStreams.Encoder encoder;
        private long remaining;
        private ByteString held;
        private boolean done;

        Download(ServerCallStreamObserver<ReadResponse> observer, ResourceName name, ReadRequest request,
                Executor executor) {
            this.observer = observer;
            this.name = name;
            this.request = request;
            this.executor = executor;
        }

        /** Sets the call's handlers (allowed only now, in the service method) and opens the blob on the executor. */
        void begin() {
            observer.setOnCancelHandler(() -> executor.execute(this::finish));
            observer.setOnReadyHandler(() -> executor.execute(this::sendWhileReady));
            executor.execute(this::open);
        }

        private void open() {
            try {
                if (!name.zstd() && name.digest().size() <= INLINE_READ_BYTES) {
                    whole = cas.get(name.digest()).orElseThrow(() -> notFound(name)); // checked whole by the store
                    position = (int) request.getReadOffset();
                } else {
                    blob = cas.openRead(name.digest()).orElseThrow(() -> notFound(name));
                    blob.skipNBytes(request.getReadOffset());
                }
            } catch (IOException | RuntimeException e) {
                fail(e);
                return;
            }
            long available = name.digest().size() - request.getReadOffset();
            remaining = request.getReadLimit() == 0 ? available : Math.min(available, request.getReadLimit());
            if (name.zstd()) {
                encoder = new ZstdStreams.Encoder(blob, CHUNK);
            }
        }

        private void sendWhileReady() {
            if (blob == null && whole == null) {
                return; // not found or failed while opening: the call has ended
            }
            try {
                while (!done && observer.isReady()) {
                    ByteString next = nextPiece();
                    if (next == null && blob != null) {
                        // the verifying store checks a blob at its end: read what a read_limit left, then send
                        blob.transferTo(OutputStream.nullOutputStream());
                    }
                    if (held != null) {
                        observer.onNext(ReadResponse.newBuilder().setData(held).build());
                    }
                    held = next;
                    if (next == null) {
                        finish();
                        observer.onCompleted();
                    }
                }
            } catch (IOException | RuntimeException e) {
                fail(e);
            }
        }

        /** The next message's data, or null at the end; every array wrapped here is fresh or never written again. */
        private ByteString nextPiece() throws IOException {
            if (encoder != null) {
                byte[] encoded = encoder.next();
                return encoded == null ? null : UnsafeByteOperations.unsafeWrap(encoded);
            }
            if (remaining == 0) {
                return null;
            }
            int length = (int) Math.min(CHUNK, remaining);
            remaining -= length;
            if (whole != null) {
                position += length;
                return UnsafeByteOperations.unsafeWrap(whole, position - length, length);
            }
            byte[] piece = blob.readNBytes(length);
            if (piece.length < length) {
                throw StoreException.wrongSize("blob " + name.digest() + " ended early");
            }
            return UnsafeByteOperations.unsafeWrap(piece);
        }

        /** Ends the call with the failure (a blob found damaged or of another size reads as not found). */
        private void fail(Exception e) {
            finish();
            observer.onError(Failures.grpc("Read of " + name.digest(), e));
        }

        private void finish() {
            if (done) {
                return;
            }
            done = true;
            if (encoder != null) {
                encoder.close();
            }
            if (blob == null) {
                return;
            }
            try {
                blob.close();
            } catch (IOException ignored) {
                // releasing a snapshot cannot fail in a way the client needs to hear of
            }
        }
    }

    /**
     * One client-streamed write: offsets must follow on, the data (decoded, for zstd) flows into a store writer that
     * checks it against the digest; only a verified commit is acknowledged.
     */
    private final class Upload implements StreamObserver<WriteRequest> {
        private final StreamObserver<WriteResponse> observer;
        private ResourceName name;
        private String resourceName;
        private BlobWriter writer;
        private ZstdStreams.Decoder decoder;
        private long received;
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
                if (request.getWriteOffset() != received) {
                    throw Digests.invalid("write_offset " + request.getWriteOffset() + " does not follow the "
                            + received + " bytes received");
                }
                if (received + request.getData().size() > limit) {
                    throw Digests.invalid("more data than the " + name.digest().size() + "-byte blob "
                            + name.digest().hash() + " can hold");
                }
                received += request.getData().size();
                OutputStream sink = decoder == null ? writer : new OutputStream() {
                    @Override
                    public void write(int b) throws IOException {
                        write(new byte[] {(byte) b}, 0, 1);
                    }

                    @Override
                    public void write(byte[] bytes, int offset, int length) throws IOException {
                        decoder.write(bytes, offset, length);
                    }
                };
                request.getData().writeTo(sink);
                if (request.getFinishWrite()) {
                    commit();
                }
            } catch (IOException | RuntimeException e) {
                fail(Failures.grpc("Write", e));
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
            if (held(name.digest())) {
                respond(name.zstd() ? -1 : size);
                return true;
            }
            limit = name.zstd() ? Zstd.compressBound(size) + 1024 : size;
            writer = cas.openWrite(name.digest());
            if (name.zstd()) {
                decoder = new ZstdStreams.Decoder(writer);
            }
            return false;
        }

        private void commit() throws IOException {
            if (decoder != null && !decoder.frameEnded()) {
                throw Digests.invalid("the zstd frame is incomplete at finish_write");
            }
            writer.commit();
            release();
            respond(received);
        }

        private void respond(long committed) {
            finished = true;
            observer.onNext(WriteResponse.newBuilder().setCommittedSize(committed).build());
            observer.onCompleted();
        }

        private void fail(StatusRuntimeException e) {
            finished = true;
            release();
            observer.onError(e);
        }

        /** Closes the writer (discarding anything uncommitted) and the decoder. */
        private void release() {
            try {
                if (writer != null) {
                    writer.close();
                }
            } catch (IOException e) {
                log.warn("discarding an unfinished write of {} failed: {}", name.digest(), e.getMessage());
            }
            if (decoder != null) {
                decoder.close();
                decoder = null;
            }
        }

        @Override
        public void onError(Throwable t) {
            finished = true; // the client went away: nothing was acknowledged, nothing is kept
            release();
        }

        @Override
        public void onCompleted() {
            if (!finished) {
                fail(Digests.invalid("the write stream ended before finish_write"));
            }
        }
    }
}
