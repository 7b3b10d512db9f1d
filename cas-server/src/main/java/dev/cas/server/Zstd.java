package dev.cas.server;

import com.github.luben.zstd.ZstdException;

/** zstd for the {@code compressed-blobs/zstd} paths, with a bounded output and INVALID_ARGUMENT on bad frames. */
final class Zstd {
    private Zstd() {
    }

    /** Decompresses a frame that must hold exactly {@code size} bytes. */
    static byte[] decompress(byte[] frame, long size) {
        if (size > Integer.MAX_VALUE - 16) {
            throw Digests.invalid("blob of " + size + " bytes is too large for one message");
        }
        byte[] out = new byte[(int) size];
        long written;
        try {
            written = com.github.luben.zstd.Zstd.decompressByteArray(out, 0, out.length, frame, 0, frame.length);
        } catch (ZstdException e) {
            throw Digests.invalid("not a zstd frame of " + size + " bytes: " + e.getMessage());
        }
        if (written != size) {
            throw Digests.invalid("zstd frame holds " + written + " bytes, the digest says " + size);
        }
        return out;
    }
}
