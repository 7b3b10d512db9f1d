package dev.cas.store;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.UInt64AddOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one owner of a RocksDB database that holds a cache: a column family per {@link Space}, one recording when each
 * entry was last used (for LRU eviction under a size limit), and persistent counters in the default family.
 * RocksDB admits a single process per database; {@link #open} fails clearly when another process holds it.
 */
public final class RocksDbDatabase implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RocksDbDatabase.class);
    private static final byte[] LRU_FAMILY = "lru".getBytes(StandardCharsets.UTF_8);
    /** After eviction the cache holds at most this share of its limit, so eviction does not run on every write. */
    private static final double EVICTION_LOW_WATER = 0.9;
    private static final String EVICTIONS = "evictions";

    /** The key spaces of a cache: content-addressed blobs and action results. */
    public enum Space {
        CAS('c'), ACTIONS('a');

        private final char tag;

        Space(char tag) {
            this.tag = tag;
        }

        byte[] familyName() {
            return name().toLowerCase().getBytes(StandardCharsets.UTF_8);
        }
    }

    private final RocksDB db;
    private final DBOptions dbOptions;
    private final ColumnFamilyOptions familyOptions;
    private final ColumnFamilyHandle defaultFamily;
    private final ColumnFamilyHandle lruFamily;
    private final Map<Space, ColumnFamilyHandle> families = new EnumMap<>(Space.class);
    private final long maxSizeBytes;
    private final Clock clock;
    private final AtomicLong storedBytes = new AtomicLong();
    private final UInt64AddOperator addOperator;

    private RocksDbDatabase(Path dir, long maxSizeBytes, Clock clock) throws RocksDBException {
        RocksDB.loadLibrary();
        this.maxSizeBytes = maxSizeBytes;
        this.clock = clock;
        this.addOperator = new UInt64AddOperator();
        this.familyOptions = new ColumnFamilyOptions().setMergeOperator(addOperator);
        this.dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
        List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, familyOptions));
        descriptors.add(new ColumnFamilyDescriptor(LRU_FAMILY, familyOptions));
        for (Space space : Space.values()) {
            descriptors.add(new ColumnFamilyDescriptor(space.familyName(), familyOptions));
        }
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        this.db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
        this.defaultFamily = handles.get(0);
        this.lruFamily = handles.get(1);
        for (Space space : Space.values()) {
            families.put(space, handles.get(2 + space.ordinal()));
        }
        storedBytes.set(sumRecordedSizes());
    }

    /**
     * Opens (creating if needed) the cache database in {@code dir}.
     *
     * @throws IllegalStateException with the cause when the database cannot be opened, e.g. held by another process
     */
    public static RocksDbDatabase open(Path dir, long maxSizeBytes, Clock clock) {
        try {
            Files.createDirectories(dir);
            return new RocksDbDatabase(dir, maxSizeBytes, clock);
        } catch (RocksDBException | java.io.IOException e) {
            throw new IllegalStateException("cannot open the cache database in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The raw store of one key space; wrap it in the decorators the space needs. */
    public BlobStore space(Space space) {
        return new SpaceStore(space);
    }

    public long storedBytes() {
        return storedBytes.get();
    }

    public long maxSizeBytes() {
        return maxSizeBytes;
    }

    /** Entries removed to stay under the size limit, since the cache was created or cleared. */
    public long evictions() {
        return counter(EVICTIONS);
    }

    /** Adds to a persistent counter (atomic across threads; survives restarts). */
    public void addToCounter(String name, long delta) {
        try {
            db.merge(defaultFamily, counterKey(name), longBytes(delta));
        } catch (RocksDBException e) {
            log.warn("cannot update counter {}: {}", name, e.getMessage());
        }
    }

    public long counter(String name) {
        try {
            byte[] value = db.get(defaultFamily, counterKey(name));
            return value == null ? 0 : ByteBuffer.wrap(value).order(ByteOrder.LITTLE_ENDIAN).getLong();
        } catch (RocksDBException e) {
            throw new IllegalStateException("cannot read counter " + name, e);
        }
    }

    /** Removes every entry and counter. */
    public synchronized void clear() {
        try {
            for (ColumnFamilyHandle family : List.of(defaultFamily, lruFamily, families.get(Space.CAS),
                    families.get(Space.ACTIONS))) {
                try (RocksIterator it = db.newIterator(family)) {
                    for (it.seekToFirst(); it.isValid(); it.next()) {
                        db.delete(family, it.key());
                    }
                }
            }
            storedBytes.set(0);
            db.compactRange();
        } catch (RocksDBException e) {
            throw new IllegalStateException("cannot clear the cache: " + e.getMessage(), e);
        }
    }

    /** Closes native handles: column families first, then the database, then the options they were opened with. */
    @Override
    public void close() {
        for (ColumnFamilyHandle handle : families.values()) {
            handle.close();
        }
        lruFamily.close();
        defaultFamily.close();
        db.close();
        dbOptions.close();
        familyOptions.close();
        addOperator.close();
    }

    private long sumRecordedSizes() {
        long total = 0;
        try (RocksIterator it = db.newIterator(lruFamily)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                total += ByteBuffer.wrap(it.value()).getLong(Long.BYTES);
            }
        }
        return total;
    }

    private void touch(byte[] lruKey, long size) throws RocksDBException {
        db.put(lruFamily, lruKey, ByteBuffer.allocate(2 * Long.BYTES).putLong(clock.millis()).putLong(size).array());
    }

    private long recordedSize(byte[] lruKey) throws RocksDBException {
        byte[] record = db.get(lruFamily, lruKey);
        return record == null ? 0 : ByteBuffer.wrap(record).getLong(Long.BYTES);
    }

    private synchronized void evictIfNeeded() throws RocksDBException {
        if (storedBytes.get() <= maxSizeBytes) {
            return;
        }
        record Entry(byte[] key, long lastUse, long size) {}
        List<Entry> entries = new ArrayList<>();
        try (RocksIterator it = db.newIterator(lruFamily)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                ByteBuffer record = ByteBuffer.wrap(it.value());
                entries.add(new Entry(it.key(), record.getLong(0), record.getLong(Long.BYTES)));
            }
        }
        entries.sort((a, b) -> Long.compare(a.lastUse(), b.lastUse()));
        long target = (long) (maxSizeBytes * EVICTION_LOW_WATER);
        long evicted = 0;
        for (Entry entry : entries) {
            if (storedBytes.get() <= target) {
                break;
            }
            Space space = entry.key()[0] == Space.CAS.tag ? Space.CAS : Space.ACTIONS;
            db.delete(families.get(space), java.util.Arrays.copyOfRange(entry.key(), 1, entry.key().length));
            db.delete(lruFamily, entry.key());
            storedBytes.addAndGet(-entry.size());
            evicted++;
        }
        addToCounter(EVICTIONS, evicted);
        log.info("evicted least recently used entries: cache now {} bytes (limit {})", storedBytes.get(), maxSizeBytes);
    }

    private static byte[] counterKey(String name) {
        return ("counter:" + name).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] longBytes(long value) {
        return ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array();
    }

    /** One key space, seen as a {@link BlobStore}; every read and write keeps the LRU record current. */
    private final class SpaceStore implements BlobStore {
        private final Space space;
        private final ColumnFamilyHandle family;

        SpaceStore(Space space) {
            this.space = space;
            this.family = families.get(space);
        }

        @Override
        public Optional<byte[]> get(Digest digest) {
            try {
                byte[] value = db.get(family, key(digest));
                if (value != null) {
                    touch(lruKey(digest), value.length);
                }
                return Optional.ofNullable(value);
            } catch (RocksDBException e) {
                throw new IllegalStateException("RocksDB read of " + digest + " failed: " + e.getMessage(), e);
            }
        }

        @Override
        public void put(Digest digest, byte[] value) {
            try {
                byte[] lruKey = lruKey(digest);
                long previous = recordedSize(lruKey);
                db.put(family, key(digest), value);
                touch(lruKey, value.length);
                storedBytes.addAndGet(value.length - previous);
                evictIfNeeded();
            } catch (RocksDBException e) {
                throw new IllegalStateException("RocksDB write of " + digest + " failed: " + e.getMessage(), e);
            }
        }

        @Override
        public void delete(Digest digest) {
            try {
                byte[] lruKey = lruKey(digest);
                long previous = recordedSize(lruKey);
                db.delete(family, key(digest));
                db.delete(lruFamily, lruKey);
                storedBytes.addAndGet(-previous);
            } catch (RocksDBException e) {
                throw new IllegalStateException("RocksDB delete of " + digest + " failed: " + e.getMessage(), e);
            }
        }

        private byte[] key(Digest digest) {
            return digest.hash().getBytes(StandardCharsets.US_ASCII);
        }

        private byte[] lruKey(Digest digest) {
            return (space.tag + digest.hash()).getBytes(StandardCharsets.US_ASCII);
        }
    }
}
