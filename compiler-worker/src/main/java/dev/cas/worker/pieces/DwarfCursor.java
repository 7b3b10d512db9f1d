package dev.cas.worker.pieces;

import java.io.ByteArrayOutputStream;

/**
 * Reads little-endian values, LEB128 numbers and strings from a byte range of an object's DWARF sections, and writes
 * LEB128 numbers (padded to a width when asked: DWARF readers accept redundant continuation bytes). For
 * {@link DwarfLineShift}; reading past the range is a refusal, not a crash.
 */
final class DwarfCursor {
    final byte[] bytes;
    final int end;
    int at;

    DwarfCursor(byte[] bytes, int at, int end) {
        this.bytes = bytes;
        this.at = at;
        this.end = end;
    }

    int u8() {
        if (at >= end) {
            throw new DwarfLineShift.Refused("read past the end of a section");
        }
        return bytes[at++] & 0xff;
    }

    int u16() {
        return (int) fixed(2);
    }

    long u32() {
        return fixed(4);
    }

    long fixed(int size) {
        long value = 0;
        for (int i = 0; i < size; i++) {
            value |= (long) u8() << (8 * i);
        }
        return value;
    }

    long skipBytes(long count) {
        if (count < 0 || at + count > end) {
            throw new DwarfLineShift.Refused("a block runs past its section");
        }
        at += (int) count;
        return 0;
    }

    long uleb() {
        return leb(false);
    }

    long sleb() {
        return leb(true);
    }

    private long leb(boolean signed) {
        long value = 0;
        int shift = 0;
        int b;
        do {
            b = u8();
            value |= (long) (b & 0x7f) << shift;
            shift += 7;
        } while ((b & 0x80) != 0);
        if (signed && shift < 64 && (b & 0x40) != 0) {
            value |= -1L << shift;
        }
        return value;
    }

    String string() {
        String value = ElfSections.string(bytes, at);
        int nul = at;
        while (nul < end && bytes[nul] != 0) {
            nul++;
        }
        skipBytes(nul - at + 1);
        return value;
    }


    static int slebWidth(long value) {
        int width = 0;
        boolean more;
        do {
            long b = value & 0x7f;
            value >>= 7;
            more = !((value == 0 && (b & 0x40) == 0) || (value == -1 && (b & 0x40) != 0));
            width++;
        } while (more);
        return width;
    }

    static int ulebWidth(long value) {
        int width = 1;
        while ((value >>>= 7) != 0) {
            width++;
        }
        return width;
    }

    /** Writes {@code value} as SLEB128 in at least {@code width} bytes (redundant continuation bytes pad it). */
    static void writeSleb(ByteArrayOutputStream out, long value, int width) {
        int needed = Math.max(slebWidth(value), width);
        for (int i = 0; i < needed; i++) {
            int b = (int) (value & 0x7f);
            value >>= 7;
            out.write(i < needed - 1 ? b | 0x80 : b);
        }
    }

    /** A ULEB128 zero in {@code width} bytes. */
    static void writeUlebZero(ByteArrayOutputStream out, int width) {
        for (int i = 0; i < width; i++) {
            out.write(i < width - 1 ? 0x80 : 0);
        }
    }

    static void writeUleb(byte[] bytes, int at, long value, int width) {
        for (int i = 0; i < width; i++) {
            int b = (int) (value & 0x7f);
            value >>>= 7;
            bytes[at + i] = (byte) (i < width - 1 ? b | 0x80 : b);
        }
    }
}
