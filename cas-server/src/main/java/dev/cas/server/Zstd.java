package dev.cas.server;

import com.github.luben.zstd.ZstdInputStream;
import java.io.ByteArrayInputStream;
import java.io.IOException;

/**
 * zstd for the {@code compressed-blobs/zstd} paths of batch uploads: streamed and bounded, INVALID_ARGUMENT on bad
 * frames. A frame is never trusted for its size: the output grows only as decompressed bytes arrive and stops one
 * byte past the size the digest declares, so a few bytes claiming gigabytes allocate next to nothing.
 */
final class Zstd {
    private Zstd() {
    }

    /**
     * Decompresses a frame that must hold exactly {@code size} bytes; the caller has already refused a declared size
     * over its limits, so at most {@code size + 1} bytes are ever produced.
     */
    static byte[] decompress(byte[] frame, long size) {
        if (size > Integer.MAX_VALUE - 16) {
            throw Digests.invalid("blob of " + size + " bytes is too large for one message");
        }
        byte[] out;
        try (ZstdInputStream in = new ZstdInputStream(new ByteArrayInputStream(frame))) {
            out = in.readNBytes((int) size + 1);
        } catch (IOException e) {
            throw Digests.invalid("not a zstd frame of " + size + " bytes: " + e.getMessage());
        }
        if (out.length != size) {
            throw Digests.invalid("zstd frame holds " + (out.length > size ? "more than " + size : out.length)
                    + " bytes, the digest says " + size);
        }
        return out;
    }
}
