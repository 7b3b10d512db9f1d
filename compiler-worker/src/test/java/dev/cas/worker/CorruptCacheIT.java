package dev.cas.worker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cas.worker.cache.Stat;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksIterator;
import org.rocksdb.UInt64AddOperator;

/** Entries damaged on disk are detected on read, removed, counted, and never reach a program. */
class CorruptCacheIT {
    @TempDir
    Path dir;

    @Test
    void corruptObjectsAreDetectedRemovedAndRebuilt() throws Exception {
        WorkerFixture.write(dir.resolve("main.c"), """
                #include <stdio.h>
                int main(void) { puts("intact"); return 0; }
                """);
        Path cache = dir.resolve("cache");
        try (WorkerFixture fixture = new WorkerFixture(cache)) {
            fixture.casOk(dir, "cc", "-O2", "-o", "first", "main.c");
        }
        int damaged = overwriteEveryValue(cache.resolve("db"), "cas");
        assertThat(damaged).isGreaterThanOrEqualTo(1);

        try (WorkerFixture fixture = new WorkerFixture(cache)) {
            long hits = fixture.stat(Stat.UNIT_HITS);
            fixture.casOk(dir, "cc", "-O2", "-o", "second", "main.c");
            assertThat(fixture.stat(Stat.UNIT_HITS)).isEqualTo(hits);
            assertThat(fixture.stat(Stat.CORRUPT)).isPositive();
            assertThat(WorkerFixture.run(dir.resolve("second"), null)).isEqualTo("intact\n");

            long corrupt = fixture.stat(Stat.CORRUPT);
            fixture.casOk(dir, "cc", "-O2", "-o", "third", "main.c");
            assertThat(fixture.stat(Stat.UNIT_HITS)).isEqualTo(hits + 1);
            assertThat(fixture.stat(Stat.CORRUPT)).as("reported once").isEqualTo(corrupt);
            assertThat(WorkerFixture.run(dir.resolve("third"), null)).isEqualTo("intact\n");
        }
    }

    @Test
    void aCorruptManifestIsAMiss() throws Exception {
        WorkerFixture.write(dir.resolve("main.c"), "int main(void) { return 0; }\n");
        Path cache = dir.resolve("cache");
        try (WorkerFixture fixture = new WorkerFixture(cache)) {
            fixture.casOk(dir, "cc", "-c", "main.c");
        }
        // the unit manifest, the direct-mode include manifest and the explanation of the build
        assertThat(overwriteEveryValue(cache.resolve("db"), "actions")).isEqualTo(3);
        try (WorkerFixture fixture = new WorkerFixture(cache)) {
            long misses = fixture.stat(Stat.UNIT_MISSES);
            fixture.casOk(dir, "cc", "-c", "main.c");
            assertThat(fixture.stat(Stat.UNIT_MISSES)).isEqualTo(misses + 1);
            assertThat(fixture.worker.explain(dir, "main.c")).hasValueSatisfying(text -> assertThat(text)
                    .startsWith("translation unit miss"));
        }
    }

    /** Damages every value of one column family, as a disk or a crash might, behind the cache's back. */
    private static int overwriteEveryValue(Path db, String family) throws Exception {
        List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
        for (byte[] name : RocksDB.listColumnFamilies(new Options(), db.toString())) {
            // the counters are merges (uint64add): without the operator, log recovery silently stops at the first merge
            descriptors.add(new ColumnFamilyDescriptor(name,
                    new ColumnFamilyOptions().setMergeOperator(new UInt64AddOperator())));
        }
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        int count = 0;
        try (RocksDB rocks = RocksDB.open(new DBOptions(), db.toString(), descriptors, handles)) {
            for (int i = 0; i < descriptors.size(); i++) {
                if (!new String(descriptors.get(i).getName(), StandardCharsets.UTF_8).equals(family)) {
                    continue;
                }
                try (RocksIterator it = rocks.newIterator(handles.get(i))) {
                    for (it.seekToFirst(); it.isValid(); it.next()) {
                        byte[] value = it.value();
                        value[value.length / 2] ^= 0x5a;
                        rocks.put(handles.get(i), it.key(), value);
                        count++;
                    }
                }
            }
            handles.forEach(ColumnFamilyHandle::close);
        }
        return count;
    }
}
