package dev.cas.load;

import build.bazel.remote.execution.v2.Digest;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * The blobs a run uses, made from their index alone, so a preloading run and a measuring run (even in other
 * processes) agree on them: index {@code i} of {@code size} bytes. Indexes from {@link #MISS_BASE} up are never
 * uploaded: they are the misses of a hit ratio below one.
 */
final class Blobs {
    static final long MISS_BASE = 1L << 40;

    private final int size;

    Blobs(int size) {
        this.size = size;
    }

    int size() {
        return size;
    }

    ByteString content(long index) {
        byte[] bytes = new byte[size];
        new SplittableRandom(index * 0x9E3779B97F4A7C15L + size).nextBytes(bytes);
        if (size >= Long.BYTES) {
            ByteBuffer.wrap(bytes).putLong(index);
        }
        return ByteString.copyFrom(bytes);
    }

    Digest digest(long index) {
        return digestOf(content(index));
    }

    static Digest digestOf(ByteString content) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            sha256.update(content.asReadOnlyByteBuffer());
            return Digest.newBuilder().setHash(HexFormat.of().formatHex(sha256.digest()))
                    .setSizeBytes(content.size()).build();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
