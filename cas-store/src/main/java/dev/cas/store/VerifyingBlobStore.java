package dev.cas.store;

import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guards a content-addressed store: every write must match its digest, and every read is checked again, so a value
 * damaged at rest is removed and reported instead of being served.
 */
public final class VerifyingBlobStore implements BlobStore {
    private static final Logger log = LoggerFactory.getLogger(VerifyingBlobStore.class);

    private final BlobStore delegate;
    private final Consumer<Digest> onCorrupt;

    public VerifyingBlobStore(BlobStore delegate, Consumer<Digest> onCorrupt) {
        this.delegate = delegate;
        this.onCorrupt = onCorrupt;
    }

    @Override
    public Optional<byte[]> get(Digest digest) {
        if (digest.size() == 0) {
            return digest.equals(Digest.EMPTY) ? Optional.of(new byte[0]) : Optional.empty();
        }
        Optional<byte[]> value;
        try {
            value = delegate.get(digest);
        } catch (CorruptBlobException e) {
            discard(digest, e.getMessage());
            return Optional.empty();
        }
        if (value.isPresent() && !digest.matches(value.get())) {
            discard(digest, "content does not match its digest");
            return Optional.empty();
        }
        return value;
    }

    @Override
    public void put(Digest digest, byte[] value) {
        if (!digest.matches(value)) {
            throw new IllegalArgumentException(
                    "blob does not match its digest: expected " + digest + ", got " + Digest.of(value));
        }
        if (digest.size() > 0) {
            delegate.put(digest, value);
        }
    }

    @Override
    public void delete(Digest digest) {
        delegate.delete(digest);
    }

    private void discard(Digest digest, String why) {
        log.warn("removed corrupt cache entry {}: {}", digest, why);
        delegate.delete(digest);
        onCorrupt.accept(digest);
    }
}
