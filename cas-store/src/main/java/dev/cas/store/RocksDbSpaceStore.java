package dev.cas.store;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.Status;
import org.rocksdb.WriteBatch;

/**
 * One key space of a {@link RocksDbDatabase} as a {@link BlobStore}. Values up to a chunk are one RocksDB value;
 * larger ones are written and read chunk by chunk. Every commit writes the value (or its head) and its LRU record in
 * one batch, then enters the key in the space's in-memory {@link HeldKeys}; batch existence checks and the read
 * path's last-use check answer from that index, a single {@link #contains} from the LRU record.
 */
final class RocksDbSpaceStore implements BlobStore {
    /** A read refreshes an entry's last use only when it is older than this, to spare the writes. */
    static final long TOUCH_INTERVAL_MILLIS = 60_000;

    private final RocksDbDatabase database;
    private final RocksDB db;
    private final RocksDbDatabase.Space space;
    private final ColumnFamilyHandle family;
    private final HeldKeys held;

    RocksDbSpaceStore(RocksDbDatabase database, RocksDbDatabase.Space space) {
        this.database = database;
        this.db = database.db();
        this.space = space;
        this.family = database.family(space);
        this.held = database.held(space);
    }

    @Override
    public Optional<byte[]> get(Digest digest) {
        try {
            byte[] value = readInline(digest);
            if (value != null) {
                return Optional.of(value);
            }
            Optional<InputStream> chunked = openChunked(digest);
            if (chunked.isEmpty()) {
                return Optional.empty();
            }
            try (InputStream in = chunked.get()) {
                return Optional.of(in.readAllBytes());
            }
        } catch (RocksDBException | IOException e) {
            throw StoreException.in(e).orElseGet(() -> readFailed(digest, e));
        }
    }

    @Override
    public Optional<InputStream> openRead(Digest digest) {
        try {
            byte[] value = readInline(digest);
            return value != null ? Optional.of(new ByteArrayInputStream(value)) : openChunked(digest);
        } catch (RocksDBException e) {
            throw readFailed(digest, e);
        }
    }

    private static StoreException readFailed(Digest digest, Exception e) {
        return StoreException.failed("RocksDB read of " + digest + " failed: " + e.getMessage(), e);
    }

    /** The entry's value when it is stored inline (as all values up to a chunk are), else null. */
    private byte[] readInline(Digest digest) throws RocksDBException {
        byte[] value = db.get(family, RocksDbDatabase.valueKey(digest));
        if (value != null) {
            touch(digest);
        }
        return value;
    }

    @Override
    public void put(Digest digest, byte[] value) {
        try {
            if (value.length <= ChunkedValues.CHUNK_BYTES) {
                database.admit(value.length);
                replace(digest, batch -> batch.put(family, RocksDbDatabase.valueKey(digest), value), value.length);
            } else {
                try (BlobWriter writer = openWrite(digest)) {
                    writer.write(value);
                    writer.commit();
                }
            }
        } catch (RocksDBException e) {
            throw writeFailed(digest, e);
        } catch (IOException e) {
            throw StoreException.in(e).orElseGet(() -> StoreException.failed("RocksDB write of " + digest
                    + " failed: " + e.getMessage(), e));
        }
    }

    /** A full file system is a refusal the client can act on (RESOURCE_EXHAUSTED, 507), not an internal error. */
    private static StoreException writeFailed(Digest digest, RocksDBException e) {
        String message = "RocksDB write of " + digest + " failed: " + e.getMessage();
        if (e.getStatus() != null && e.getStatus().getSubCode() == Status.SubCode.NoSpace) {
            return StoreException.full("the file system holding the cache is full: " + message, e);
        }
        return StoreException.failed(message, e);
    }

    @Override
    public BlobWriter openWrite(Digest digest) {
        return new ChunkWriter(digest);
    }

    @Override
    public void delete(Digest digest) {
        byte[] lruKey = RocksDbDatabase.lruKey(space, digest);
        try {
            synchronized (database.lockFor(lruKey)) {
                try (WriteBatch batch = new WriteBatch()) {
                    long previous = database.addRemoval(batch, space, RocksDbDatabase.valueKey(digest), lruKey);
                    db.write(database.writeOptions(), batch);
                    held.removed(digest.hash());
                    database.stored(-previous);
                }
            }
        } catch (RocksDBException e) {
            throw StoreException.failed("RocksDB delete of " + digest + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Answers from the in-memory index (see {@link HeldKeys} for the one way it may err), and refreshes the last use
     * of held entries not used for a while, so a blob a client was just told is held is not evicted first.
     */
    @Override
    public Set<Digest> findMissing(Collection<Digest> digests) {
        List<Digest> asked = new ArrayList<>(new LinkedHashSet<>(digests));
        int[] minutes = held.lastUseMinutes(asked);
        int staleBefore = staleBefore();
        Set<Digest> missing = new LinkedHashSet<>();
        try {
            for (int i = 0; i < minutes.length; i++) {
                if (minutes[i] == HeldKeys.ABSENT) {
                    missing.add(asked.get(i));
                } else if (minutes[i] < staleBefore) {
                    refresh(asked.get(i));
                }
            }
        } catch (RocksDBException e) {
            throw StoreException.failed("RocksDB refresh of last use failed: " + e.getMessage(), e);
        }
        return missing;
    }

    /**
     * Exact for the hash (the HTTP CAS names blobs by hash alone): reads the entry's LRU record (and refreshes it when
     * stale). {@link #findMissing} also compares the size the digest declares.
     */
    @Override
    public boolean contains(Digest digest) {
        try {
            byte[] record = db.get(database.lruFamily(), RocksDbDatabase.lruKey(space, digest));
            if (record == null) {
                return false;
            }
            if (HeldKeys.minute(RocksDbDatabase.lastUse(record)) < staleBefore()) {
                refresh(digest);
            }
            return true;
        } catch (RocksDBException e) {
            throw StoreException.failed("RocksDB lookup of " + digest + " failed: " + e.getMessage(), e);
        }
    }

    private Optional<InputStream> openChunked(Digest digest) throws RocksDBException {
        byte[] lruKey = RocksDbDatabase.lruKey(space, digest);
        Runnable[] release = new Runnable[1];
        ReadOptions snapshot = database.snapshotReadOptions(release);
        byte[] head = db.get(database.headsFamily(), snapshot, lruKey);
        if (head == null) {
            release[0].run();
            return Optional.empty();
        }
        ChunkedValues.Head parsed = ChunkedValues.Head.decode(head);
        touch(digest);
        return Optional.of(new ChunkInputStream(parsed,
                (options, key) -> db.get(database.chunksFamily(), options, key), snapshot, release[0]));
    }

    /**
     * Refreshes the entry's last use when it is older than {@link #TOUCH_INTERVAL_MILLIS}, judged from the in-memory
     * index: reads of hot entries neither read nor write RocksDB's LRU records, and concurrent readers never queue on
     * its write path.
     */
    private void touch(Digest digest) throws RocksDBException {
        int minute = held.lastUseMinute(digest.hash());
        if (minute == HeldKeys.ABSENT || minute < staleBefore()) {
            refresh(digest); // absent: a key sharing its index slot was removed; the refresh enters it again
        }
    }

    /** Entries last used before this minute are due a refresh (read once per call, not once per entry). */
    private int staleBefore() {
        return HeldKeys.minute(database.now() - TOUCH_INTERVAL_MILLIS);
    }

    /**
     * Rewrites an LRU record with the current time, under the key's lock and only while the record is still there:
     * a removal (delete, eviction) that ran since it was read must not be undone by a record for a value now gone.
     */
    private void refresh(Digest digest) throws RocksDBException {
        byte[] lruKey = RocksDbDatabase.lruKey(space, digest);
        synchronized (database.lockFor(lruKey)) {
            byte[] record = db.get(database.lruFamily(), lruKey);
            if (record != null) {
                long now = database.now();
                long digestSize = RocksDbDatabase.digestSize(record);
                db.put(database.lruFamily(), database.writeOptions(), lruKey,
                        database.lruRecord(now, RocksDbDatabase.recordedSize(record), digestSize));
                held.held(digest.hash(), digestSize, now);
            }
        }
    }

    /** What a commit writes besides the LRU record: the inline value or the head. */
    private interface ValueWrite {
        void addTo(WriteBatch batch) throws RocksDBException;
    }

    /** Replaces the entry: the old value, head and chunks go, the new value and LRU record come, in one batch. */
    private void replace(Digest digest, ValueWrite write, long size) throws RocksDBException {
        byte[] lruKey = RocksDbDatabase.lruKey(space, digest);
        synchronized (database.lockFor(lruKey)) {
            try (WriteBatch batch = new WriteBatch()) {
                long previous = database.addRemoval(batch, space, RocksDbDatabase.valueKey(digest), lruKey);
                write.addTo(batch);
                long now = database.now();
                batch.put(database.lruFamily(), lruKey, database.lruRecord(now, size, digest.size()));
                db.write(database.writeOptions(), batch);
                held.held(digest.hash(), digest.size(), now);
                database.stored(size - previous);
            }
        }
        database.evictIfOverLimit(); // outside the key's lock: eviction takes the locks of the keys it removes
    }

    /** Buffers up to one chunk; a value that outgrows it goes to RocksDB chunk by chunk under a fresh id. */
    private final class ChunkWriter extends BlobWriter {
        private final Digest digest;
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        private byte[] id;
        private int chunks;
        private long size;

        ChunkWriter(Digest digest) {
            this.digest = digest;
        }

        @Override
        protected void onWrite(byte[] bytes, int offset, int length) throws IOException {
            while (length > 0) {
                if (buffer.size() == ChunkedValues.CHUNK_BYTES) {
                    flushChunk(); // only once more bytes come: a value of exactly one chunk stays inline
                }
                int n = Math.min(length, ChunkedValues.CHUNK_BYTES - buffer.size());
                buffer.write(bytes, offset, n);
                offset += n;
                length -= n;
                size += n;
            }
        }

        @Override
        protected void onCommit() throws IOException {
            try {
                if (id == null) {
                    byte[] value = buffer.toByteArray();
                    database.admit(value.length);
                    replace(digest, batch -> batch.put(family, RocksDbDatabase.valueKey(digest), value), size);
                    return;
                }
                if (buffer.size() > 0) {
                    flushChunk();
                }
                ChunkedValues.Head head = new ChunkedValues.Head(id, chunks, size);
                replace(digest, batch -> batch.put(database.headsFamily(), RocksDbDatabase.lruKey(space, digest),
                        head.encode()), size);
            } catch (RocksDBException e) {
                onAbort();
                throw writeFailed(digest, e);
            } catch (IOException | RuntimeException e) {
                onAbort(); // e.g. the last chunk refused (a full directory): the chunks before it go too
                throw e;
            }
        }

        @Override
        protected void onAbort() throws IOException {
            buffer.reset();
            if (id != null) {
                try {
                    db.deleteRange(database.chunksFamily(), ChunkedValues.chunkKey(id, 0),
                            ChunkedValues.chunkKey(id, chunks + 1));
                } catch (RocksDBException e) {
                    throw new IOException("cannot remove the chunks of an abandoned write of " + digest, e);
                }
            }
        }

        private void flushChunk() throws IOException {
            if (id == null) {
                id = ChunkedValues.newId();
            }
            database.admit(buffer.size());
            try {
                db.put(database.chunksFamily(), database.writeOptions(), ChunkedValues.chunkKey(id, chunks),
                        buffer.toByteArray());
            } catch (RocksDBException e) {
                throw writeFailed(digest, e);
            }
            chunks++;
            buffer.reset();
        }
    }
}
