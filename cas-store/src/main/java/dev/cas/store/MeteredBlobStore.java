package dev.cas.store;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collection;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Counts what a store serves, for Prometheus: lookups by outcome ({@code cas_store_lookups_total{result=hit|miss}}),
 * bytes out and in ({@code cas_store_bytes_total{direction=read|written}}), and time per operation
 * ({@code cas_store_operation_seconds{operation}}). One concern only: it changes nothing it passes on. Micrometer is
 * an optional dependency of this module: a user of this layer (the server) brings it.
 */
public final class MeteredBlobStore implements BlobStore {
    private final BlobStore delegate;
    private final Counter hits;
    private final Counter misses;
    private final Counter bytesRead;
    private final Counter bytesWritten;
    private final Timer getTimer;
    private final Timer putTimer;
    private final Timer findMissingTimer;
    private final Timer deleteTimer;

    public MeteredBlobStore(BlobStore delegate, String store, MeterRegistry registry) {
        this.delegate = delegate;
        this.hits = lookups(registry, store, "hit");
        this.misses = lookups(registry, store, "miss");
        this.bytesRead = bytes(registry, store, "read");
        this.bytesWritten = bytes(registry, store, "written");
        this.getTimer = timer(registry, store, "get");
        this.putTimer = timer(registry, store, "put");
        this.findMissingTimer = timer(registry, store, "find_missing");
        this.deleteTimer = timer(registry, store, "delete");
    }

    @Override
    public Optional<byte[]> get(Digest digest) {
        Optional<byte[]> value = getTimer.record((Supplier<Optional<byte[]>>) () -> delegate.get(digest));
        count(value.isPresent());
        value.ifPresent(v -> bytesRead.increment(v.length));
        return value;
    }

    @Override
    public void put(Digest digest, byte[] value) {
        putTimer.record(() -> delegate.put(digest, value));
        bytesWritten.increment(value.length);
    }

    @Override
    public void delete(Digest digest) {
        deleteTimer.record(() -> delegate.delete(digest));
    }

    @Override
    public Set<Digest> findMissing(Collection<Digest> digests) {
        Set<Digest> missing = findMissingTimer.record(() -> delegate.findMissing(digests));
        misses.increment(missing.size());
        hits.increment(digests.size() - missing.size());
        return missing;
    }

    @Override
    public boolean contains(Digest digest) {
        boolean held = findMissingTimer.record(() -> delegate.contains(digest));
        count(held);
        return held;
    }

    @Override
    public Optional<InputStream> openRead(Digest digest) {
        Optional<InputStream> stream = getTimer.record((Supplier<Optional<InputStream>>) () -> delegate.openRead(digest));
        count(stream.isPresent());
        return stream.map(this::counting);
    }

    @Override
    public BlobWriter openWrite(Digest digest) {
        BlobWriter writer = delegate.openWrite(digest);
        return new BlobWriter() {
            @Override
            protected void onWrite(byte[] bytes, int offset, int length) throws IOException {
                writer.write(bytes, offset, length);
                bytesWritten.increment(length);
            }

            @Override
            protected void onCommit() throws IOException {
                Timer.Sample sample = Timer.start();
                try {
                    writer.commit();
                } finally {
                    sample.stop(putTimer);
                }
            }

            @Override
            protected void onAbort() throws IOException {
                writer.close();
            }
        };
    }

    private InputStream counting(InputStream in) {
        return new FilterInputStream(in) {
            @Override
            public int read() throws IOException {
                int b = super.read();
                if (b >= 0) {
                    bytesRead.increment();
                }
                return b;
            }

            @Override
            public int read(byte[] bytes, int offset, int length) throws IOException {
                int n = super.read(bytes, offset, length);
                if (n > 0) {
                    bytesRead.increment(n);
                }
                return n;
            }
        };
    }

    private void count(boolean hit) {
        (hit ? hits : misses).increment();
    }

    private static Counter lookups(MeterRegistry registry, String store, String result) {
        return Counter.builder("cas.store.lookups").description("Lookups by outcome").tag("store", store)
                .tag("result", result).register(registry);
    }

    private static Counter bytes(MeterRegistry registry, String store, String direction) {
        return Counter.builder("cas.store.bytes").description("Value bytes served and stored").baseUnit("bytes")
                .tag("store", store).tag("direction", direction).register(registry);
    }

    private static Timer timer(MeterRegistry registry, String store, String operation) {
        return Timer.builder("cas.store.operation").description("Time per store operation").tag("store", store)
                .tag("operation", operation).register(registry);
    }
}
