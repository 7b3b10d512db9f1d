package dev.cas.worker.cache;

import dev.cas.store.Digest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Consumer;

/**
 * Builds a SHA-256 key from named, length-prefixed fields, so that no two different sets of inputs can run together
 * into the same bytes. Every field that can change an object goes through here.
 */
public final class Fingerprint {
    private final MessageDigest digest = Digest.sha256();
    private long size;

    public Fingerprint(String schema) {
        add("schema", schema);
    }

    public Fingerprint add(String name, String value) {
        return add(name, value.getBytes(StandardCharsets.UTF_8));
    }

    public Fingerprint add(String name, List<String> values) {
        add(name, Integer.toString(values.size()));
        for (String value : values) {
            add(name, value);
        }
        return this;
    }

    public Fingerprint add(String name, byte[] value) {
        field(name, value.length);
        digest.update(value);
        size += value.length;
        return this;
    }

    /** Adds a field whose bytes are written by {@code writer} straight into the hash. */
    public Fingerprint add(String name, Consumer<MessageDigest> writer) {
        field(name, -1);
        writer.accept(digest);
        digest.update((byte) 0);
        return this;
    }

    public Digest build() {
        return new Digest(HexFormat.of().formatHex(digest.digest()), size);
    }

    private void field(String name, long length) {
        digest.update(name.getBytes(StandardCharsets.UTF_8));
        digest.update(ByteBuffer.allocate(Long.BYTES).putLong(length).array());
    }
}
