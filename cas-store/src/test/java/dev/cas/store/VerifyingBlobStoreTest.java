package dev.cas.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
                .isInstanceOf(IllegalArgumentException.class)
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
    void theEmptyBlobIsAlwaysPresent() {
        assertThat(store.get(Digest.EMPTY)).hasValueSatisfying(v -> assertThat(v).isEmpty());
    }
}
