package dev.cas.worker.common;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import dev.cas.store.Digest;
import dev.cas.store.KeptLibrary;
import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Switches the worker's SHA-256 to a native one (AWS-LC through the Amazon Corretto Crypto Provider, which uses the
 * CPU's SHA extensions) in the background. Why: the worker runs on C1 only, where the JDK's SHA-256 hashes ~125 MB/s
 * against ~1.5 GB/s native, and every key, stored object, verified read and direct-mode file check hashes (sqlite3.c:
 * 75 ms against 6 ms). Loading takes ~0.25 s (the provider's self-tests), so it runs beside whatever the
 * worker does first (loaded only when a unit first needed it, a build of hits from a shared cache took twice as
 * long); until it is ready, and wherever it cannot load, the JDK's SHA-256 serves.
 * {@code CAS_NATIVE_SHA256=0} keeps the JDK's. A worker started with {@link #keptLibraryOptions} loads the library
 * from a copy kept beside the launcher ({@link KeptLibrary}) instead of copying it out of its jar at every start.
 */
public final class NativeSha256 {
    private static final Logger log = LoggerFactory.getLogger(NativeSha256.class);
    private static final String LIBRARY_NAME = "amazonCorrettoCryptoProvider";
    private static final String LIBRARY_ENTRY =
            "com/amazon/corretto/crypto/provider/" + System.mapLibraryName(LIBRARY_NAME);
    /** The provider's switch: its library from {@code java.library.path} rather than out of its jar. */
    private static final String EXTERNAL_LIBRARY_PROPERTY = "com.amazon.corretto.crypto.provider.useExternalLib";
    /** Where the kept copy is, for the worker to extract it into before the provider looks. */
    private static final String KEPT_DIRECTORY_PROPERTY = "cas.native.sha256.dir";
    private static final AtomicBoolean STARTED = new AtomicBoolean();
    private static final CountDownLatch ATTEMPTED = new CountDownLatch(1);

    private NativeSha256() {
    }

    /** Starts loading it once per process, unless {@code environment} says not to. */
    public static void loadInBackground(Map<String, String> environment) {
        if ("0".equals(environment.get("CAS_NATIVE_SHA256")) || !STARTED.compareAndSet(false, true)) {
            return;
        }
        Thread loader = new Thread(() -> {
            try {
                load();
            } finally {
                ATTEMPTED.countDown();
            }
        }, "cas-native-sha256");
        loader.setDaemon(true);
        loader.start();
    }

    /**
     * Waits, at most {@code patience}, until the background load has succeeded or failed; returns at once when none
     * was started.
     */
    public static void awaitLoad(Duration patience) throws InterruptedException {
        if (STARTED.get()) {
            ATTEMPTED.await(patience.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /**
     * The JVM options that make a worker load the library from a copy kept under {@code nativeDirectory}: the
     * provider copies its 9.6 MB library out of its jar into a new temporary directory at each start otherwise (~60 ms
     * of processor time, beside the probes that begin a build). The library path keeps this JVM's entries after the
     * copy's; none when this JVM has no such library on its class path.
     */
    public static List<String> keptLibraryOptions(Path nativeDirectory) {
        try {
            Path directory = KeptLibrary.of(NativeSha256.class.getClassLoader(), LIBRARY_ENTRY, nativeDirectory,
                    "aws-lc", System.mapLibraryName(LIBRARY_NAME)).directory();
            String inherited = System.getProperty("java.library.path", "");
            String libraryPath = inherited.isEmpty() ? directory.toString()
                    : directory + File.pathSeparator + inherited;
            return List.of("-D" + EXTERNAL_LIBRARY_PROPERTY + "=true", "-D" + KEPT_DIRECTORY_PROPERTY + "=" + directory,
                    "-Djava.library.path=" + libraryPath);
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * The kept copy, extracted when missing, if this JVM was started with {@link #keptLibraryOptions}; when it cannot
     * be written, the provider is told to copy its library out of its jar as usual.
     */
    private static void keepLibrary() {
        String directory = System.getProperty(KEPT_DIRECTORY_PROPERTY);
        if (directory == null || !Boolean.getBoolean(EXTERNAL_LIBRARY_PROPERTY)) {
            return;
        }
        try {
            KeptLibrary.at(NativeSha256.class.getClassLoader(), LIBRARY_ENTRY, Path.of(directory),
                    System.mapLibraryName(LIBRARY_NAME)).extracted();
        } catch (IOException | RuntimeException e) {
            log.debug("native SHA-256's library not kept in {}: {}", directory, e.toString());
            System.setProperty(EXTERNAL_LIBRARY_PROPERTY, "false");
        }
    }

    /** Loads it and makes it the process's SHA-256; false (and the JDK's stays) when it cannot load or disagrees. */
    static boolean load() {
        long begin = System.nanoTime();
        try {
            keepLibrary();
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
