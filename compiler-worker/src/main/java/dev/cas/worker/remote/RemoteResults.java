package dev.cas.worker.remote;

import dev.cas.store.Digest;
import dev.cas.worker.cache.Result;
import dev.cas.worker.cache.ResultStore;
import java.util.List;
import java.util.Map;

/**
 * The build's remote level as a result store: lookups in one round of calls to the server, puts queued for upload
 * in the background. A server that fails starts an outage (see {@link RemoteTier}) and answers misses.
 */
public final class RemoteResults implements ResultStore {
    private final RemoteSession session;

    public RemoteResults(RemoteSession session) {
        this.session = session;
    }

    @Override
    public Map<Digest, Result> getAll(List<Digest> keys) {
        return session.fetch(keys);
    }

    @Override
    public void put(Digest key, Result result) {
        session.upload(key, result.manifest(), result.blobs());
    }

    /** Nothing: a result found elsewhere is not this machine's to upload (it was compiled by whoever stored it). */
    @Override
    public void keep(Digest key, Result result) {
    }
}
