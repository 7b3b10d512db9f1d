package dev.cas.worker.remote;

import build.bazel.remote.execution.v2.ActionResult;
import dev.cas.store.Digest;
import dev.cas.worker.cache.Result;
import dev.cas.worker.cache.Stat;
import dev.cas.worker.cache.UnitManifest;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.ObjLongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One configured cache server as the second level behind the local cache, shared by every build that names it:
 * lookups of many keys in one round of calls, uploads in the background, and an {@link Outage} that turns a failing
 * server into quick misses for a while. Nothing here throws: a server that fails is a miss.
 */
public final class RemoteTier implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RemoteTier.class);
    private static final long MAX_QUEUED_UPLOAD_BYTES = 256L << 20;

    private final RemoteCache remote;
    private final Outage outage;
    private final BackgroundUploads uploads;
    private final ObjLongConsumer<Stat> counters;

    public RemoteTier(RemoteSettings settings, ObjLongConsumer<Stat> counters) {
        this.counters = counters;
        this.remote = new RemoteCache(settings);
        this.outage = new Outage(settings.retryAfter());
        this.uploads = settings.readOnly() ? null
                : new BackgroundUploads(remote, outage, counters, MAX_QUEUED_UPLOAD_BYTES);
    }

    public RemoteSettings settings() {
        return remote.settings();
    }

    /**
     * The results the server holds for {@code keys}, with every blob they name. A failure starts an outage and
     * answers nothing; {@code warnings} hears of it when this call started the outage.
     */
    public Map<Digest, Result> fetch(Collection<Digest> keys, Consumer<String> warnings) {
        if (keys.isEmpty() || outage.ongoing()) {
            return Map.of();
        }
        try {
            remote.ensureReachable();
            Map<Digest, UnitManifest> manifests = new HashMap<>();
            Map<Digest, byte[]> blobs = new HashMap<>();
            for (Map.Entry<Digest, ActionResult> result
                    : remote.getActionResults(keys, ManifestResults.FIRST_OBJECT).entrySet()) {
                Optional<UnitManifest> manifest = ManifestResults.toManifest(result.getValue());
                if (manifest.isPresent()) {
                    manifests.put(result.getKey(), manifest.get());
                    blobs.putAll(remote.inlineBlobs(result.getValue()));
                }
            }
            Set<Digest> named = new HashSet<>();
            manifests.values().forEach(manifest -> named.addAll(manifest.blobs()));
            named.remove(Digest.EMPTY); // implied (Result.of)
            named.removeAll(blobs.keySet());
            blobs.putAll(remote.readBlobs(named));
            Map<Digest, Result> hits = new HashMap<>();
            manifests.forEach((key, manifest) -> Result.of(manifest, blobs, true)
                    .ifPresent(hit -> hits.put(key, hit)));
            return hits;
        } catch (RemoteCacheException e) {
            counters.accept(Stat.REMOTE_ERRORS, 1);
            if (outage.begin()) {
                log.warn("remote cache skipped for {} s: {}", settings().retryAfter().toSeconds(), e.getMessage());
                warnings.accept("remote cache " + settings().target() + " unavailable (" + e.getMessage()
                        + "); compiling locally");
            }
            return Map.of();
        }
    }

    /**
     * Connects and learns the server's capabilities now, ahead of the first lookup; a failure is left for that lookup
     * to meet (and report to its build).
     */
    public void connect() {
        if (outage.ongoing()) {
            return;
        }
        try {
            remote.ensureReachable();
        } catch (RemoteCacheException e) {
            log.debug("remote cache {} not reached ahead of a build: {}", settings().target(), e.getMessage());
        }
    }

    /** Queues a result compiled here for upload; does nothing when the server is used read-only. */
    public void upload(Digest key, UnitManifest manifest, Map<Digest, byte[]> blobs) {
        if (uploads != null) {
            uploads.offer(new BackgroundUploads.Upload(key, manifest, blobs));
        }
    }

    @Override
    public void close() {
        if (uploads != null) {
            uploads.close();
        }
        remote.close();
    }
}
