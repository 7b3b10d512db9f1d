package dev.cas.store;

import java.io.IOException;
import java.io.OutputStream;

/**
 * A value being written as a stream: its bytes become the entry only when {@link #commit()} succeeds, so a writer
 * that is closed without a commit (a client that went away, a digest that did not match) leaves the store as it was.
 * This is what lets a blob larger than memory move through the cache.
 */
public abstract class BlobWriter extends OutputStream {
    private boolean open = true;

    /** Makes what was written the entry's value, atomically, and closes the writer. */
    public final void commit() throws IOException {
        ensureOpen();
        open = false;
        onCommit();
    }

    /** Discards what was written, unless it was committed. Calling it twice is harmless. */
    @Override
    public final void close() throws IOException {
        if (open) {
            open = false;
            onAbort();
        }
    }

    @Override
    public final void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public final void write(byte[] bytes, int offset, int length) throws IOException {
        ensureOpen();
        onWrite(bytes, offset, length);
    }

    protected abstract void onWrite(byte[] bytes, int offset, int length) throws IOException;

    protected abstract void onCommit() throws IOException;

    protected abstract void onAbort() throws IOException;

    private void ensureOpen() throws IOException {
        if (!open) {
            throw new IOException("the blob writer is already committed or closed");
        }
    }
}
