package dev.cas.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.FlushOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;
import org.rocksdb.UInt64AddOperator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteBufferManager;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one owner of a RocksDB database that holds a cache: a column family per {@link Space}, one recording when each
 * entry was last used and its stored size (for LRU eviction under a size limit and for existence checks that never
 * read a value), two for values too large for one RocksDB value ({@link ChunkedValues}), and persistent counters in
 * the default family. Writes go through RocksDB's write-ahead log, so an acknowledged write survives the process
 * being killed. With {@link StorageLimits#wholeDirectory} the directory on disk is bounded too: RocksDB's overheads are
 * sized to the limit and writes that would pass it are refused ({@link DirectoryBound}). RocksDB admits a single
 * process per database; {@link #open} fails clearly when another holds it.
 */
public final class RocksDbDatabase implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(RocksDbDatabase.class);
    private static final byte[] LRU_FAMILY = "lru".getBytes(StandardCharsets.UTF_8);
    private static final byte[] HEADS_FAMILY = "heads".getBytes(StandardCharsets.UTF_8);
    private static final byte[] CHUNKS_FAMILY = "chunks".getBytes(StandardCharsets.UTF_8);
    /** After eviction the cache holds at most this share of its limit, so eviction does not run on every write. */
    private static final double EVICTION_LOW_WATER = 0.9;
    /** A full directory makes eviction go below the limit for values, but never below this share of it. */
    private static final double RELIEF_FLOOR = 0.5;
    private static final int INFO_LOGS_KEPT = 2;
    private static final String EVICTIONS = "evictions";
    private static final String EVICTED_BYTES = "evictions.bytes";
    /**
     * RocksDB's native memory, all charged to one cache: memtables (through a write buffer manager, at most half of
     * it), data blocks, and index and filter blocks, so the process's footprint does not grow with the data held.
     */
    private static final long NATIVE_CACHE_BYTES = 96L << 20;
    private static final int LOCK_STRIPES = 256;

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

        char tag() {
            return tag;
        }
    }

    private final RocksDB db;
    /** Closed after the column families and the database, in this order. */
    private final List<AutoCloseable> options = new ArrayList<>();
    private final List<ColumnFamilyHandle> handles = new ArrayList<>();
    private final ColumnFamilyHandle defaultFamily;
    private final ColumnFamilyHandle lruFamily;
    private final ColumnFamilyHandle headsFamily;
    private final ColumnFamilyHandle chunksFamily;
    private final Map<Space, ColumnFamilyHandle> families = new EnumMap<>(Space.class);
    private final Map<Space, HeldKeys> held = new EnumMap<>(Space.class);
    private final WriteOptions writeOptions;
    private final Object[] locks = new Object[LOCK_STRIPES];
    private final Path directory;
    private final StorageLimits limits;
    private final Clock clock;
    private final AtomicLong storedBytes = new AtomicLong();
    /** Bounds the directory on disk when the limits say so; null when only values are counted. */
    private final DirectoryBound bound;

    private RocksDbDatabase(Path dir, StorageLimits limits, Clock clock) throws RocksDBException {
        RocksDB.loadLibrary();
        this.writeOptions = new WriteOptions();
        this.directory = dir;
        this.limits = limits;
        this.clock = clock;
        Arrays.setAll(locks, i -> new Object());
        UInt64AddOperator addOperator = new UInt64AddOperator();
        LRUCache blockCache = new LRUCache(NATIVE_CACHE_BYTES);
        WriteBufferManager memtables = new WriteBufferManager(limits.memtableBytes(), blockCache);
        BloomFilter bloom = new BloomFilter(10);
        ColumnFamilyOptions familyOptions = new ColumnFamilyOptions().setMergeOperator(addOperator)
                // values arrive zstd-compressed (CompressingBlobStore): RocksDB's default snappy only costs CPU on
                // every flush and compaction
                .setCompressionType(CompressionType.NO_COMPRESSION)
                .setTableFormatConfig(new BlockBasedTableConfig().setBlockCache(blockCache).setFilterPolicy(bloom)
                        .setCacheIndexAndFilterBlocks(true).setPinL0FilterAndIndexBlocksInCache(true));
        if (limits.bounded()) {
            familyOptions.setWriteBufferSize(limits.memtableBytes() / 2).setTargetFileSizeBase(limits.tableFileBytes())
                    .setMaxBytesForLevelBase(8 * limits.tableFileBytes())
                    .setMaxCompactionBytes(limits.compactionBytes())
                    // deletions reach the tables (and their space is freed) after two flushes, not four
                    .setLevel0FileNumCompactionTrigger(2);
        }
        DBOptions dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
                .setWriteBufferManager(memtables)
                // a write-ahead log is kept until every family that wrote to it has flushed; the counters' family
                // rarely does, so without a cap the logs pile up on disk
                .setMaxTotalWalSize(limits.walBytes())
                // RocksDB's info log otherwise grows without a bound and keeps a thousand old ones, one per opening
                .setMaxLogFileSize(limits.infoLogBytes()).setKeepLogFileNum(INFO_LOGS_KEPT);
        if (limits.bounded()) {
            dbOptions.setMaxManifestFileSize(limits.tableFileBytes());
        }
        options.addAll(List.of(writeOptions, familyOptions, dbOptions, memtables, bloom, blockCache, addOperator));
        List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        descriptors.add(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, familyOptions));
        descriptors.add(new ColumnFamilyDescriptor(LRU_FAMILY, familyOptions));
        descriptors.add(new ColumnFamilyDescriptor(HEADS_FAMILY, familyOptions));
        descriptors.add(new ColumnFamilyDescriptor(CHUNKS_FAMILY, familyOptions));
        for (Space space : Space.values()) {
            descriptors.add(new ColumnFamilyDescriptor(space.familyName(), familyOptions));
        }
        this.db = RocksDB.open(dbOptions, dir.toString(), descriptors, handles);
        this.defaultFamily = handles.get(0);
        this.lruFamily = handles.get(1);
        this.headsFamily = handles.get(2);
        this.chunksFamily = handles.get(3);
        for (Space space : Space.values()) {
            families.put(space, handles.get(4 + space.ordinal()));
            held.put(space, new HeldKeys());
        }
        storedBytes.set(loadRecords());
        removeUnfinishedChunks();
        this.bound = limits.bounded() ? new DirectoryBound(dir, limits.admittedBytes(), this::relieve) : null;
    }

    /**
     * Opens (creating if needed) the cache database in {@code dir}, evicting when its values pass
     * {@code maxSizeBytes} ({@link StorageLimits#logical}).
     *
     * @throws IllegalStateException with the cause when the database cannot be opened, e.g. held by another process
     */
    public static RocksDbDatabase open(Path dir, long maxSizeBytes, Clock clock) {
        return open(dir, StorageLimits.logical(maxSizeBytes), clock);
    }

    /**
     * Opens (creating if needed) the cache database in {@code dir} under {@code limits}: with
     * {@link StorageLimits#wholeDirectory} writes that would pass the bound throw a {@code FULL} {@link StoreException}.
     *
     * @throws IllegalStateException with the cause when the database cannot be opened, e.g. held by another process
     */
    public static RocksDbDatabase open(Path dir, StorageLimits limits, Clock clock) {
        try {
            Files.createDirectories(dir);
            return new RocksDbDatabase(dir, limits, clock);
        } catch (RocksDBException | IOException e) {
            throw new IllegalStateException("cannot open the cache database in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The raw store of one key space; wrap it in the decorators the space needs. */
    public BlobStore space(Space space) {
        return new RocksDbSpaceStore(this, space);
    }

    /** Bytes held (as stored, i.e. after compression), as the eviction policy counts them. */
    public long storedBytes() {
        return storedBytes.get();
    }

    /** The configured limit: the directory's bound, or the values' when only they are counted. */
    public long maxSizeBytes() {
        return limits.bounded() ? limits.directoryBytes() : limits.dataBytes();
    }

    /** The stored bytes of values above which entries are evicted (with a bounded directory, what it leaves them). */
    public long dataLimitBytes() {
        return limits.dataBytes();
    }

    /**
     * The size the digest of the blob stored under {@code hash} in {@code space} declared, from the in-memory index,
     * or -1 when unknown: lets a caller that knows a blob by its hash alone (HTTP) read it by its whole digest. The
     * hash must be 64 lower-case hex digits.
     */
    public long declaredSize(Space space, String hash) {
        return held.get(space).declaredSize(hash);
    }

    /** Entries removed to stay under the size limit, since the cache was created or cleared. */
    public long evictions() {
        return counter(EVICTIONS);
    }

    /** Stored bytes removed to stay under the size limit, since the cache was created or cleared. */
    public long evictedBytes() {
        return counter(EVICTED_BYTES);
    }

    /** Bytes the database's directory takes on disk: tables, logs and everything else in it. */
    public long diskBytes() {
        return bound != null ? bound.usedBytes() : DirectoryBound.sizeOf(directory);
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
            throw StoreException.failed("cannot read counter " + name, e);
        }
    }

    /** Removes every entry and counter. */
    public synchronized void clear() {
        try {
            for (ColumnFamilyHandle family : handles) {
                try (RocksIterator it = db.newIterator(family)) {
                    for (it.seekToFirst(); it.isValid(); it.next()) {
                        db.delete(family, it.key());
                    }
                }
            }
            storedBytes.set(0);
            held.values().forEach(HeldKeys::clear);
            db.compactRange();
        } catch (RocksDBException e) {
            throw StoreException.failed("cannot clear the cache: " + e.getMessage(), e);
        }
    }

    /** Closes native handles: column families first, then the database, then the options they were opened with. */
    @Override
    public void close() {
        handles.forEach(RocksDbDatabase::closeQuietly);
        db.close();
        options.forEach(RocksDbDatabase::closeQuietly);
    }

    // ---- used by RocksDbSpaceStore ----

    RocksDB db() {
        return db;
    }

    ColumnFamilyHandle family(Space space) {
        return families.get(space);
    }

    /** The in-memory index of the keys {@code space} holds; kept in step by every commit and removal. */
    HeldKeys held(Space space) {
        return held.get(space);
    }

    ColumnFamilyHandle lruFamily() {
        return lruFamily;
    }

    ColumnFamilyHandle headsFamily() {
        return headsFamily;
    }

    ColumnFamilyHandle chunksFamily() {
        return chunksFamily;
    }

    WriteOptions writeOptions() {
        return writeOptions;
    }

    /** The lock that serialises commits and removals of one key (striped: unrelated keys rarely share one). */
    Object lockFor(byte[] lruKey) {
        return locks[Math.floorMod(Arrays.hashCode(lruKey), LOCK_STRIPES)];
    }

    static byte[] lruKey(Space space, Digest digest) {
        return (space.tag() + digest.hash()).getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] valueKey(Digest digest) {
        return digest.hash().getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * The LRU record: when the entry was last used, how many bytes it takes, and the size its digest declares (records
     * written before that was kept have two fields: {@link #digestSize} reads them as unknown).
     */
    byte[] lruRecord(long lastUse, long size, long digestSize) {
        return ByteBuffer.allocate(3 * Long.BYTES).putLong(lastUse).putLong(size).putLong(digestSize).array();
    }

    static long digestSize(byte[] lruRecord) {
        return lruRecord == null || lruRecord.length < 3 * Long.BYTES ? HeldKeys.UNKNOWN_SIZE
                : ByteBuffer.wrap(lruRecord).getLong(2 * Long.BYTES);
    }

    long now() {
        return clock.millis();
    }

    static long lastUse(byte[] lruRecord) {
        return ByteBuffer.wrap(lruRecord).getLong(0);
    }

    static long recordedSize(byte[] lruRecord) {
        return lruRecord == null ? 0 : ByteBuffer.wrap(lruRecord).getLong(Long.BYTES);
    }

    /** A consistent view for reading a chunked value, and the action that releases it. */
    ReadOptions snapshotReadOptions(Runnable[] release) {
        Snapshot snapshot = db.getSnapshot();
        ReadOptions options = new ReadOptions().setSnapshot(snapshot);
        release[0] = () -> {
            options.close();
            db.releaseSnapshot(snapshot);
        };
        return options;
    }

    /**
     * Adds the entry's removal to {@code batch}: its inline value, its head and chunks, and its LRU record. Returns
     * the stored bytes it held. The caller holds the key's lock.
     */
    long addRemoval(WriteBatch batch, Space space, byte[] valueKey, byte[] lruKey) throws RocksDBException {
        byte[] record = db.get(lruFamily, lruKey);
        if (record == null) {
            return 0; // never stored, or removed: value, head and record come and go in one batch, so none is there
        }
        long previous = recordedSize(record);
        byte[] head = db.get(headsFamily, lruKey);
        if (head != null) {
            ChunkedValues.Head old = ChunkedValues.Head.decode(head);
            batch.deleteRange(chunksFamily, old.chunkKey(0), old.endKey());
            batch.delete(headsFamily, lruKey);
        }
        batch.delete(families.get(space), valueKey);
        batch.delete(lruFamily, lruKey);
        return previous;
    }

    /** Counts {@code bytes} about to be written against the directory's bound; see {@link DirectoryBound#admit}. */
    void admit(long bytes) {
        if (bound != null) {
            bound.admit(bytes);
        }
    }

    /** Records a change in stored bytes (under the key's lock). */
    void stored(long deltaBytes) {
        storedBytes.addAndGet(deltaBytes);
    }

    /**
     * Evicts least recently used entries when the values are over their limit. Called holding no key's lock: eviction
     * takes the locks of the keys it removes, and a writer holding one while waiting for eviction deadlocked it
     * (locks are striped, so any two keys may share one).
     */
    void evictIfOverLimit() throws RocksDBException {
        if (storedBytes.get() > limits.dataBytes()) {
            evictDownTo((long) (limits.dataBytes() * EVICTION_LOW_WATER));
        }
    }

    /**
     * Makes room when the directory is {@code excessBytes} over what a write may find: entries are evicted by the
     * excess (not below {@link #RELIEF_FLOOR} of the values' limit: files that are not the cache's must not empty
     * it), then memtables are flushed, so their logs go and the deletions reach the tables, where compaction (two
     * flushes start one) frees their space. A manual compaction of everything would free it at once, but writes a
     * second copy of the tables first: the bound forbids that.
     */
    private void relieve(long excessBytes) {
        try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
            long target = Math.max(storedBytes.get() - excessBytes, (long) (limits.dataBytes() * RELIEF_FLOOR));
            if (storedBytes.get() > target) {
                evictDownTo(target);
            }
            db.flush(flush, handles);
        } catch (RocksDBException e) {
            log.warn("cannot make room in the cache directory: {}", e.getMessage());
        }
    }

    private synchronized void evictDownTo(long target) throws RocksDBException {
        if (storedBytes.get() <= target) {
            return;
        }
        record Entry(byte[] key, long lastUse) {}
        List<Entry> entries = new ArrayList<>();
        try (RocksIterator it = db.newIterator(lruFamily)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                entries.add(new Entry(it.key(), lastUse(it.value())));
            }
        }
        entries.sort((a, b) -> Long.compare(a.lastUse(), b.lastUse()));
        long evicted = 0;
        long evictedBytes = 0;
        for (Entry entry : entries) {
            if (storedBytes.get() <= target) {
                break;
            }
            Space space = spaceOf(entry.key());
            byte[] valueKey = Arrays.copyOfRange(entry.key(), 1, entry.key().length);
            synchronized (lockFor(entry.key())) {
                try (WriteBatch batch = new WriteBatch()) {
                    long size = addRemoval(batch, space, valueKey, entry.key());
                    db.write(writeOptions, batch);
                    held.get(space).removed(new String(valueKey, StandardCharsets.US_ASCII));
                    storedBytes.addAndGet(-size);
                    evictedBytes += size;
                }
            }
            evicted++;
        }
        addToCounter(EVICTIONS, evicted);
        addToCounter(EVICTED_BYTES, evictedBytes);
        log.info("evicted {} least recently used entries ({} bytes): cache now {} bytes (limit {})", evicted,
                evictedBytes, storedBytes.get(), limits.dataBytes());
    }

    /** Reads every LRU record once at open: fills the in-memory indexes and returns the stored bytes they add up to. */
    private long loadRecords() {
        long total = 0;
        try (RocksIterator it = db.newIterator(lruFamily)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                byte[] key = it.key();
                byte[] record = it.value();
                total += recordedSize(record);
                held.get(spaceOf(key)).held(new String(key, 1, key.length - 1, StandardCharsets.US_ASCII),
                        digestSize(record), lastUse(record));
            }
        }
        return total;
    }

    private static Space spaceOf(byte[] lruKey) {
        return lruKey[0] == Space.CAS.tag ? Space.CAS : Space.ACTIONS;
    }

    /** Chunks no head names are what a write cut short left behind (e.g. the process was killed): they go. */
    private void removeUnfinishedChunks() throws RocksDBException {
        Set<ByteBuffer> live = new HashSet<>();
        try (RocksIterator it = db.newIterator(headsFamily)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                live.add(ByteBuffer.wrap(ChunkedValues.Head.decode(it.value()).id()));
            }
        }
        long removed = 0;
        try (RocksIterator it = db.newIterator(chunksFamily); WriteBatch batch = new WriteBatch()) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                if (!live.contains(ByteBuffer.wrap(ChunkedValues.idOf(it.key())))) {
                    batch.delete(chunksFamily, it.key());
                    removed++;
                }
            }
            db.write(writeOptions, batch);
        }
        if (removed > 0) {
            log.info("removed {} chunks of writes that never finished", removed);
        }
    }

    private static void closeQuietly(AutoCloseable resource) {
        try {
            resource.close();
        } catch (Exception e) {
            log.debug("closing {} failed: {}", resource, e.getMessage());
        }
    }

    private static byte[] counterKey(String name) {
        return ("counter:" + name).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] longBytes(long value) {
        return ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(value).array();
    }
}
