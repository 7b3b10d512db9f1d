package dev.cas.server;

import com.github.luben.zstd.ZstdDecompressCtx;
import com.github.luben.zstd.ZstdException;
import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/**
 * zstd as the {@code compressed-blobs/zstd} paths need it, a piece at a time: an upload's frame is decoded as its
 * messages arrive, and a download is encoded as it is read, so neither holds a blob whole.
 */
final class ZstdStreams {
    private static final int LEVEL = 3;
    private static final int BUFFER = 128 * 1024;

    private ZstdStreams() {
    }

    /** Reads {@code raw} and hands out its zstd encoding in pieces of about {@code chunk} bytes; null at the end. */
    static final class Encoder {
        private final InputStream raw;
        private final int chunk;
        private final ByteArrayOutputStream encoded = new ByteArrayOutputStream();
        private final ZstdOutputStream zstd;
        private boolean finished;

        Encoder(InputStream raw, int chunk) {
            this.raw = raw;
            this.chunk = chunk;
            try {
                this.zstd = new ZstdOutputStream(encoded, LEVEL);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        byte[] next() throws IOException {
            while (encoded.size() < chunk && !finished) {
                byte[] piece = raw.readNBytes(chunk);
                if (piece.length == 0) {
                    zstd.close();
                    finished = true;
                } else {
                    zstd.write(piece);
                }
            }
            if (encoded.size() == 0) {
                return null;
            }
            byte[] out = encoded.toByteArray();
            encoded.reset();
            return out;
        }

        void close() {
            try {
                zstd.close();
            } catch (IOException ignored) {
                // only releases native memory here
            }
        }
    }

    /** Decodes a zstd frame fed in pieces into {@code sink}; a frame that does not decode is INVALID_ARGUMENT. */
    static final class Decoder implements AutoCloseable {
        private final OutputStream sink;
        private final ZstdDecompressCtx context = new ZstdDecompressCtx();
        private final ByteBuffer in = ByteBuffer.allocateDirect(BUFFER);
        private final ByteBuffer out = ByteBuffer.allocateDirect(BUFFER);
        private final byte[] copy = new byte[BUFFER];
        private boolean frameEnded;

        Decoder(OutputStream sink) {
            this.sink = sink;
        }

        void write(byte[] bytes, int offset, int length) throws IOException {
            while (length > 0) {
                int n = Math.min(length, in.remaining());
                in.put(bytes, offset, n);
                offset += n;
                length -= n;
                in.flip();
                drain();
                in.compact();
            }
        }

        /** True once a whole frame has been decoded. */
        boolean frameEnded() {
            return frameEnded;
        }

        private void drain() throws IOException {
            boolean outputFull;
            do {
                if (frameEnded && in.hasRemaining()) {
                    throw Digests.invalid("data after the end of the zstd frame");
                }
                try {
                    frameEnded = context.decompressDirectByteBufferStream(out, in);
                } catch (ZstdException e) {
                    throw Digests.invalid("not a valid zstd frame: " + e.getMessage());
                }
                outputFull = !out.hasRemaining();
                out.flip();
                while (out.hasRemaining()) {
                    int n = Math.min(out.remaining(), copy.length);
                    out.get(copy, 0, n);
                    sink.write(copy, 0, n);
                }
                out.clear();
            } while (in.hasRemaining() || outputFull);
        }

        @Override
        public void close() {
            context.close();
        }
    }
}
