package dev.cas.worker.remote;

import dev.cas.worker.cache.Stat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ObjLongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The servers a worker has been asked to use, one {@link RemoteTier} (one connection, one outage, one upload queue)
 * per configuration, kept for the worker's life: builds of one team share them.
 */
public final class RemoteTiers implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RemoteTiers.class);

    private final ObjLongConsumer<Stat> counters;
    private final Map<RemoteSettings, RemoteTier> tiers = new ConcurrentHashMap<>();

    public RemoteTiers(ObjLongConsumer<Stat> counters) {
        this.counters = counters;
    }

    /**
     * The remote level for a build run with {@code environment} (and the settings file it points at);
     * {@link RemoteSession#NONE} when no server is set.
     */
    public RemoteSession session(Map<String, String> environment) {
        Optional<RemoteSettings> settings;
        try {
            settings = RemoteSettings.fromEnvironment(ConfigFile.applyTo(environment));
        } catch (IllegalArgumentException e) {
            return RemoteSession.misconfigured(e.getMessage());
        }
        return settings.map(s -> new RemoteSession(tiers.computeIfAbsent(s, key -> {
            log.info("remote cache {}", key);
            return new RemoteTier(key, counters);
        }))).orElse(RemoteSession.NONE);
    }

    @Override
    public void close() {
        tiers.values().forEach(RemoteTier::close);
        tiers.clear();
    }
}
