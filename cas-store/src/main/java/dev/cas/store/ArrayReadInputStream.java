package dev.cas.store;

import java.io.IOException;
import java.io.InputStream;

/** An input stream whose single-byte read is its array read, for streams that only make sense in bulk. */
abstract class ArrayReadInputStream extends InputStream {
    @Override
    public final int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public abstract int read(byte[] bytes, int offset, int length) throws IOException;
}
