package dev.cas.worker.pieces;

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
 * <p>The object keeps its size and layout, so no relocation and no other section moves: each line program is
 * re-encoded in place ({@link LineProgramShift}); an attribute is rewritten in its own form. When something does not fit (a sequence
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


    private void shiftLinePrograms(ElfSections.Section section) {
        Map<Integer, Long> relocated = sections.relocatedValues(".debug_line");
        int at = 0;
        while (at < section.size()) {
            DwarfCursor in = new DwarfCursor(object, section.offset() + at, section.offset() + section.size());
            long length = in.u32();
            if (length >= 0xfffffff0L) {
                throw new Refused("64-bit DWARF line table");
            }
            int end = in.at + (int) length;
            LineProgramShift.Header header = LineProgramShift.Header.read(in, end, section.offset(), relocated, sections, object);
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
            byte[] program = new LineProgramShift(header, moved, delta).rewrite(object, header.programStart, end);
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


    private void shiftAttributes(ElfSections.Section info) {
        Map<Integer, Long> relocated = sections.relocatedValues(".debug_info");
        ElfSections.Section abbreviations = sections.named(".debug_abbrev")
                .orElseThrow(() -> new Refused("no .debug_abbrev"));
        int sectionEnd = info.offset() + info.size();
        DwarfCursor in = new DwarfCursor(object, info.offset(), sectionEnd);
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

    private long relocatedField(DwarfCursor in, Map<Integer, Long> relocated, ElfSections.Section section) {
        int at = in.at;
        return in.u32() + relocated.getOrDefault(at - section.offset(), 0L);
    }

    private void shiftUnit(DwarfCursor in, int end, Map<Long, Abbreviation> table, int addressSize, int version,
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
                        : DwarfForms.skip(in, form, addressSize, version);
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
        DwarfCursor value = new DwarfCursor(object, at, object.length);
        int form = abbreviation.forms[lineIndex];
        long line = DwarfForms.skip(value, form, 8, 5);
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
                if (DwarfCursor.ulebWidth(moved0) > width) {
                    throw new Refused("a line outgrew its form");
                }
                DwarfCursor.writeUleb(object, at, moved0, width);
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
            DwarfCursor in = new DwarfCursor(object, section.offset() + (int) offset, section.offset() + section.size());
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

    /** Why an object cannot be moved in place; thrown by the readers and writers of its DWARF. */
    static final class Refused extends RuntimeException {
        Refused(String message) {
            super(message, null, false, false);
        }
    }
}