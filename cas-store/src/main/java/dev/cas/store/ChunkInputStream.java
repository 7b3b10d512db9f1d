package dev.cas.store;

import java.io.IOException;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;

/**
 * Reads a chunked value one chunk at a time from a consistent snapshot, so a value removed or replaced while it is
 * being read still reads whole, and memory holds one chunk, not the value.
 */
final class ChunkInputStream extends ArrayReadInputStream {
    /** Reads one chunk under the snapshot; null when it is not there. */
    interface ChunkSource {
        byte[] chunk(ReadOptions snapshot, byte[] key) throws RocksDBException;
    }

    private final ChunkedValues.Head head;
    private final ChunkSource source;
    private final ReadOptions snapshot;
    private final Runnable release;
    private byte[] chunk = new byte[0];
    private int position;
    private int next;
    private long delivered;
    private boolean closed;

    ChunkInputStream(ChunkedValues.Head head, ChunkSource source, ReadOptions snapshot, Runnable release) {
        this.head = head;
        this.source = source;
        this.snapshot = snapshot;
        this.release = release;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        if (closed) {
            throw new IOException("stream closed");
        }
        if (length == 0) {
            return 0;
        }
        while (position == chunk.length) {
            if (next == head.chunks()) {
                if (delivered != head.size()) {
                    throw StoreException.corrupt("chunked value holds " + delivered + " bytes, its head says "
                            + head.size(), null).asIOException();
                }
                return -1;
            }
            try {
                chunk = source.chunk(snapshot, head.chunkKey(next));
            } catch (RocksDBException e) {
                throw StoreException.failed("RocksDB read of chunk " + next + " failed: " + e.getMessage(), e)
                        .asIOException();
            }
            if (chunk == null) {
                throw StoreException.corrupt("chunk " + next + " of " + head.chunks() + " is missing", null)
                        .asIOException();
            }
            next++;
            position = 0;
        }
        int n = Math.min(length, chunk.length - position);
        System.arraycopy(chunk, position, buffer, offset, n);
        position += n;
        delivered += n;
        return n;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            release.run();
        }
    }
}
