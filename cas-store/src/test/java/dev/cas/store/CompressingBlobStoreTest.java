package dev.cas.store;

import static dev.cas.store.StoreFailures.failsAs;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.Zstd;
import java.io.IOException;
import java.io.InputStream;
import org.junit.jupiter.api.Test;

class CompressingBlobStoreTest extends BlobStoreContractTest {
    private final InMemoryBlobStore backing = new InMemoryBlobStore();

    @Override
    protected BlobStore createStore() {
        return new CompressingBlobStore(backing, 3);
    }

    @Test
    void storesLessThanItWasGiven() {
        byte[] value = bytes("abc".repeat(10_000));
        store.put(Digest.of(value), value);
        assertThat(backing.get(Digest.of(value)).orElseThrow().length).isLessThan(value.length / 10);
    }

    @Test
    void aFrameThatDoesNotDecodeIsCorruptNotAnOrdinaryError() {
        Digest key = Digest.of("k");
        backing.put(key, bytes("not zstd at all"));
        assertThatThrownBy(() -> store.get(key)).satisfies(failsAs(StoreException.Kind.CORRUPT));
        assertThatThrownBy(() -> {
            try (InputStream in = store.openRead(key).orElseThrow()) {
                in.readAllBytes();
            }
        }).satisfies(failsAs(StoreException.Kind.CORRUPT));
    }

    @Test
    void aStreamedFrameReadsBackWhole() throws IOException {
        byte[] value = largeValue(1_500_000, 9);
        try (BlobWriter writer = store.openWrite(Digest.of(value))) {
            writer.write(value);
            writer.commit();
        }
        // written as a stream, the frame does not record its size: the whole read must cope
        assertThat(store.get(Digest.of(value))).hasValueSatisfying(v -> assertThat(v).isEqualTo(value));
    }

    @Test
    void aSmallValueWrittenInPiecesIsCompressedWhole() throws IOException {
        byte[] value = bytes("a small object file ".repeat(500));
        try (BlobWriter writer = store.openWrite(Digest.of(value))) {
            writeInPieces(writer, value);
            writer.commit();
        }
        byte[] frame = backing.get(Digest.of(value)).orElseThrow();
        assertThat(Zstd.getFrameContentSize(frame)).as("a one-shot frame records its size")
                .isEqualTo(value.length);
        assertThat(store.get(Digest.of(value))).hasValueSatisfying(v -> assertThat(v).isEqualTo(value));
    }

    @Test
    void aValueJustPastTheOneShotSizeStreams() throws IOException {
        byte[] value = largeValue(CompressingBlobStore.ONE_SHOT_BYTES + 1, 10);
        try (BlobWriter writer = store.openWrite(Digest.of(value))) {
            writer.write(value, 0, CompressingBlobStore.ONE_SHOT_BYTES);
            writer.write(value, CompressingBlobStore.ONE_SHOT_BYTES, 1);
            writer.commit();
        }
        byte[] frame = backing.get(Digest.of(value)).orElseThrow();
        assertThatThrownBy(() -> Zstd.getFrameContentSize(frame))
                .as("a streamed frame does not record its size").hasMessageContaining("unknown");
        try (InputStream in = store.openRead(Digest.of(value)).orElseThrow()) {
            assertThat(in.readAllBytes()).isEqualTo(value);
        }
    }

    @Test
    void aSmallWriteClosedWithoutCommitLeavesNothing() throws IOException {
        byte[] value = bytes("never committed");
        try (BlobWriter writer = store.openWrite(Digest.of(value))) {
            writer.write(value);
        }
        assertThat(backing.get(Digest.of(value))).isEmpty();
    }
}
