package dev.cas.worker.remote;

import dev.cas.store.Digest;
import dev.cas.worker.cache.Stat;
import dev.cas.worker.cache.UnitManifest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ObjLongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends results compiled here to the server without holding up the build: a queue bounded in bytes (results beyond
 * it are dropped and counted, never waited for), drained by one thread in batches: one FindMissingBlobs per batch, as
 * few BatchUpdateBlobs as the missing blobs need, then the action results, written last so that no result on the
 * server names a blob it lacks. Closing waits a while for the queue to drain.
 */
final class BackgroundUploads implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BackgroundUploads.class);
    private static final int RESULTS_PER_BATCH = 512;

    /** One result to upload. */
    record Upload(Digest key, UnitManifest manifest, Map<Digest, byte[]> blobs) {
        long bytes() {
            return blobs.values().stream().mapToLong(blob -> blob.length).sum();
        }
    }

    private final RemoteCache remote;
    private final Outage outage;
    private final ObjLongConsumer<Stat> counters;
    private final long maxQueuedBytes;
    private final BlockingQueue<Upload> queue = new LinkedBlockingQueue<>();
    private final AtomicLong queuedBytes = new AtomicLong();
    private final AtomicInteger pending = new AtomicInteger();
    private final Thread sender;
    private volatile boolean refused;
    private volatile boolean closing;

    BackgroundUploads(RemoteCache remote, Outage outage, ObjLongConsumer<Stat> counters, long maxQueuedBytes) {
        this.remote = remote;
        this.outage = outage;
        this.counters = counters;
        this.maxQueuedBytes = maxQueuedBytes;
        this.sender = new Thread(this::run, "cas-remote-upload");
        sender.setDaemon(true);
        sender.start();
    }

    /** Queues an upload; drops it (counted) when the queue is full, the server is out or refuses uploads. */
    void offer(Upload upload) {
        long bytes = upload.bytes();
        if (closing || refused || outage.ongoing()) {
            counters.accept(Stat.REMOTE_UPLOADS_DROPPED, 1);
            return;
        }
        if (queuedBytes.addAndGet(bytes) > maxQueuedBytes) {
            queuedBytes.addAndGet(-bytes);
            counters.accept(Stat.REMOTE_UPLOADS_DROPPED, 1);
            return;
        }
        pending.incrementAndGet();
        queue.add(upload);
    }

    /** Waits until everything queued so far has been sent or dropped, for at most {@code timeout}. */
    boolean flush(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (pending.get() > 0) {
            if (System.nanoTime() - deadline > 0) {
                return false;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        if (!flush(Duration.ofSeconds(60))) {
            log.warn("{} results were not uploaded to {} before shutdown", pending.get(), remote.settings().target());
        }
        closing = true;
        sender.interrupt();
        try {
            sender.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run() {
        while (!closing) {
            Upload first;
            try {
                first = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (first == null) {
                continue;
            }
            List<Upload> batch = new ArrayList<>(List.of(first));
            queue.drainTo(batch, RESULTS_PER_BATCH - 1);
            try {
                send(batch);
            } catch (RuntimeException e) {
                log.warn("uploading {} results failed", batch.size(), e);
                counters.accept(Stat.REMOTE_ERRORS, 1);
            } finally {
                queuedBytes.addAndGet(-batch.stream().mapToLong(Upload::bytes).sum());
                pending.addAndGet(-batch.size());
            }
        }
    }

    private void send(List<Upload> batch) {
        if (refused || outage.ongoing()) {
            counters.accept(Stat.REMOTE_UPLOADS_DROPPED, batch.size());
            return;
        }
        try {
            remote.ensureReachable();
            if (!remote.updateEnabled()) {
                refuse("the server does not let this token write results");
                counters.accept(Stat.REMOTE_UPLOADS_DROPPED, batch.size());
                return;
            }
            Map<Digest, byte[]> blobs = new HashMap<>();
            batch.forEach(upload -> blobs.putAll(upload.blobs()));
            Set<Digest> missing = remote.findMissing(blobs.keySet());
            blobs.keySet().retainAll(missing);
            remote.writeBlobs(blobs);
            for (Upload upload : batch) {
                remote.putActionResult(upload.key(), ManifestResults.toResult(upload.manifest()));
            }
            counters.accept(Stat.REMOTE_UPLOADS, batch.size());
        } catch (RemoteCacheException e) {
            counters.accept(Stat.REMOTE_ERRORS, 1);
            counters.accept(Stat.REMOTE_UPLOADS_DROPPED, batch.size());
            if (e.getCause() instanceof StatusRuntimeException status
                    && status.getStatus().getCode() == Status.Code.PERMISSION_DENIED) {
                refuse(e.getMessage());
            } else if (outage.begin()) {
                log.warn("remote cache unavailable, not uploading for a while: {}", e.getMessage());
            }
        }
    }

    private void refuse(String reason) {
        if (!refused) {
            refused = true;
            log.warn("uploads to {} stopped: {}", remote.settings().target(), reason);
        }
    }
}
