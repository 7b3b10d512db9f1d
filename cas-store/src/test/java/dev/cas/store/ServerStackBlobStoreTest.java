package dev.cas.store;

import static dev.cas.store.StoreFailures.failsAs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksIterator;

/**
 * The stack the server and the local cache put on RocksDB for content-addressed blobs: verifying over compressing
 * over the RocksDB leaf (which keys blobs by hash alone), on a real database in a temp dir.
 */
class ServerStackBlobStoreTest extends BlobStoreContractTest {
    @TempDir
    Path dir;
    protected RocksDbDatabase database;
    protected BlobStore raw;
    protected VerifyingBlobStore verifying;

    @Override
    protected BlobStore createStore() {
        return stackOn(RocksDbDatabase.open(dir.resolve("db"), 1L << 30, Clock.systemUTC()));
    }

    /** The stack on a database (which the test then owns and closes). */
    protected BlobStore stackOn(RocksDbDatabase opened) {
        database = opened;
        raw = database.space(RocksDbDatabase.Space.CAS);
        verifying = new VerifyingBlobStore(new CompressingBlobStore(raw, 3), d -> database.addToCounter("corrupt", 1));
        return aboveVerifying(verifying);
    }

    /** What a variant of the stack puts on top of verifying; nothing here. */
    protected BlobStore aboveVerifying(BlobStore verified) {
        return verified;
    }

    @Override
    protected void closeStore() {
        database.close();
    }

    @Override
    @Test
    void overwritingKeepsTheLatestValue() {
        Digest key = Digest.of("first");
        assertThatThrownBy(() -> store.put(key, bytes("second"))).satisfies(failsAs(StoreException.Kind.REJECTED));
    }

    @Test
    void askingWithTheWrongSizeIsAMissAndRemovesNothing() throws Exception {
        byte[] small = bytes("object code");
        store.put(Digest.of(small), small);
        assertThat(store.get(new Digest(Digest.of(small).hash(), 3))).isEmpty();
        byte[] large = largeValue(1_600_000, 21);
        store.put(Digest.of(large), large);
        assertThatThrownBy(() -> {
            try (InputStream in = store.openRead(new Digest(Digest.of(large).hash(), 1_700_000)).orElseThrow()) {
                in.readAllBytes();
            }
        }).satisfies(failsAs(StoreException.Kind.WRONG_SIZE));
        assertThat(store.get(Digest.of(small))).isPresent();
        assertThat(store.get(Digest.of(large))).isPresent();
        assertThat(database.counter("corrupt")).isZero();
    }

    @Test
    void aChunkDamagedAtRestIsCaughtAndTheBlobRemoved() throws Exception {
        byte[] value = largeValue(4_000_000, 22);
        Digest digest = Digest.of(value);
        store.put(digest, value);
        try (RocksIterator it = database.db().newIterator(database.chunksFamily())) {
            it.seekToFirst();
            byte[] chunk = it.value();
            chunk[chunk.length / 2] ^= 0x55;
            database.db().put(database.chunksFamily(), it.key(), chunk);
        }
        assertThatThrownBy(() -> {
            try (InputStream in = store.openRead(digest).orElseThrow()) {
                in.readAllBytes();
            }
        }).satisfies(failsAs(StoreException.Kind.CORRUPT));
        assertThat(store.findMissing(List.of(digest))).containsExactly(digest);
        assertThat(database.counter("corrupt")).isEqualTo(1);
    }

    @Test
    void theSizeABlobWasStoredUnderIsKnownByItsHashAsHttpClientsNameIt() throws Exception {
        byte[] value = largeValue(1_200_000, 23);
        store.put(Digest.of(value), value);
        String hash = Digest.of(value).hash();
        long size = database.declaredSize(RocksDbDatabase.Space.CAS, hash);
        assertThat(size).isEqualTo(value.length);
        try (InputStream in = store.openRead(new Digest(hash, size)).orElseThrow()) {
            assertThat(in.readAllBytes()).isEqualTo(value);
        }
        assertThat(database.declaredSize(RocksDbDatabase.Space.CAS, Digest.of("never stored").hash())).isNegative();
    }
}
