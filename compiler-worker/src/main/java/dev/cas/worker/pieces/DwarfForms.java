package dev.cas.worker.pieces;

/**
 * The sizes of DWARF attribute forms (32-bit DWARF, versions 2 to 5 and the GNU extensions LLVM writes): what it
 * takes to step over an attribute whose value does not matter, and to read one that does.
 */
final class DwarfForms {
    private DwarfForms() {
    }

    /** Reads past one value of {@code form}; returns it when it is a number (0 otherwise). */
    static long skip(DwarfCursor in, int form, int addressSize, int version) {
        return switch (form) {
            case 0x01 -> in.fixed(addressSize); // addr
            case 0x03 -> in.skipBytes(in.u16()); // block2
            case 0x04 -> in.skipBytes(in.u32()); // block4
            case 0x05, 0x12 -> in.u16(); // data2, ref2
            case 0x06, 0x13, 0x0e, 0x17, 0x1f, 0x1c, 0x1d -> in.u32(); // data4 ref4 strp sec_offset line_strp sup
            case 0x07, 0x14, 0x20, 0x24 -> in.fixed(8); // data8 ref8 ref_sig8 ref_sup8
            case 0x08 -> {
                in.string();
                yield 0;
            }
            case 0x09, 0x18 -> in.skipBytes(in.uleb()); // block, exprloc
            case 0x0a -> in.skipBytes(in.u8()); // block1
            case 0x0b, 0x0c, 0x11, 0x25, 0x29 -> in.u8(); // data1 flag ref1 strx1 addrx1
            case 0x0d -> in.sleb(); // sdata
            case 0x0f, 0x15, 0x1a, 0x1b, 0x22, 0x23, 0x1f01, 0x1f02 -> in.uleb(); // udata ref_udata strx addrx ...
            case 0x10 -> version <= 2 ? in.fixed(addressSize) : in.u32(); // ref_addr
            case 0x19 -> 0; // flag_present
            case 0x1e -> in.skipBytes(16); // data16
            case 0x26, 0x2a -> in.u16(); // strx2 addrx2
            case 0x27, 0x2b -> in.fixed(3); // strx3 addrx3
            case 0x28, 0x2c, 0x1f20, 0x1f21 -> in.u32(); // strx4 addrx4 GNU_ref_alt GNU_strp_alt
            default -> throw new DwarfLineShift.Refused("attribute form " + form);
        };
    }
}
