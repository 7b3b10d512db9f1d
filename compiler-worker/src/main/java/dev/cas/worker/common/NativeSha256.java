package dev.cas.worker.common;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import dev.cas.store.Digest;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Switches the worker's SHA-256 to a native one (AWS-LC through the Amazon Corretto Crypto Provider, which uses the
 * CPU's SHA extensions) in the background. Why: the worker runs on C1 only, where the JDK's SHA-256 hashes ~125 MB/s
 * against ~1.5 GB/s native, and every key, stored object, verified read and direct-mode file check hashes (sqlite3.c:
 * 75 ms against 6 ms). Loading costs ~0.45 s of processor time (the library is unpacked and checked); it starts
 * with the worker, in the background: loaded on demand instead (an optimised unit, a large file), a cold -O0 build
 * saved that time but a build of hits from a shared cache doubled (bench/ci-cache.sh: 0.42 s → 0.81 s), hashing
 * its objects with the JDK's while the library loaded beside it. Until it is ready, and wherever it cannot load,
 * the JDK's SHA-256 serves. {@code CAS_NATIVE_SHA256=0} keeps the JDK's.
 */
public final class NativeSha256 {
    private static final Logger log = LoggerFactory.getLogger(NativeSha256.class);
    private static final AtomicBoolean STARTED = new AtomicBoolean();
    private static volatile boolean allowed;

    private NativeSha256() {
    }

    /** Lets {@link #loadInBackground()} load it in this process, unless {@code environment} says not to. */
    public static void allow(Map<String, String> environment) {
        allowed = !"0".equals(environment.get("CAS_NATIVE_SHA256"));
    }

    /** Starts loading it once per process, if {@link #allow allowed}; returns at once. */
    public static void loadInBackground() {
        if (!allowed || !STARTED.compareAndSet(false, true)) {
            return;
        }
        Thread loader = new Thread(NativeSha256::load, "cas-native-sha256");
        loader.setDaemon(true);
        loader.start();
    }

    /** Loads it and makes it the process's SHA-256; false (and the JDK's stays) when it cannot load or disagrees. */
    static boolean load() {
        long begin = System.nanoTime();
        try {
            AmazonCorrettoCryptoProvider provider = AmazonCorrettoCryptoProvider.INSTANCE;
            Throwable error = provider.getLoadingError();
            if (error != null) {
                log.info("native SHA-256 unavailable, the JDK's serves: {}", error.toString());
                return false;
            }
            if (!Digest.prefer(provider)) {
                log.warn("native SHA-256 disagrees with the JDK's on a known input; the JDK's serves");
                return false;
            }
            log.debug("native SHA-256 ready in {} ms", (System.nanoTime() - begin) / 1_000_000);
            return true;
        } catch (LinkageError | RuntimeException e) {
            log.info("native SHA-256 unavailable, the JDK's serves: {}", e.toString());
            return false;
        }
    }
}
