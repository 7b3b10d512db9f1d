package dev.cas.worker.pieces;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * A piece's object as the cache stores it: the object, then (for a piece with lines of the unit's main file) the
 * base line its key's relative lines count from, so that a later build whose lines moved knows by how much to move
 * the object's ({@link DwarfLineShift}). The base is a trailer after the ELF image, which every cache level stores
 * and ships as the blob it is; it is removed before the object is used.
 */
record PieceObject(byte[] object, int base) {
    private static final byte[] MAGIC = "cas-line".getBytes(StandardCharsets.US_ASCII);
    private static final int TRAILER = MAGIC.length + Integer.BYTES;

    byte[] toBlob() {
        if (base == MainFileLines.NO_BASE) {
            return object;
        }
        byte[] blob = Arrays.copyOf(object, object.length + TRAILER);
        System.arraycopy(MAGIC, 0, blob, object.length, MAGIC.length);
        ByteBuffer.wrap(blob, object.length + MAGIC.length, Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN).putInt(base);
        return blob;
    }

    /** The object and base a blob holds; an object stored without a trailer has no base. */
    static PieceObject fromBlob(byte[] blob) {
        int at = blob.length - TRAILER;
        if (at < 0 || !Arrays.equals(blob, at, at + MAGIC.length, MAGIC, 0, MAGIC.length)) {
            return new PieceObject(blob, MainFileLines.NO_BASE);
        }
        int base = ByteBuffer.wrap(blob, at + MAGIC.length, Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN).getInt();
        return new PieceObject(Arrays.copyOf(blob, at), base);
    }

    /**
     * This object for a build where the piece's base is {@code wanted}: as it is when the base did not move, moved
     * by the difference when it did; empty when it cannot be moved in place (the piece is compiled instead).
     */
    Optional<byte[]> at(int wanted, Optional<MainFileLines.SourceFile> mainFile, StringBuilder refusal) {
        if (wanted == base) {
            return Optional.of(object);
        }
        if (wanted == MainFileLines.NO_BASE || base == MainFileLines.NO_BASE || mainFile.isEmpty()) {
            refusal.append("stored without the base of its lines");
            return Optional.empty();
        }
        DwarfLineShift.Result moved = DwarfLineShift.shift(object, mainFile.get(), wanted - base);
        refusal.append(moved.refusal());
        return moved.object();
    }
}
