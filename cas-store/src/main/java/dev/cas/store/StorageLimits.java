package dev.cas.store;

/**
 * How large a cache may grow, and what RocksDB may use on the way. {@link #logical} counts only the bytes the values
 * take (the embedded cache, whose directory the user does not size). {@link #wholeDirectory} bounds everything in the
 * directory (tables, write-ahead logs, info logs, the outputs of flushes and compactions before their inputs go) by
 * sizing RocksDB's own overheads to the limit and leaving the values what remains.
 *
 * @param directoryBytes the bound on the directory, or 0 when only the values are counted
 * @param dataBytes the stored (compressed) bytes of values above which least recently used entries are evicted
 * @param memtableBytes all memtables together (a flush may add this much to the directory before logs go)
 * @param walBytes the write-ahead logs kept before the oldest one's memtables are flushed
 * @param tableFileBytes the size a table file is cut at
 * @param compactionBytes the input of one compaction (its output may sit beside its input this long)
 * @param infoLogBytes one RocksDB info log file (two are kept)
 */
public record StorageLimits(long directoryBytes, long dataBytes, long memtableBytes, long walBytes,
        long tableFileBytes, long compactionBytes, long infoLogBytes) {
    /** RocksDB's defaults where nothing bounds the directory: values are what is counted. */
    private static final long DEFAULT_MEMTABLE_BYTES = 48L << 20;
    private static final long DEFAULT_WAL_BYTES = 256L << 20;
    private static final long DEFAULT_TABLE_FILE_BYTES = 64L << 20;
    private static final long DEFAULT_INFO_LOG_BYTES = 16L << 20;
    /**
     * Table files one compaction may write before its inputs go. Keys are hashes, spread over the whole key space, so
     * a compaction takes in a file and every file of the next level it overlaps: about a level's fan-out (10).
     */
    private static final int COMPACTION_FILES = 16;
    /**
     * Table bytes per value byte allowed for in a bounded directory: leveled compaction keeps a level's deleted and
     * overwritten entries until they meet the level below, about a tenth of what it holds (RocksDB's tuning guide).
     */
    private static final double SPACE_AMPLIFICATION = 1.15;
    /** The smallest bound a RocksDB directory can keep: its manifest, options and logs alone take some 100 KiB. */
    public static final long MIN_DIRECTORY_BYTES = 4L << 20;

    /** Values alone are counted against {@code maxBytes}; RocksDB's overheads come on top. */
    public static StorageLimits logical(long maxBytes) {
        return new StorageLimits(0, maxBytes, DEFAULT_MEMTABLE_BYTES, DEFAULT_WAL_BYTES, DEFAULT_TABLE_FILE_BYTES,
                COMPACTION_FILES * DEFAULT_TABLE_FILE_BYTES, DEFAULT_INFO_LOG_BYTES);
    }

    /** Everything in the directory stays within {@code maxBytes}; the values get what RocksDB's overheads leave. */
    public static StorageLimits wholeDirectory(long maxBytes) {
        if (maxBytes < MIN_DIRECTORY_BYTES) {
            throw new IllegalArgumentException("a cache directory needs at least " + MIN_DIRECTORY_BYTES
                    + " bytes, got a limit of " + maxBytes);
        }
        long memtables = clamp(maxBytes / 32, 256 << 10, DEFAULT_MEMTABLE_BYTES);
        long wal = clamp(maxBytes / 16, 1 << 20, DEFAULT_WAL_BYTES);
        long tableFile = clamp(maxBytes / 64, 64 << 10, DEFAULT_TABLE_FILE_BYTES);
        long infoLog = clamp(maxBytes / 128, 32 << 10, DEFAULT_INFO_LOG_BYTES);
        long compaction = COMPACTION_FILES * tableFile;
        long data = (long) ((maxBytes - memtables - compaction - wal - 2 * infoLog) / SPACE_AMPLIFICATION);
        return new StorageLimits(maxBytes, data, memtables, wal, tableFile, compaction, infoLog);
    }

    /** Whether the directory as a whole is bounded (and writes may be refused). */
    public boolean bounded() {
        return directoryBytes > 0;
    }

    /**
     * What the directory may hold when a write is admitted: the bound less what a flush and a compaction already
     * under way may still add before their inputs go.
     */
    public long admittedBytes() {
        return directoryBytes - memtableBytes - compactionBytes;
    }

    private static long clamp(long value, long min, long max) {
        return Math.max(min, Math.min(max, value));
    }
}
