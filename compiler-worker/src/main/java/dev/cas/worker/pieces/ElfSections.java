package dev.cas.worker.pieces;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The sections of an x86-64 ELF relocatable object by name, and the values its RELA relocations put into a section,
 * read straight from its bytes. It exists for {@link DwarfLineShift}: in an object not yet linked, the DWARF fields
 * that point into string sections hold zero and the relocation holds the offset.
 */
final class ElfSections {
    static final long SHF_COMPRESSED = 0x800;
    private static final int SHT_SYMTAB = 2;
    private static final int SHT_RELA = 4;

    /** One section header's facts. */
    record Section(String name, int type, long flags, int offset, int size, int link, int info) {
    }

    private final ByteBuffer elf;
    private final Map<String, Section> byName = new LinkedHashMap<>();
    private final Section[] byIndex;

    private ElfSections(byte[] object) {
        elf = ByteBuffer.wrap(object).order(ByteOrder.LITTLE_ENDIAN);
        if (object.length < 64 || elf.getInt(0) != 0x464c457f || elf.get(4) != 2 || elf.get(5) != 1) {
            throw new IllegalArgumentException("not a little-endian 64-bit ELF object");
        }
        int headers = Math.toIntExact(elf.getLong(0x28));
        int entrySize = Short.toUnsignedInt(elf.getShort(0x3a));
        int count = Short.toUnsignedInt(elf.getShort(0x3c));
        int namesIndex = Short.toUnsignedInt(elf.getShort(0x3e));
        int names = Math.toIntExact(elf.getLong(headers + namesIndex * entrySize + 0x18));
        byIndex = new Section[count];
        for (int i = 0; i < count; i++) {
            int at = headers + i * entrySize;
            Section section = new Section(string(object, names + elf.getInt(at)), elf.getInt(at + 4),
                    elf.getLong(at + 8), Math.toIntExact(elf.getLong(at + 0x18)),
                    Math.toIntExact(elf.getLong(at + 0x20)), elf.getInt(at + 0x28), elf.getInt(at + 0x2c));
            byIndex[i] = section;
            byName.putIfAbsent(section.name(), section);
        }
    }

    static ElfSections read(byte[] object) {
        return new ElfSections(object);
    }

    Optional<Section> named(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    Iterable<Section> all() {
        return byName.values();
    }

    /**
     * What the RELA relocations of section {@code name} add at each offset of it: the symbol's value plus the
     * addend (a section symbol's value is 0, so this is the offset into the section it names).
     */
    Map<Integer, Long> relocatedValues(String name) {
        Map<Integer, Long> values = new HashMap<>();
        for (Section rela : byIndex) {
            if (rela.type() != SHT_RELA || rela.info() >= byIndex.length || !byIndex[rela.info()].name().equals(name)) {
                continue;
            }
            Section symbols = byIndex[rela.link()];
            if (symbols.type() != SHT_SYMTAB) {
                continue;
            }
            for (int at = rela.offset(); at + 24 <= rela.offset() + rela.size(); at += 24) {
                long offset = elf.getLong(at);
                int symbol = (int) (elf.getLong(at + 8) >>> 32);
                long symbolValue = elf.getLong(symbols.offset() + symbol * 24 + 8);
                values.put(Math.toIntExact(offset), symbolValue + elf.getLong(at + 16));
            }
        }
        return values;
    }

    /** The NUL-terminated string at {@code from} of {@code bytes}. */
    static String string(byte[] bytes, int from) {
        int end = from;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, from, end - from, StandardCharsets.UTF_8);
    }
}
