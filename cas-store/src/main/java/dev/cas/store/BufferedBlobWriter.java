package dev.cas.store;

import java.io.ByteArrayOutputStream;
import java.util.function.Consumer;

/** A writer for stores that keep each value whole: collects the bytes and puts them on commit. */
final class BufferedBlobWriter extends BlobWriter {
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private final Consumer<byte[]> put;

    BufferedBlobWriter(Consumer<byte[]> put) {
        this.put = put;
    }

    @Override
    protected void onWrite(byte[] bytes, int offset, int length) {
        buffer.write(bytes, offset, length);
    }

    @Override
    protected void onCommit() {
        put.accept(buffer.toByteArray());
    }

    @Override
    protected void onAbort() {
        buffer.reset();
    }
}
