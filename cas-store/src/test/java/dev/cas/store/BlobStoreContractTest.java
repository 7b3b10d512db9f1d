package dev.cas.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link BlobStore} must do, run against each implementation and decorator stack. */
abstract class BlobStoreContractTest {
    protected BlobStore store;

    protected abstract BlobStore createStore() throws Exception;

    protected void closeStore() throws Exception {
    }

    @BeforeEach
    void setUp() throws Exception {
        store = createStore();
    }

    @AfterEach
    void tearDown() throws Exception {
        closeStore();
    }

    static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aMissIsEmptyNotAnError() {
        assertThat(store.get(Digest.of("never stored"))).isEmpty();
    }

    @Test
    void returnsWhatWasPut() {
        byte[] value = bytes("an object file, say");
        store.put(Digest.of(value), value);
        assertThat(store.get(Digest.of(value))).hasValueSatisfying(v -> assertThat(v).isEqualTo(value));
    }

    @Test
    void findMissingReportsOnlyAbsentDigests() {
        byte[] present = bytes("present");
        store.put(Digest.of(present), present);
        Digest absent = Digest.of("absent");
        assertThat(store.findMissing(List.of(Digest.of(present), absent))).containsExactly(absent);
    }

    @Test
    void deleteRemovesAndIgnoresAbsentEntries() {
        byte[] value = bytes("short-lived");
        store.put(Digest.of(value), value);
        store.delete(Digest.of(value));
        store.delete(Digest.of("was never there"));
        assertThat(store.get(Digest.of(value))).isEmpty();
    }

    @Test
    void overwritingKeepsTheLatestValue() {
        Digest key = Digest.of("an action key");
        store.put(key, bytes("first"));
        store.put(key, bytes("second"));
        assertThat(store.get(key)).hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("second")));
    }

    /** Half random, half repeated: large enough for several chunks, compressible enough to exercise zstd. */
    static byte[] largeValue(int size, long seed) {
        byte[] value = new byte[size];
        new Random(seed).nextBytes(value);
        for (int i = 0; i < size; i += 2) {
            value[i] = (byte) (i >> 12);
        }
        return value;
    }

    static void writeInPieces(BlobWriter writer, byte[] value) throws IOException {
        int at = 0;
        for (int piece = 1; at < value.length; piece = (piece * 3 + 1) % 1_000_003) {
            int n = Math.min(piece % 300_000 + 1, value.length - at);
            writer.write(value, at, n);
            at += n;
        }
    }

    @Test
    void streamsALargeValueInAndOut() throws IOException {
        byte[] value = largeValue(3_500_000, 1);
        Digest digest = Digest.of(value);
        try (BlobWriter writer = store.openWrite(digest)) {
            writeInPieces(writer, value);
            writer.commit();
        }
        assertThat(store.contains(digest)).isTrue();
        try (InputStream in = store.openRead(digest).orElseThrow()) {
            assertThat(in.readAllBytes()).isEqualTo(value);
        }
        assertThat(store.get(digest)).hasValueSatisfying(v -> assertThat(v).isEqualTo(value));
    }

    @Test
    void aLargeValuePutWholeStreamsOut() throws IOException {
        byte[] value = largeValue(2_200_000, 2);
        store.put(Digest.of(value), value);
        try (InputStream in = store.openRead(Digest.of(value)).orElseThrow()) {
            assertThat(in.readAllBytes()).isEqualTo(value);
        }
    }

    @Test
    void aWriteClosedWithoutCommitLeavesNothing() throws IOException {
        byte[] value = largeValue(2_500_000, 3);
        Digest digest = Digest.of(value);
        try (BlobWriter writer = store.openWrite(digest)) {
            writer.write(value);
        }
        assertThat(store.contains(digest)).isFalse();
        assertThat(store.openRead(digest)).isEmpty();
        assertThat(store.findMissing(List.of(digest))).containsExactly(digest);
    }

    @Test
    void deleteRemovesALargeValue() {
        byte[] value = largeValue(2_100_000, 4);
        store.put(Digest.of(value), value);
        store.delete(Digest.of(value));
        assertThat(store.get(Digest.of(value))).isEmpty();
        assertThat(store.contains(Digest.of(value))).isFalse();
    }

    @Test
    void aSmallValueStreamsToo() throws IOException {
        byte[] value = bytes("tiny");
        try (BlobWriter writer = store.openWrite(Digest.of(value))) {
            writer.write(value);
            writer.commit();
        }
        try (InputStream in = store.openRead(Digest.of(value)).orElseThrow()) {
            assertThat(in.readAllBytes()).isEqualTo(value);
        }
    }
}
