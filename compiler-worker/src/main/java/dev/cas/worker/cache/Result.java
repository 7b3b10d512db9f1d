package dev.cas.worker.cache;

import dev.cas.store.Digest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A compile's result as every level of the cache keeps it: its manifest and each blob the manifest names (objects
 * and diagnostics), all present (the empty blob is implied). {@code remote} tells a result the build's remote level
 * served.
 */
public record Result(UnitManifest manifest, Map<Digest, byte[]> blobs, boolean remote) {
    public Result {
        blobs = Map.copyOf(blobs);
    }

    /** A result of one object (a unit's, or a piece's with no diagnostics), compiled in {@code millis}. */
    public static Result ofObject(byte[] object, byte[] diagnostics, long millis) {
        Digest objectDigest = Digest.of(object);
        Digest diagnosticsDigest = diagnostics.length == 0 ? Digest.EMPTY : Digest.of(diagnostics);
        Map<Digest, byte[]> blobs = new HashMap<>();
        blobs.put(objectDigest, object);
        if (diagnostics.length > 0) {
            blobs.put(diagnosticsDigest, diagnostics);
        }
        return new Result(new UnitManifest(List.of(objectDigest), diagnosticsDigest, millis), blobs, false);
    }

    /** The result with every blob its manifest names taken from {@code available}, or empty when one is missing. */
    public static Optional<Result> of(UnitManifest manifest, Map<Digest, byte[]> available, boolean remote) {
        Map<Digest, byte[]> named = new HashMap<>();
        for (Digest digest : manifest.blobs()) {
            if (digest.equals(Digest.EMPTY)) {
                continue; // held by every level without being stored
            }
            byte[] blob = available.get(digest);
            if (blob == null) {
                return Optional.empty();
            }
            named.put(digest, blob);
        }
        return Optional.of(new Result(manifest, named, remote));
    }

    public byte[] blob(Digest digest) {
        return digest.equals(Digest.EMPTY) ? new byte[0] : blobs.get(digest);
    }

    /** The object, when the manifest names exactly one (as units and pieces have). */
    public Optional<byte[]> onlyObject() {
        return manifest.objects().size() == 1 ? Optional.of(blob(manifest.objects().get(0))) : Optional.empty();
    }

    public byte[] diagnostics() {
        return blob(manifest.diagnostics());
    }

    /** The same result as a level that keeps it holds it: served by no remote level next time. */
    public Result kept() {
        return remote ? new Result(manifest, blobs, false) : this;
    }

    /** Bytes held in memory by its blobs. */
    long weight() {
        return blobs.values().stream().mapToLong(blob -> blob.length).sum();
    }
}
