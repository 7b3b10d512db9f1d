package dev.cas.store;

import com.github.luben.zstd.ZstdCompressCtx;
import com.github.luben.zstd.ZstdDecompressCtx;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Reuses zstd contexts across calls. {@code Zstd.compress}/{@code Zstd.decompress} make and free a native context
 * per call, which costs more than coding a 4 KiB value (it was the largest single item in a profile of 4 KiB
 * reads). A bounded number of idle contexts are kept, so threads that come and go hold no native memory.
 */
final class ZstdContexts {
    private static final int IDLE_PER_KIND = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());

    private final int level;
    private final BlockingQueue<ZstdCompressCtx> compressors = new ArrayBlockingQueue<>(IDLE_PER_KIND);
    private final BlockingQueue<ZstdDecompressCtx> decompressors = new ArrayBlockingQueue<>(IDLE_PER_KIND);

    ZstdContexts(int level) {
        this.level = level;
    }

    /** One zstd frame holding {@code value}, with its size recorded. */
    byte[] compress(byte[] value) {
        ZstdCompressCtx context = compressors.poll();
        if (context == null) {
            context = new ZstdCompressCtx().setLevel(level);
        }
        boolean reusable = false;
        try {
            byte[] frame = context.compress(value);
            reusable = true;
            return frame;
        } finally {
            release(context, reusable);
        }
    }

    /** The {@code size} bytes a frame holds; a frame that will not decode throws a RuntimeException. */
    byte[] decompress(byte[] frame, int size) {
        ZstdDecompressCtx context = decompressors.poll();
        if (context == null) {
            context = new ZstdDecompressCtx();
        }
        boolean reusable = false;
        try {
            byte[] value = context.decompress(frame, size);
            reusable = true;
            return value;
        } finally {
            if (!reusable || !decompressors.offer(context)) {
                context.close(); // after a failure a context is not trusted again
            }
        }
    }

    private void release(ZstdCompressCtx context, boolean reusable) {
        if (!reusable || !compressors.offer(context)) {
            context.close();
        }
    }
}
