package dev.cas.store;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.UUID;

/**
 * How a value larger than one RocksDB value is laid out: its bytes as numbered chunks under a key prefix of their own
 * (a random id per write, so an unfinished or concurrent write never touches a committed value's chunks), and a
 * head record naming the prefix, the chunk count and the total size. The head is written last, in one batch with
 * the LRU record, so a value is either wholly present or absent.
 */
final class ChunkedValues {
    /** Values up to this size are stored inline as one RocksDB value; larger ones in chunks of this size. */
    static final int CHUNK_BYTES = 1 << 20;
    static final int ID_BYTES = 16;

    private ChunkedValues() {
    }

    /** A committed chunked value: where its chunks are, how many, and how many bytes in all. */
    record Head(byte[] id, int chunks, long size) {
        static Head decode(byte[] bytes) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            byte[] id = new byte[ID_BYTES];
            buffer.get(id);
            return new Head(id, buffer.getInt(), buffer.getLong());
        }

        byte[] encode() {
            return ByteBuffer.allocate(ID_BYTES + Integer.BYTES + Long.BYTES).put(id).putInt(chunks).putLong(size)
                    .array();
        }

        byte[] chunkKey(int index) {
            return ChunkedValues.chunkKey(id, index);
        }

        /** The first key after this value's chunks, for a range delete. */
        byte[] endKey() {
            return ChunkedValues.chunkKey(id, chunks);
        }
    }

    static byte[] newId() {
        UUID uuid = UUID.randomUUID();
        return ByteBuffer.allocate(ID_BYTES).putLong(uuid.getMostSignificantBits())
                .putLong(uuid.getLeastSignificantBits()).array();
    }

    static byte[] chunkKey(byte[] id, int index) {
        return ByteBuffer.allocate(ID_BYTES + Integer.BYTES).put(id).putInt(index).array();
    }

    static byte[] idOf(byte[] chunkKey) {
        return Arrays.copyOf(chunkKey, ID_BYTES);
    }
}
