package dev.cas.store;

import static dev.cas.store.StoreFailures.failsAs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class VerifyingBlobStoreTest extends BlobStoreContractTest {
    private final InMemoryBlobStore backing = new InMemoryBlobStore();
    private final List<Digest> reported = new ArrayList<>();

    @Override
    protected BlobStore createStore() {
        return new VerifyingBlobStore(new CompressingBlobStore(backing, 3), reported::add);
    }

    @Override
    @Test
    void overwritingKeepsTheLatestValue() {
        // content-addressed: a key has exactly one value; writing another is refused
        Digest key = Digest.of("first");
        assertThatThrownBy(() -> store.put(key, bytes("second")))
                .satisfies(failsAs(StoreException.Kind.REJECTED))
                .hasMessageContaining("does not match its digest");
    }

    @Test
    void aValueDamagedAtRestIsRemovedAndReportedOnce() {
        byte[] value = bytes("object code");
        Digest digest = Digest.of(value);
        store.put(digest, value);
        backing.put(digest, bytes("garbage, not even zstd"));
        assertThat(store.get(digest)).isEmpty();
        assertThat(backing.get(digest)).isEmpty();
        assertThat(store.get(digest)).isEmpty();
        assertThat(reported).containsExactly(digest);
    }

    @Test
    void aWellFormedButWrongValueIsNeverServed() {
        byte[] value = bytes("object code");
        Digest digest = Digest.of(value);
        new CompressingBlobStore(backing, 3).put(digest, bytes("other code!"));
        assertThat(store.get(digest)).isEmpty();
        assertThat(reported).containsExactly(digest);
    }

    @Test
    void aDamagedLargeBlobFailsItsStreamBeforeTheEndAndIsRemoved() throws Exception {
        byte[] value = largeValue(2_000_000, 5);
        Digest digest = Digest.of(value);
        byte[] damaged = value.clone();
        damaged[1_999_000] ^= 1;
        new CompressingBlobStore(backing, 3).put(digest, damaged);
        ByteArrayOutputStream served = new ByteArrayOutputStream();
        assertThatThrownBy(() -> {
            try (InputStream in = store.openRead(digest).orElseThrow()) {
                in.transferTo(served);
            }
        }).satisfies(failsAs(StoreException.Kind.CORRUPT));
        assertThat(backing.get(digest)).isEmpty();
        assertThat(reported).containsExactly(digest);
    }

    @Test
    void aStreamedWriteThatDoesNotMatchItsDigestIsRefusedAndLeavesNothing() throws Exception {
        byte[] value = largeValue(2_000_000, 6);
        Digest digest = Digest.of(value);
        byte[] other = value.clone();
        other[7] ^= 1;
        BlobWriter writer = store.openWrite(digest);
        writer.write(other);
        assertThatThrownBy(writer::commit).satisfies(failsAs(StoreException.Kind.REJECTED))
                .hasMessageContaining("does not match its digest");
        assertThat(backing.contains(digest)).isFalse();
        assertThatThrownBy(() -> store.openWrite(digest).write(new byte[2_000_001]))
                .satisfies(failsAs(StoreException.Kind.REJECTED));
    }

    @Test
    void theEmptyBlobIsAlwaysPresent() {
        assertThat(store.get(Digest.EMPTY)).hasValueSatisfying(v -> assertThat(v).isEmpty());
    }
}
