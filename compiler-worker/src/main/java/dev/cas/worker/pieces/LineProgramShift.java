package dev.cas.worker.pieces;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One DWARF line program (versions 2 to 5) re-encoded with the rows of some files moved by a number of lines: line
 * advances are recomputed for each row (line 0, "no line", stays 0), every other opcode is copied, and each sequence
 * is padded back to its old length with {@code DW_LNS_advance_pc 0}, so that the relocated {@code DW_LNE_set_address}
 * operands and everything after the program stay where they are. A sequence that would grow is refused.
 */
final class LineProgramShift {
    private static final int DW_LNS_ADVANCE_PC = 2;
    private static final int DW_LNS_ADVANCE_LINE = 3;

    /** A line table's header: where its program starts, its opcode parameters, its files' resolved paths. */
    static final class Header {
        int version;
        int programStart;
        int lineBase;
        int lineRange;
        int opcodeBase;
        int[] operandCounts;
        int firstFileIndex;
        final List<String> paths = new ArrayList<>();

        static Header read(DwarfCursor in, int end, int sectionStart, Map<Integer, Long> relocated,
                ElfSections sections, byte[] object) {
            Header header = new Header();
            header.version = in.u16();
            if (header.version < 2 || header.version > 5) {
                throw new DwarfLineShift.Refused("line table version " + header.version);
            }
            if (header.version >= 5) {
                in.u8(); // address size
                in.u8(); // segment selector size
            }
            long headerLength = in.u32();
            header.programStart = in.at + (int) headerLength;
            in.u8(); // minimum instruction length
            if (header.version >= 4) {
                if (in.u8() != 1) {
                    throw new DwarfLineShift.Refused("VLIW line table");
                }
            }
            in.u8(); // default is_stmt
            header.lineBase = (byte) in.u8();
            header.lineRange = in.u8();
            header.opcodeBase = in.u8();
            header.operandCounts = new int[header.opcodeBase];
            for (int i = 1; i < header.opcodeBase; i++) {
                header.operandCounts[i] = in.u8();
            }
            if (header.lineRange == 0 || header.opcodeBase < 10) {
                throw new DwarfLineShift.Refused("line table parameters");
            }
            if (header.version >= 5) {
                header.readVersion5Files(in, sectionStart, relocated, sections, object);
            } else {
                header.readVersion4Files(in);
            }
            if (header.programStart > end) {
                throw new DwarfLineShift.Refused("line table header longer than its unit");
            }
            return header;
        }

        private void readVersion4Files(DwarfCursor in) {
            List<String> directories = new ArrayList<>();
            directories.add(null); // 0: the compilation directory
            for (String directory = in.string(); !directory.isEmpty(); directory = in.string()) {
                directories.add(directory);
            }
            firstFileIndex = 1;
            for (String name = in.string(); !name.isEmpty(); name = in.string()) {
                int directory = (int) in.uleb();
                in.uleb(); // modification time
                in.uleb(); // length
                paths.add(resolve(directories, directory, name));
            }
        }

        private void readVersion5Files(DwarfCursor in, int sectionStart, Map<Integer, Long> relocated,
                ElfSections sections, byte[] object) {
            List<String> directories = new ArrayList<>();
            for (String[] entry : entries(in, sectionStart, relocated, sections, object)) {
                directories.add(entry[0]);
            }
            firstFileIndex = 0;
            for (String[] entry : entries(in, sectionStart, relocated, sections, object)) {
                int directory = entry[1] == null ? 0 : Integer.parseInt(entry[1]);
                paths.add(entry[0] == null ? null : resolve(directories, directory, entry[0]));
            }
        }

        /** Entries of a DWARF 5 directory or file table: {path, directory index}. */
        private static List<String[]> entries(DwarfCursor in, int sectionStart, Map<Integer, Long> relocated,
                ElfSections sections, byte[] object) {
            int formats = in.u8();
            int[][] format = new int[formats][2];
            for (int i = 0; i < formats; i++) {
                format[i][0] = (int) in.uleb();
                format[i][1] = (int) in.uleb();
            }
            long count = in.uleb();
            List<String[]> entries = new ArrayList<>();
            for (long n = 0; n < count; n++) {
                String[] entry = new String[2];
                for (int[] field : format) {
                    int fieldAt = in.at;
                    long value = DwarfForms.skip(in, field[1], 8, 5);
                    if (field[0] == 1) { // DW_LNCT_path
                        entry[0] = switch (field[1]) {
                            case 0x08 -> ElfSections.string(object, fieldAt);
                            case 0x1f -> sectionString(".debug_line_str", value
                                    + relocated.getOrDefault(fieldAt - sectionStart, 0L), sections, object);
                            case 0x0e -> sectionString(".debug_str", value
                                    + relocated.getOrDefault(fieldAt - sectionStart, 0L), sections, object);
                            default -> throw new DwarfLineShift.Refused("file name form " + field[1]);
                        };
                    } else if (field[0] == 2) { // DW_LNCT_directory_index
                        entry[1] = Long.toString(value);
                    }
                }
                entries.add(entry);
            }
            return entries;
        }

        private static String sectionString(String name, long offset, ElfSections sections, byte[] object) {
            ElfSections.Section section = sections.named(name).orElseThrow(() -> new DwarfLineShift.Refused("no " + name));
            if (offset < 0 || offset >= section.size()) {
                throw new DwarfLineShift.Refused("string offset outside " + name);
            }
            return ElfSections.string(object, section.offset() + (int) offset);
        }

        private String resolve(List<String> directories, int index, String name) {
            if (name.startsWith("/")) {
                return name;
            }
            if (index < 0 || index >= directories.size()) {
                throw new DwarfLineShift.Refused("directory index " + index);
            }
            String directory = directories.get(index);
            if (directory == null || directory.isEmpty()) {
                return index == 0 ? "\0" + name : name; // DWARF 4's compilation directory: resolved by the caller
            }
            if (index > 0 && !directory.startsWith("/")) {
                // relative to the compilation directory: DWARF 5's first entry, DWARF 4's unnamed one
                String compilation = directories.get(0);
                return compilation == null || compilation.isEmpty() ? "\0" + directory + "/" + name
                        : compilation + "/" + directory + "/" + name;
            }
            return directory + "/" + name;
        }
    }

    private final Header header;
    private final int delta;
    private final Set<Integer> moved;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private int fileIndex;
    private long oldLine;
    private long newLine;
    /** Whether an advance of the old program was left out since the last row. */
    private boolean advancePending;
    private int segmentIn;
    private int segmentOut;
    /** Where the last advance written in this sequence starts in {@link #out}, and its value; -1 when none. */
    private int lastAdvanceAt = -1;
    private long lastAdvance;

    LineProgramShift(Header header, Set<Integer> moved, int delta) {
        this.header = header;
        this.delta = delta;
        this.moved = moved;
        reset();
    }

    private void reset() {
        fileIndex = 1;
        oldLine = 1;
        newLine = 1;
        advancePending = false;
        lastAdvanceAt = -1;
    }

    byte[] rewrite(byte[] bytes, int start, int end) {
        DwarfCursor in = new DwarfCursor(bytes, start, end);
        segmentIn = start;
        segmentOut = 0;
        while (in.at < end) {
            int opAt = in.at;
            int op = in.u8();
            if (op >= header.opcodeBase) {
                int adjusted = op - header.opcodeBase;
                int addressAdvance = adjusted / header.lineRange;
                int lineAdvance = header.lineBase + adjusted % header.lineRange;
                oldLine += lineAdvance;
                special(op, addressAdvance, lineAdvance);
            } else if (op == 0) {
                long length = in.uleb();
                int sub = in.u8();
                int next = in.at + (int) length - 1;
                if (sub == 1) { // end_sequence
                    moveTo(target());
                    pad(opAt - segmentIn);
                    copy(bytes, opAt, next);
                    reset();
                    segmentIn = next;
                    segmentOut = out.size();
                } else if (sub == 2) { // set_address: relocated, so it must not move
                    if (out.size() != opAt - start) {
                        throw new DwarfLineShift.Refused("set_address inside a sequence");
                    }
                    copy(bytes, opAt, next);
                } else if (sub == 3) {
                    throw new DwarfLineShift.Refused("DW_LNE_define_file");
                } else {
                    copy(bytes, opAt, next);
                }
                in.at = next;
            } else if (op == DW_LNS_ADVANCE_LINE) {
                oldLine += in.sleb();
                advancePending = true;
            } else if (op == 1) { // copy: a row
                copyRow();
            } else {
                for (int i = 0; i < header.operandCounts[op]; i++) {
                    long operand = op == 9 ? in.u16() : in.uleb();
                    if (op == 4) {
                        fileIndex = (int) operand;
                    }
                }
                copy(bytes, opAt, in.at);
            }
        }
        if (out.size() != end - start) {
            throw new DwarfLineShift.Refused("the line program does not end with a sequence");
        }
        return out.toByteArray();
    }

    /** The moved line of the current row (line 0 means none, and stays 0). */
    private long target() {
        if (oldLine == 0 || !moved.contains(fileIndex)) {
            return oldLine;
        }
        long line = oldLine + delta;
        if (line <= 0) {
            throw new DwarfLineShift.Refused("a line moved below 1");
        }
        return line;
    }

    private void special(int op, int addressAdvance, int lineAdvance) {
        long target = target();
        long needed = target - newLine;
        if (needed == lineAdvance) {
            out.write(op);
        } else if (!advancePending && needed >= header.lineBase && needed < header.lineBase + header.lineRange
                && specialCode(addressAdvance, needed) <= 255) {
            out.write(specialCode(addressAdvance, needed));
        } else {
            advanceLine(needed - lineAdvance);
            out.write(op);
        }
        newLine = target;
        advancePending = false;
    }

    /**
     * A row without an address advance: {@code DW_LNS_copy} when the line register already holds its line, else
     * a special opcode advancing only the line (it appends the same row and resets the same flags as a copy),
     * else an advance and a copy.
     */
    private void copyRow() {
        long target = target();
        long needed = target - newLine;
        if (needed != 0 && !advancePending && needed >= header.lineBase
                && needed < header.lineBase + header.lineRange && specialCode(0, needed) <= 255) {
            out.write(specialCode(0, needed));
            newLine = target;
        } else {
            moveTo(target);
            out.write(1);
        }
        advancePending = false;
    }

    private int specialCode(int addressAdvance, long lineAdvance) {
        return (int) (lineAdvance - header.lineBase) + header.lineRange * addressAdvance + header.opcodeBase;
    }

    private void moveTo(long target) {
        if (target != newLine) {
            advanceLine(target - newLine);
            newLine = target;
        }
        advancePending = false;
    }

    private void advanceLine(long value) {
        lastAdvanceAt = out.size();
        lastAdvance = value;
        out.write(DW_LNS_ADVANCE_LINE);
        DwarfCursor.writeSleb(out, value, 0);
    }

    /** Pads the sequence written since its start to {@code inLength} bytes, its length in the old program. */
    private void pad(int inLength) {
        int slack = inLength - (out.size() - segmentOut);
        if (slack < 0) {
            throw new DwarfLineShift.Refused("a sequence of the line program grew by " + -slack + " bytes");
        }
        if (slack == 1) {
            if (lastAdvanceAt < segmentOut) {
                throw new DwarfLineShift.Refused("one byte of slack and no advance to widen");
            }
            byte[] written = out.toByteArray();
            int width = DwarfCursor.slebWidth(lastAdvance);
            out.reset();
            out.write(written, 0, lastAdvanceAt + 1);
            DwarfCursor.writeSleb(out, lastAdvance, width + 1);
            out.write(written, lastAdvanceAt + 1 + width, written.length - lastAdvanceAt - 1 - width);
        } else if (slack >= 2) {
            out.write(DW_LNS_ADVANCE_PC);
            DwarfCursor.writeUlebZero(out, slack - 1);
        }
    }

    private void copy(byte[] bytes, int from, int to) {
        out.write(bytes, from, to - from);
    }
}
