package dev.cas.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The server's whole stack for blobs (metered over memory over verifying over compressing over RocksDB): everything
 * the stack beneath does (the inherited tests), plus what the meters count.
 */
class MeteredBlobStoreTest extends MemoryCachingBlobStoreTest {
    private MeterRegistry meters;

    @Override
    protected BlobStore aboveVerifying(BlobStore verified) {
        meters = new SimpleMeterRegistry();
        return new MeteredBlobStore(super.aboveVerifying(verified), "cas", meters);
    }

    private double lookups(String result) {
        return meters.get("cas.store.lookups").tag("result", result).counter().count();
    }

    private double bytesCounted(String direction) {
        return meters.get("cas.store.bytes").tag("direction", direction).counter().count();
    }

    @Test
    void countsHitsMissesAndBytesEachWay() throws Exception {
        byte[] small = bytes("object code");
        byte[] large = largeValue(1_500_000, 31);
        store.put(Digest.of(small), small);
        try (BlobWriter writer = store.openWrite(Digest.of(large))) {
            writer.write(large);
            writer.commit();
        }
        assertThat(bytesCounted("written")).isEqualTo(small.length + large.length);

        assertThat(store.get(Digest.of(small))).isPresent();
        try (InputStream in = store.openRead(Digest.of(large)).orElseThrow()) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        assertThat(store.get(Digest.of("absent"))).isEmpty();
        assertThat(store.findMissing(List.of(Digest.of(small), Digest.of("absent too")))).hasSize(1);
        assertThat(lookups("hit")).isEqualTo(3);
        assertThat(lookups("miss")).isEqualTo(2);
        assertThat(bytesCounted("read")).isEqualTo(small.length + large.length);
    }
}
