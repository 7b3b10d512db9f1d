package dev.cas.store;

import com.github.luben.zstd.RecyclingBufferPool;
import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdInputStream;
import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.Optional;
import java.util.Set;

/**
 * Stores values zstd-compressed and hands them back as they were written. Object files shrink to about a third,
 * which is what lets a size-bounded cache hold three times as many builds. Streams are compressed and decompressed
 * as they flow, so a large value is never held whole; a frame that will not decode is reported as corrupt.
 */
public final class CompressingBlobStore implements BlobStore {
    /** Values written up to this size are compressed whole. */
    static final int ONE_SHOT_BYTES = 64 * 1024;

    private final BlobStore delegate;
    private final int level;
    private final ZstdContexts contexts;

    public CompressingBlobStore(BlobStore delegate, int level) {
        this.delegate = delegate;
        this.level = level;
        this.contexts = new ZstdContexts(level);
    }

    @Override
    public Optional<byte[]> get(Digest digest) {
        return delegate.get(digest).map(stored -> decompress(digest, stored));
    }

    @Override
    public void put(Digest digest, byte[] value) {
        delegate.put(digest, contexts.compress(value));
    }

    @Override
    public void delete(Digest digest) {
        delegate.delete(digest);
    }

    @Override
    public Set<Digest> findMissing(Collection<Digest> digests) {
        return delegate.findMissing(digests);
    }

    @Override
    public boolean contains(Digest digest) {
        return delegate.contains(digest);
    }

    @Override
    public Optional<InputStream> openRead(Digest digest) {
        return delegate.openRead(digest).map(stored -> new DecompressingInputStream(digest, stored));
    }

    /**
     * Values up to {@link #ONE_SHOT_BYTES} are gathered and compressed in one call with a pooled context (a frame
     * that records its size, decoded in one call too); a longer one is compressed as it streams. A stream per write
     * cost a native context and 128 KiB of buffers each time: 4 KiB uploads spent more time collecting garbage than
     * storing.
     */
    @Override
    public BlobWriter openWrite(Digest digest) {
        BlobWriter stored = delegate.openWrite(digest);
        return new BlobWriter() {
            private ByteArrayOutputStream gathered = new ByteArrayOutputStream();
            private ZstdOutputStream zstd;

            @Override
            protected void onWrite(byte[] bytes, int offset, int length) throws IOException {
                if (zstd == null && gathered.size() + length <= ONE_SHOT_BYTES) {
                    gathered.write(bytes, offset, length);
                    return;
                }
                if (zstd == null) {
                    zstd = compressingStream(stored);
                    gathered.writeTo(zstd);
                    gathered = null;
                }
                zstd.write(bytes, offset, length);
            }

            @Override
            protected void onCommit() throws IOException {
                try {
                    if (zstd == null) {
                        stored.write(contexts.compress(gathered.toByteArray()));
                    } else {
                        zstd.close();
                    }
                } catch (IOException | RuntimeException e) {
                    stored.close();
                    throw e;
                }
                stored.commit();
            }

            @Override
            protected void onAbort() throws IOException {
                try {
                    if (zstd != null) {
                        zstd.close();
                    }
                } catch (IOException ignored) {
                    // the frame is being thrown away
                } finally {
                    stored.close();
                }
            }
        };
    }

    /** A zstd stream into {@code stored} whose closing finishes the frame but leaves the writer beneath open. */
    private ZstdOutputStream compressingStream(BlobWriter stored) throws IOException {
        return new ZstdOutputStream(new FilterOutputStream(stored) {
            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                out.write(bytes, offset, length);
            }

            @Override
            public void close() {
                // finishing the frame must not close (abort) the writer beneath
            }
        }, RecyclingBufferPool.INSTANCE, level);
    }

    private byte[] decompress(Digest digest, byte[] stored) {
        long size;
        try {
            size = Zstd.getFrameContentSize(stored);
        } catch (RuntimeException e) {
            size = -1; // a streamed frame does not record its size (or it is no frame: the stream will say so)
        }
        try {
            if (size < 0) {
                try (InputStream in = new DecompressingInputStream(digest, new ByteArrayInputStream(stored))) {
                    return in.readAllBytes();
                }
            }
            if (size > Integer.MAX_VALUE) {
                throw StoreException.corrupt("zstd frame of " + digest + " claims " + size + " bytes", null);
            }
            return contexts.decompress(stored, (int) size);
        } catch (StoreException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw StoreException.corrupt("cannot decompress " + digest + ": " + e.getMessage(), e);
        }
    }

    /** Decodes as it reads; a frame that does not decode fails as {@code CORRUPT}, a failing source as itself. */
    private static final class DecompressingInputStream extends ArrayReadInputStream {
        private final Digest digest;
        private final InputStream source;
        private final ZstdInputStream zstd;
        private boolean sourceFailed;

        DecompressingInputStream(Digest digest, InputStream stored) {
            this.digest = digest;
            this.source = new FilterInputStream(stored) {
                @Override
                public int read(byte[] bytes, int offset, int length) throws IOException {
                    try {
                        return super.read(bytes, offset, length);
                    } catch (IOException e) {
                        sourceFailed = true;
                        throw e;
                    }
                }
            };
            try {
                this.zstd = new ZstdInputStream(source, RecyclingBufferPool.INSTANCE);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot start a zstd stream", e);
            }
        }

        @Override
        public int read(byte[] bytes, int offset, int length) throws IOException {
            try {
                return zstd.read(bytes, offset, length);
            } catch (IOException e) {
                if (sourceFailed || StoreException.in(e).isPresent()) {
                    throw e;
                }
                throw StoreException.corrupt("cannot decompress " + digest + ": " + e.getMessage(), e).asIOException();
            }
        }

        @Override
        public void close() throws IOException {
            zstd.close();
        }
    }
}
