package dev.cas.worker.remote;

import dev.cas.store.Digest;
import dev.cas.worker.UnitManifest;
import java.util.Map;

/** A result found on the server: its manifest and every blob it names (objects and diagnostics), all verified. */
public record RemoteHit(UnitManifest manifest, Map<Digest, byte[]> blobs) {
    public RemoteHit {
        blobs = Map.copyOf(blobs);
    }

    public byte[] blob(Digest digest) {
        return blobs.get(digest);
    }
}
