package dev.cas.worker.pieces;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Moves the lines of one source file in an x86-64 ELF object's DWARF (versions 2 to 5) by a fixed amount, as Zig's
 * incremental back end does instead of compiling again: the rows of the line programs and the {@code decl_line} /
 * {@code call_line} attributes whose file is that file. A piece whose code did not change but whose lines moved
 * reuses its cached object this way.
 *
 * <p>The object keeps its size and layout, so no relocation and no other section moves: each sequence of a line
 * program is re-encoded with the new line advances and padded back to its old length with a no-op
 * ({@code DW_LNS_advance_pc 0}); an attribute is rewritten in its own form. When something does not fit (a sequence
 * grows, a line needs a wider form, a form or section it does not know) the answer is empty and the caller compiles
 * the piece instead: a miss, never a wrong line.
 */
final class DwarfLineShift {
    private static final int DW_AT_STMT_LIST = 0x10;
    private static final int DW_AT_DECL_FILE = 0x3a;
    private static final int DW_AT_DECL_LINE = 0x3b;
    private static final int DW_AT_CALL_FILE = 0x58;
    private static final int DW_AT_CALL_LINE = 0x59;
    private static final int DW_FORM_IMPLICIT_CONST = 0x21;
    private static final int DW_LNS_ADVANCE_PC = 2;
    private static final int DW_LNS_ADVANCE_LINE = 3;

    private final byte[] object;
    private final ElfSections sections;
    private final MainFileLines.SourceFile file;
    private final int delta;
    /** Per line table (by offset in .debug_line): the indices of its file entries that are the moved file. */
    private final Map<Integer, Set<Integer>> movedFiles = new HashMap<>();

    private DwarfLineShift(byte[] object, MainFileLines.SourceFile file, int delta) {
        this.object = object;
        this.sections = ElfSections.read(object);
        this.file = file;
        this.delta = delta;
    }

    /**
     * A copy of {@code object} with every line of {@code file} moved by {@code delta}; empty, with the reason logged
     * by the caller, when it cannot be done in place.
     */
    static Result shift(byte[] object, MainFileLines.SourceFile file, int delta) {
        if (delta == 0) {
            return Result.of(object);
        }
        try {
            DwarfLineShift shift = new DwarfLineShift(object.clone(), file, delta);
            return shift.apply();
        } catch (Refused refused) {
            return Result.refused(refused.getMessage());
        } catch (RuntimeException malformed) {
            return Result.refused("unreadable DWARF: " + malformed);
        }
    }

    /** The moved object, or why it could not be moved. */
    record Result(Optional<byte[]> object, String refusal) {
        static Result of(byte[] object) {
            return new Result(Optional.of(object), "");
        }

        static Result refused(String reason) {
            return new Result(Optional.empty(), reason);
        }
    }

    private Result apply() {
        for (ElfSections.Section section : sections.all()) {
            if (section.name().startsWith(".debug") && (section.flags() & ElfSections.SHF_COMPRESSED) != 0) {
                throw new Refused("compressed debug section " + section.name());
            }
        }
        if (sections.named(".debug_types").isPresent() || sections.named(".debug_macro").isPresent()) {
            throw new Refused("type units or macro tables");
        }
        Optional<ElfSections.Section> lines = sections.named(".debug_line");
        if (lines.isEmpty()) {
            return Result.of(object); // no line information: nothing to move
        }
        shiftLinePrograms(lines.get());
        Optional<ElfSections.Section> info = sections.named(".debug_info");
        if (info.isPresent()) {
            shiftAttributes(info.get());
        }
        return Result.of(object);
    }

    // ---- line programs ----

    private void shiftLinePrograms(ElfSections.Section section) {
        Map<Integer, Long> relocated = sections.relocatedValues(".debug_line");
        int at = 0;
        while (at < section.size()) {
            Cursor in = new Cursor(object, section.offset() + at, section.offset() + section.size());
            long length = in.u32();
            if (length >= 0xfffffff0L) {
                throw new Refused("64-bit DWARF line table");
            }
            int end = in.at + (int) length;
            LineHeader header = LineHeader.read(in, end, section.offset(), relocated, sections, object);
            Set<Integer> moved = new HashSet<>();
            for (int i = 0; i < header.paths.size(); i++) {
                if (file.path().equals(resolved(header.paths.get(i)))) {
                    moved.add(i + header.firstFileIndex);
                }
            }
            if (moved.isEmpty()) {
                // the key named lines of this file, so the table must name it: refuse rather than move nothing
                throw new Refused("the line table does not name " + file.path());
            }
            movedFiles.put(at, moved);
            byte[] program = new LineProgram(header, moved).rewrite(object, header.programStart, end);
            System.arraycopy(program, 0, object, header.programStart, program.length);
            at = end - section.offset();
        }
    }

    /**
     * A file entry's path; one in the compilation directory, which a DWARF 4 table does not name, is taken to be in
     * the moved file's directory (the main file's debug-info directory is the compilation directory).
     */
    private String resolved(String path) {
        if (path == null || !path.startsWith("\0")) {
            return path;
        }
        String name = path.substring(1);
        return file.directory().isEmpty() ? name : file.directory() + "/" + name;
    }

    /** A line table's header: where its program starts, its opcode parameters, its files' resolved paths. */
    private static final class LineHeader {
        int version;
        int programStart;
        int lineBase;
        int lineRange;
        int opcodeBase;
        int[] operandCounts;
        int firstFileIndex;
        final List<String> paths = new ArrayList<>();

        static LineHeader read(Cursor in, int end, int sectionStart, Map<Integer, Long> relocated,
                ElfSections sections, byte[] object) {
            LineHeader header = new LineHeader();
            header.version = in.u16();
            if (header.version < 2 || header.version > 5) {
                throw new Refused("line table version " + header.version);
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
                    throw new Refused("VLIW line table");
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
                throw new Refused("line table parameters");
            }
            if (header.version >= 5) {
                header.readVersion5Files(in, sectionStart, relocated, sections, object);
            } else {
                header.readVersion4Files(in);
            }
            if (header.programStart > end) {
                throw new Refused("line table header longer than its unit");
            }
            return header;
        }

        private void readVersion4Files(Cursor in) {
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

        private void readVersion5Files(Cursor in, int sectionStart, Map<Integer, Long> relocated,
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
        private static List<String[]> entries(Cursor in, int sectionStart, Map<Integer, Long> relocated,
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
                    long value = Forms.skip(in, field[1], 8, 5);
                    if (field[0] == 1) { // DW_LNCT_path
                        entry[0] = switch (field[1]) {
                            case 0x08 -> ElfSections.string(object, fieldAt);
                            case 0x1f -> sectionString(".debug_line_str", value
                                    + relocated.getOrDefault(fieldAt - sectionStart, 0L), sections, object);
                            case 0x0e -> sectionString(".debug_str", value
                                    + relocated.getOrDefault(fieldAt - sectionStart, 0L), sections, object);
                            default -> throw new Refused("file name form " + field[1]);
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
            ElfSections.Section section = sections.named(name).orElseThrow(() -> new Refused("no " + name));
            if (offset < 0 || offset >= section.size()) {
                throw new Refused("string offset outside " + name);
            }
            return ElfSections.string(object, section.offset() + (int) offset);
        }

        private String resolve(List<String> directories, int index, String name) {
            if (name.startsWith("/")) {
                return name;
            }
            if (index < 0 || index >= directories.size()) {
                throw new Refused("directory index " + index);
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

    /** One line program re-encoded with the moved file's rows moved. */
    private final class LineProgram {
        private final LineHeader header;
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

        LineProgram(LineHeader header, Set<Integer> moved) {
            this.header = header;
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
            Cursor in = new Cursor(bytes, start, end);
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
                            throw new Refused("set_address inside a sequence");
                        }
                        copy(bytes, opAt, next);
                    } else if (sub == 3) {
                        throw new Refused("DW_LNE_define_file");
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
                throw new Refused("the line program does not end with a sequence");
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
                throw new Refused("a line moved below 1");
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
            writeSleb(out, value, 0);
        }

        /** Pads the sequence written since its start to {@code inLength} bytes, its length in the old program. */
        private void pad(int inLength) {
            int slack = inLength - (out.size() - segmentOut);
            if (slack < 0) {
                throw new Refused("a sequence of the line program grew by " + -slack + " bytes");
            }
            if (slack == 1) {
                if (lastAdvanceAt < segmentOut) {
                    throw new Refused("one byte of slack and no advance to widen");
                }
                byte[] written = out.toByteArray();
                int width = slebWidth(lastAdvance);
                out.reset();
                out.write(written, 0, lastAdvanceAt + 1);
                writeSleb(out, lastAdvance, width + 1);
                out.write(written, lastAdvanceAt + 1 + width, written.length - lastAdvanceAt - 1 - width);
            } else if (slack >= 2) {
                out.write(DW_LNS_ADVANCE_PC);
                writeUlebZero(out, slack - 1);
            }
        }

        private void copy(byte[] bytes, int from, int to) {
            out.write(bytes, from, to - from);
        }
    }

    // ---- attributes ----

    private void shiftAttributes(ElfSections.Section info) {
        Map<Integer, Long> relocated = sections.relocatedValues(".debug_info");
        ElfSections.Section abbreviations = sections.named(".debug_abbrev")
                .orElseThrow(() -> new Refused("no .debug_abbrev"));
        int sectionEnd = info.offset() + info.size();
        Cursor in = new Cursor(object, info.offset(), sectionEnd);
        while (in.at < sectionEnd) {
            long length = in.u32();
            if (length >= 0xfffffff0L) {
                throw new Refused("64-bit DWARF unit");
            }
            int end = in.at + (int) length;
            int version = in.u16();
            long abbreviationsAt;
            int addressSize;
            if (version >= 5) {
                int unitType = in.u8();
                if (unitType != 1 && unitType != 3) {
                    throw new Refused("unit type " + unitType);
                }
                addressSize = in.u8();
                abbreviationsAt = relocatedField(in, relocated, info);
            } else if (version >= 2) {
                abbreviationsAt = relocatedField(in, relocated, info);
                addressSize = in.u8();
            } else {
                throw new Refused("unit version " + version);
            }
            Map<Long, Abbreviation> table = Abbreviation.table(object, abbreviations, abbreviationsAt);
            shiftUnit(in, end, table, addressSize, version, relocated, info);
            in.at = end;
        }
    }

    private long relocatedField(Cursor in, Map<Integer, Long> relocated, ElfSections.Section section) {
        int at = in.at;
        return in.u32() + relocated.getOrDefault(at - section.offset(), 0L);
    }

    private void shiftUnit(Cursor in, int end, Map<Long, Abbreviation> table, int addressSize, int version,
            Map<Integer, Long> relocated, ElfSections.Section info) {
        Set<Integer> moved = null;
        while (in.at < end) {
            long code = in.uleb();
            if (code == 0) {
                continue;
            }
            Abbreviation abbreviation = table.get(code);
            if (abbreviation == null) {
                throw new Refused("unknown abbreviation " + code);
            }
            long declFile = -1;
            long callFile = -1;
            int declLine = -1;
            int callLine = -1;
            for (int i = 0; i < abbreviation.attributes.length; i++) {
                int attribute = abbreviation.attributes[i];
                int form = abbreviation.forms[i];
                int valueAt = in.at;
                long value = form == DW_FORM_IMPLICIT_CONST ? abbreviation.constants[i]
                        : Forms.skip(in, form, addressSize, version);
                switch (attribute) {
                    case DW_AT_STMT_LIST -> {
                        long table0 = value + relocated.getOrDefault(valueAt - info.offset(), 0L);
                        moved = movedFiles.get((int) table0);
                        if (moved == null) {
                            throw new Refused("a unit names a line table not read");
                        }
                    }
                    case DW_AT_DECL_FILE -> declFile = value;
                    case DW_AT_CALL_FILE -> callFile = value;
                    case DW_AT_DECL_LINE -> declLine = form == DW_FORM_IMPLICIT_CONST ? -2 : i;
                    case DW_AT_CALL_LINE -> callLine = form == DW_FORM_IMPLICIT_CONST ? -2 : i;
                    default -> {
                    }
                }
                if (i == declLine || i == callLine) {
                    abbreviation.positions[i] = valueAt;
                }
            }
            if (moved != null) {
                patch(moved, declFile, declLine, abbreviation);
                patch(moved, callFile, callLine, abbreviation);
            }
        }
    }

    private void patch(Set<Integer> moved, long fileValue, int lineIndex, Abbreviation abbreviation) {
        if (lineIndex == -1 || !moved.contains((int) fileValue)) {
            return;
        }
        if (lineIndex == -2) {
            throw new Refused("a line held in an abbreviation");
        }
        int at = abbreviation.positions[lineIndex];
        Cursor value = new Cursor(object, at, object.length);
        int form = abbreviation.forms[lineIndex];
        long line = Forms.skip(value, form, 8, 5);
        if (line == 0) {
            return;
        }
        long moved0 = line + delta;
        if (moved0 <= 0) {
            throw new Refused("a line moved below 1");
        }
        switch (form) {
            case 0x0b -> put(at, moved0, 1);
            case 0x05 -> put(at, moved0, 2);
            case 0x06 -> put(at, moved0, 4);
            case 0x07 -> put(at, moved0, 8);
            case 0x0f -> {
                int width = value.at - at;
                if (ulebWidth(moved0) > width) {
                    throw new Refused("a line outgrew its form");
                }
                writeUleb(object, at, moved0, width);
            }
            default -> throw new Refused("line form " + form);
        }
    }

    private void put(int at, long value, int bytes) {
        if (bytes < 8 && value >>> (8 * bytes) != 0) {
            throw new Refused("a line outgrew its form");
        }
        for (int i = 0; i < bytes; i++) {
            object[at + i] = (byte) (value >>> (8 * i));
        }
    }

    /** One abbreviation: its attributes and their forms (and implicit constants). */
    private static final class Abbreviation {
        int[] attributes;
        int[] forms;
        long[] constants;
        /** Scratch: where the current entry's attributes start. */
        int[] positions;

        static Map<Long, Abbreviation> table(byte[] object, ElfSections.Section section, long offset) {
            Map<Long, Abbreviation> table = new HashMap<>();
            Cursor in = new Cursor(object, section.offset() + (int) offset, section.offset() + section.size());
            while (in.at < in.end) {
                long code = in.uleb();
                if (code == 0) {
                    break;
                }
                in.uleb(); // tag
                in.u8(); // children
                List<long[]> specs = new ArrayList<>();
                while (true) {
                    long attribute = in.uleb();
                    long form = in.uleb();
                    if (attribute == 0 && form == 0) {
                        break;
                    }
                    specs.add(new long[] {attribute, form, form == DW_FORM_IMPLICIT_CONST ? in.sleb() : 0});
                }
                Abbreviation abbreviation = new Abbreviation();
                abbreviation.attributes = specs.stream().mapToInt(s -> (int) s[0]).toArray();
                abbreviation.forms = specs.stream().mapToInt(s -> (int) s[1]).toArray();
                abbreviation.constants = specs.stream().mapToLong(s -> s[2]).toArray();
                abbreviation.positions = new int[specs.size()];
                table.put(code, abbreviation);
            }
            return table;
        }
    }

    /** Sizes of DWARF attribute forms (32-bit DWARF). */
    private static final class Forms {
        /** Reads past one value of {@code form}; returns it when it is a number (0 otherwise). */
        static long skip(Cursor in, int form, int addressSize, int version) {
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
                default -> throw new Refused("attribute form " + form);
            };
        }
    }

    /** Reads little-endian values and LEB128 numbers from a byte range. */
    private static final class Cursor {
        final byte[] bytes;
        final int end;
        int at;

        Cursor(byte[] bytes, int at, int end) {
            this.bytes = bytes;
            this.at = at;
            this.end = end;
        }

        int u8() {
            if (at >= end) {
                throw new Refused("read past the end of a section");
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
                throw new Refused("a block runs past its section");
            }
            at += (int) count;
            return 0;
        }

        long uleb() {
            long value = 0;
            int shift = 0;
            int b;
            do {
                b = u8();
                value |= (long) (b & 0x7f) << shift;
                shift += 7;
            } while ((b & 0x80) != 0);
            return value;
        }

        long sleb() {
            long value = 0;
            int shift = 0;
            int b;
            do {
                b = u8();
                value |= (long) (b & 0x7f) << shift;
                shift += 7;
            } while ((b & 0x80) != 0);
            if (shift < 64 && (b & 0x40) != 0) {
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
    }

    // ---- LEB128 writers ----

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
    private static void writeUlebZero(ByteArrayOutputStream out, int width) {
        for (int i = 0; i < width; i++) {
            out.write(i < width - 1 ? 0x80 : 0);
        }
    }

    private static void writeUleb(byte[] bytes, int at, long value, int width) {
        for (int i = 0; i < width; i++) {
            int b = (int) (value & 0x7f);
            value >>>= 7;
            bytes[at + i] = (byte) (i < width - 1 ? b | 0x80 : b);
        }
    }

    /** Why an object cannot be moved in place. */
    private static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message, null, false, false);
        }
    }
}
