package dev.cas.worker.pieces;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The symbol table of an x86-64 ELF relocatable object, read straight from its bytes (the LLVM C API exposes names
 * and addresses of symbols, not their binding or visibility). It exists for {@link SymbolTableCheck}, which compares
 * a merged per-function object with the whole unit's.
 */
public final class ElfSymbols {
    static final int STB_LOCAL = 0;
    static final int STB_GLOBAL = 1;
    static final int STB_WEAK = 2;
    private static final int SHT_SYMTAB = 2;
    private static final int SHN_UNDEF = 0;

    /** One symbol: its name, binding (STB_*), type (STT_*), visibility (STV_*) and whether this object defines it. */
    record Symbol(String name, int binding, int type, int visibility, boolean defined) {
        String describe() {
            return name + " (" + bindingName() + ", " + typeName() + ", " + visibilityName() + ")";
        }

        private String bindingName() {
            return switch (binding) {
                case STB_LOCAL -> "local";
                case STB_GLOBAL -> "global";
                case STB_WEAK -> "weak";
                case 10 -> "unique";
                default -> "binding " + binding;
            };
        }

        private String typeName() {
            return switch (type) {
                case 0 -> "notype";
                case 1 -> "object";
                case 2 -> "function";
                case 6 -> "tls";
                case 10 -> "ifunc";
                default -> "type " + type;
            };
        }

        private String visibilityName() {
            return switch (visibility) {
                case 0 -> "default";
                case 1 -> "internal";
                case 2 -> "hidden";
                default -> "protected";
            };
        }
    }

    private ElfSymbols() {
    }

    /** Every named symbol of {@code object}; section and file symbols are left out. */
    static List<Symbol> read(byte[] object) {
        ByteBuffer elf = ByteBuffer.wrap(object).order(ByteOrder.LITTLE_ENDIAN);
        if (object.length < 64 || elf.getInt(0) != 0x464c457f || elf.get(4) != 2 || elf.get(5) != 1) {
            throw new IllegalArgumentException("not a little-endian 64-bit ELF object");
        }
        long sectionHeaders = elf.getLong(0x28);
        int entrySize = Short.toUnsignedInt(elf.getShort(0x3a));
        int sections = Short.toUnsignedInt(elf.getShort(0x3c));
        List<Symbol> symbols = new ArrayList<>();
        for (int i = 0; i < sections; i++) {
            int header = Math.toIntExact(sectionHeaders + (long) i * entrySize);
            if (elf.getInt(header + 4) != SHT_SYMTAB) {
                continue;
            }
            int offset = Math.toIntExact(elf.getLong(header + 0x18));
            int size = Math.toIntExact(elf.getLong(header + 0x20));
            int link = elf.getInt(header + 0x28);
            int symbolSize = Math.toIntExact(elf.getLong(header + 0x38));
            int strings = Math.toIntExact(elf.getLong(Math.toIntExact(sectionHeaders + (long) link * entrySize) + 0x18));
            for (int at = offset + symbolSize; at + symbolSize <= offset + size; at += symbolSize) {
                int info = Byte.toUnsignedInt(elf.get(at + 4));
                int type = info & 0xf;
                if (type == 3 || type == 4) { // STT_SECTION, STT_FILE
                    continue;
                }
                String name = string(object, strings + elf.getInt(at));
                if (!name.isEmpty()) {
                    symbols.add(new Symbol(name, info >> 4, type, elf.get(at + 5) & 3,
                            Short.toUnsignedInt(elf.getShort(at + 6)) != SHN_UNDEF));
                }
            }
        }
        return symbols;
    }

    private static String string(byte[] bytes, int from) {
        int end = from;
        while (end < bytes.length && bytes[end] != 0) {
            end++;
        }
        return new String(bytes, from, end - from, StandardCharsets.UTF_8);
    }
}
