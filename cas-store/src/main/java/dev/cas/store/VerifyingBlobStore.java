package dev.cas.store;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.Collection;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guards a content-addressed store: every write must match its digest, and every read is checked again, so a value
 * damaged at rest is removed and reported instead of being served. The empty blob is always present. A read that
 * names a stored blob with the wrong size is a miss, never a reason to remove the blob.
 */
public final class VerifyingBlobStore implements BlobStore {
    private static final Logger log = LoggerFactory.getLogger(VerifyingBlobStore.class);
    /** Blobs up to this size are read and checked whole before the first byte is handed out. */
    private static final long CHECK_WHOLE_BYTES = 1 << 20;

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
        } catch (StoreException e) {
            if (e.kind() != StoreException.Kind.CORRUPT) {
                throw e;
            }
            discard(digest, e.getMessage());
            return Optional.empty();
        }
        if (value.isEmpty()) {
            return value;
        }
        if (!digest.hashMatches(value.get())) {
            discard(digest, "content does not match its digest");
            return Optional.empty();
        }
        return value.get().length == digest.size() ? value : Optional.empty();
    }

    @Override
    public void put(Digest digest, byte[] value) {
        if (!digest.matches(value)) {
            throw mismatch(digest, Digest.of(value));
        }
        if (digest.size() > 0) {
            delegate.put(digest, value);
        }
    }

    @Override
    public void delete(Digest digest) {
        delegate.delete(digest);
    }

    @Override
    public Set<Digest> findMissing(Collection<Digest> digests) {
        Set<Digest> missing = delegate.findMissing(digests.stream().filter(d -> d.size() > 0).toList());
        digests.stream().filter(d -> d.size() == 0 && !d.equals(Digest.EMPTY)).forEach(missing::add);
        return missing;
    }

    /**
     * Small blobs are checked whole before they are handed out. A large one is checked as it streams: the stream
     * fails ({@code CORRUPT}) before its end, so a reader never sees a damaged blob complete.
     */
    @Override
    public Optional<InputStream> openRead(Digest digest) {
        if (digest.size() <= CHECK_WHOLE_BYTES) {
            return get(digest).map(ByteArrayInputStream::new);
        }
        return delegate.openRead(digest).map(in -> new CheckingInputStream(in, digest));
    }

    /** Writes pass through as they come; the commit goes ahead only if the bytes match the digest. */
    @Override
    public BlobWriter openWrite(Digest digest) {
        BlobWriter stored = digest.size() == 0 ? null : delegate.openWrite(digest);
        MessageDigest sha256 = Digest.sha256();
        return new BlobWriter() {
            private long written;

            @Override
            protected void onWrite(byte[] bytes, int offset, int length) throws IOException {
                if (written + length > digest.size()) {
                    throw StoreException.rejected("more than the " + digest.size() + " bytes of " + digest);
                }
                sha256.update(bytes, offset, length);
                written += length;
                stored.write(bytes, offset, length);
            }

            @Override
            protected void onCommit() throws IOException {
                Digest actual = new Digest(HexFormat.of().formatHex(sha256.digest()), written);
                if (!actual.equals(digest)) {
                    if (stored != null) {
                        stored.close();
                    }
                    throw mismatch(digest, actual);
                }
                if (stored != null) {
                    stored.commit();
                }
            }

            @Override
            protected void onAbort() throws IOException {
                if (stored != null) {
                    stored.close();
                }
            }
        };
    }

    private static StoreException mismatch(Digest expected, Digest actual) {
        return StoreException.rejected("blob does not match its digest: expected " + expected + ", got "
                + actual);
    }

    private void discard(Digest digest, String why) {
        log.warn("removed corrupt cache entry {}: {}", digest, why);
        delegate.delete(digest);
        onCorrupt.accept(digest);
    }

    /**
     * Hashes what passes and checks it at the end: a damaged blob is removed and the stream fails; a stored blob
     * longer or shorter than the size asked for fails the stream without removing anything.
     */
    private final class CheckingInputStream extends ArrayReadInputStream {
        private final InputStream in;
        private final Digest key;
        private final String hash;
        private final long size;
        private final MessageDigest sha256 = Digest.sha256();
        private long read;
        private boolean checked;

        CheckingInputStream(InputStream in, Digest key) {
            this.in = in;
            this.key = key;
            this.hash = key.hash();
            this.size = key.size();
        }

        @Override
        public int read(byte[] bytes, int offset, int length) throws IOException {
            int n;
            try {
                n = in.read(bytes, offset, length);
            } catch (IOException e) {
                if (StoreException.is(e, StoreException.Kind.CORRUPT)) {
                    discard(key, e.getMessage());
                }
                throw e;
            }
            if (n < 0) {
                check();
                return n;
            }
            sha256.update(bytes, offset, n);
            read += n;
            if (read > size) {
                throw StoreException.wrongSize("blob " + hash + " holds more than the " + size
                        + " bytes asked for").asIOException();
            }
            return n;
        }

        private void check() throws IOException {
            if (checked) {
                return;
            }
            checked = true;
            if (!HexFormat.of().formatHex(sha256.digest()).equals(hash)) {
                discard(key, "content does not match its digest");
                throw StoreException.corrupt("blob " + hash + " was damaged at rest and has been removed", null)
                        .asIOException();
            }
            if (read != size) {
                throw StoreException.wrongSize("blob " + hash + " holds " + read + " bytes, not the " + size
                        + " asked for").asIOException();
            }
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
