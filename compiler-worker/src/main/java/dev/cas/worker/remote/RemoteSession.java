package dev.cas.worker.remote;

import dev.cas.store.Digest;
import dev.cas.worker.cache.Result;
import dev.cas.worker.cache.UnitManifest;
import java.util.Collection;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The remote level as one build (one worker request) sees it: the shared {@link RemoteTier} of the server it names,
 * or none, and the warning this build must print when the server failed under it.
 */
public final class RemoteSession {
    public static final RemoteSession NONE = new RemoteSession(null);

    private final RemoteTier tier;
    private final AtomicReference<String> warning = new AtomicReference<>();

    public RemoteSession(RemoteTier tier) {
        this.tier = tier;
    }

    /** No remote level, because its settings are wrong: the build says so and runs locally. */
    static RemoteSession misconfigured(String problem) {
        RemoteSession session = new RemoteSession(null);
        session.warning.set("remote cache not used: " + problem);
        return session;
    }

    public boolean enabled() {
        return tier != null;
    }

    public Map<Digest, Result> fetch(Collection<Digest> keys) {
        return tier == null ? Map.of() : tier.fetch(keys, message -> warning.compareAndSet(null, message));
    }

    /** Connects to the server ahead of the build's first lookup ({@link RemoteTier#connect}). */
    public void connect() {
        if (tier != null) {
            tier.connect();
        }
    }

    public void upload(Digest key, UnitManifest manifest, Map<Digest, byte[]> blobs) {
        if (tier != null) {
            tier.upload(key, manifest, blobs);
        }
    }

    /** The one line to print when the server failed during this build. */
    public Optional<String> warning() {
        return Optional.ofNullable(warning.get());
    }
}
