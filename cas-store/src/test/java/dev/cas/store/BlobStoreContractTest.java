package dev.cas.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
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
}
