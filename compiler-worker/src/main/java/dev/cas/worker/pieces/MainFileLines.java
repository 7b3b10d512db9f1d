package dev.cas.worker.pieces;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Which debug-metadata definitions of a printed module hold lines of the unit's main source file, and how to write
 * those lines relative to a base. Keys built from relative lines are equal when text is inserted or deleted above a
 * piece's code, which moves every line of the main file it names by the same amount; the cached object is then moved
 * by that amount ({@link DwarfLineShift}) instead of being compiled again. Lines of other files (headers) stay as
 * they are: they did not move, and a key that named them relative would hide a header's lines moving.
 *
 * <p>A line's file is the node's {@code file:} field; a {@code DILocation} has none and takes its scope's, as LLVM
 * does when it writes the line table. What cannot be attributed stays absolute: a miss, never a wrong line.
 */
final class MainFileLines {
    /** No line of the main file in a text: nothing to move. */
    static final int NO_BASE = Integer.MIN_VALUE;
    private static final int MAX_SCOPE_DEPTH = 256;

    /** The unit's main source file as its debug info names it. */
    record SourceFile(String filename, String directory) {
        /** The path debug info resolves it to: the file name when absolute, else below the directory. */
        String path() {
            return filename.startsWith("/") || directory.isEmpty() ? filename : directory + "/" + filename;
        }
    }

    private final Set<String> definitions = Collections.newSetFromMap(new IdentityHashMap<>());
    private final SourceFile mainFile;

    private MainFileLines(SourceFile mainFile) {
        this.mainFile = mainFile;
    }

    /** Nothing is relative: a module without debug info, or with other than one compile unit. */
    static MainFileLines none() {
        return new MainFileLines(null);
    }

    /**
     * Finds the main-file definitions among {@code metadata} (printed number to definition line) of a module whose
     * single compile unit is {@code compileUnit}.
     */
    static MainFileLines of(Map<String, String> metadata, String compileUnit) {
        String unit = metadata.get(compileUnit);
        String fileId = unit == null ? null : reference(field(unit, "file"));
        String file = fileId == null ? null : metadata.get(fileId);
        if (file == null || !file.contains("!DIFile(")) {
            return none();
        }
        SourceFile main = sourceFile(file);
        if (main == null) {
            return none();
        }
        Set<String> mainFiles = new HashSet<>();
        metadata.forEach((id, definition) -> {
            if (definition.contains("!DIFile(") && main.equals(sourceFile(definition))) {
                mainFiles.add(id);
            }
        });
        MainFileLines lines = new MainFileLines(main);
        for (String definition : metadata.values()) {
            if (definition.contains("line: ") && mainFiles.contains(fileOf(metadata, definition))) {
                lines.definitions.add(definition);
            }
        }
        return lines;
    }

    Optional<SourceFile> mainFile() {
        return Optional.ofNullable(mainFile);
    }

    /** Whether {@code definition} (a line of the index, by identity) holds lines of the main file. */
    boolean holdsMainLines(String definition) {
        return definitions.contains(definition);
    }

    /** The number of the file a definition's lines are in: its own {@code file:}, or a location's scope's. */
    private static String fileOf(Map<String, String> metadata, String definition) {
        String node = definition;
        for (int depth = 0; node != null && depth < MAX_SCOPE_DEPTH; depth++) {
            String file = reference(field(node, "file"));
            if (file != null || !node.contains("!DILocation(")) {
                return file;
            }
            String scope = reference(field(node, "scope"));
            node = scope == null ? null : metadata.get(scope);
        }
        return null;
    }

    /**
     * {@code definition} with each non-zero line of the main file written as {@code ~} and its distance from
     * {@code base[0]}; the first such line becomes the base when {@code base[0]} is {@link #NO_BASE}.
     */
    static String relative(String definition, int[] base) {
        StringBuilder out = new StringBuilder(definition.length() + 8);
        int copied = 0;
        int length = definition.length();
        for (int i = 0; i < length; i++) {
            char c = definition.charAt(i);
            if (c == '"') {
                i = stringEnd(definition, i);
                continue;
            }
            int digits = lineValueAt(definition, i);
            if (digits < 0) {
                continue;
            }
            int end = digits;
            while (end < length && Character.isDigit(definition.charAt(end))) {
                end++;
            }
            int line = Integer.parseInt(definition, digits, end, 10);
            if (line != 0) {
                if (base[0] == NO_BASE) {
                    base[0] = line;
                }
                out.append(definition, copied, digits).append('~').append(line - base[0]);
                copied = end;
            }
            i = end - 1;
        }
        return copied == 0 ? definition : out.append(definition, copied, length).toString();
    }

    /** Where the digits of a {@code line: } or {@code scopeLine: } field starting at {@code at} begin, or -1. */
    private static int lineValueAt(String text, int at) {
        if (at == 0 || (text.charAt(at - 1) != '(' && text.charAt(at - 1) != ' ')) {
            return -1;
        }
        String name = text.startsWith("line: ", at) ? "line: " : text.startsWith("scopeLine: ", at) ? "scopeLine: "
                : null;
        if (name == null) {
            return -1;
        }
        int digits = at + name.length();
        return digits < text.length() && Character.isDigit(text.charAt(digits)) ? digits : -1;
    }

    /** The value of a field ({@code name: value}) of a metadata definition, outside strings; null when absent. */
    static String field(String definition, String name) {
        String needle = name + ": ";
        for (int at = definition.indexOf(needle); at > 0; at = definition.indexOf(needle, at + 1)) {
            char before = definition.charAt(at - 1);
            if ((before != '(' && before != ' ') || insideString(definition, at)) {
                continue;
            }
            int from = at + needle.length();
            int end = from;
            int length = definition.length();
            while (end < length && definition.charAt(end) != ',' && definition.charAt(end) != ')') {
                end = definition.charAt(end) == '"' ? stringEnd(definition, end) + 1 : end + 1;
            }
            return definition.substring(from, Math.min(end, length));
        }
        return null;
    }

    /** Whether {@code at} is inside a string literal: the IR printer escapes quotes, so quotes before it pair up. */
    private static boolean insideString(String text, int at) {
        boolean inside = false;
        for (int i = text.indexOf('"'); i >= 0 && i < at; i = text.indexOf('"', i + 1)) {
            inside = !inside;
        }
        return inside;
    }

    private static String reference(String value) {
        return value != null && value.startsWith("!") && value.length() > 1 && Character.isDigit(value.charAt(1))
                ? value.substring(1) : null;
    }

    private static SourceFile sourceFile(String definition) {
        String filename = field(definition, "filename");
        String directory = field(definition, "directory");
        if (filename == null || directory == null) {
            return null;
        }
        return new SourceFile(unquote(filename), unquote(directory));
    }

    /** The index of the closing quote of the string opening at {@code open}. */
    private static int stringEnd(String text, int open) {
        int i = open + 1;
        while (i < text.length() && text.charAt(i) != '"') {
            i++;
        }
        return i;
    }

    /** An IR string literal's value: quotes removed, {@code \XX} hex escapes decoded as UTF-8. */
    static String unquote(String literal) {
        String body = literal.length() >= 2 && literal.startsWith("\"") && literal.endsWith("\"")
                ? literal.substring(1, literal.length() - 1) : literal;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(body.length());
        for (int i = 0; i < body.length(); i++) {
            char c = body.charAt(i);
            if (c == '\\' && i + 2 < body.length() && isHex(body.charAt(i + 1)) && isHex(body.charAt(i + 2))) {
                bytes.write(Integer.parseInt(body, i + 1, i + 3, 16));
                i += 2;
            } else {
                byte[] encoded = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
                bytes.write(encoded, 0, encoded.length);
            }
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static boolean isHex(char c) {
        return Character.digit(c, 16) >= 0;
    }
}
