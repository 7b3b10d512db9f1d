package dev.cas.worker.pieces;

import dev.cas.store.Digest;
import dev.cas.worker.cache.Fingerprint;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What decides each piece's object, computed from one print of the prepared module without building any piece. A
 * function's canonical text is its body with the declarations, types, constants, attribute groups and metadata it
 * reaches, attribute groups and metadata renumbered in order of first use — as printing it alone would. A piece is
 * described by the digests of its functions' texts and of the callees it imports (each function's text is digested
 * once, however many pieces import it), plus the module-wide header; the data piece by its whole canonical text. An
 * edit elsewhere in the unit therefore leaves a piece's description alone, so after an edit only the pieces that
 * really changed are built. The description errs towards including too much: that costs a miss, never a wrong object.
 *
 * <p>Lines of the unit's main source file are written relative to the first one a text names
 * ({@link MainFileLines}), and a piece's functions by their distance from the piece's first: text inserted above a
 * piece leaves its description alone, and the piece's base line (returned with it) says how far its cached object's
 * lines must move ({@link DwarfLineShift}).
 */
final class PieceFingerprints {
    private static final Pattern GLOBAL_REF = Pattern.compile("@(\"(?:[^\"\\\\]|\\\\.)*\"|[-a-zA-Z$._0-9]+)");
    private static final Pattern TYPE_REF = Pattern.compile("%(\"(?:[^\"\\\\]|\\\\.)*\"|[-a-zA-Z$._][-a-zA-Z$._0-9]*)");
    /**
     * A name the IR printer writes bare: LLVM's AsmWriter quotes any name with a character other than letters,
     * digits, '-', '.' and '_' (so a lambda's {@code $_0} is quoted), or one that starts with a digit.
     */
    private static final Pattern BARE_NAME = Pattern.compile("[-a-zA-Z._][-a-zA-Z._0-9]*");

    /**
     * The attachment naming an inline asm statement's (or a diagnosed call's) offset in the source file, which clang
     * reads only to place an error about it. Left out of keys: text inserted above a function with inline asm would
     * otherwise change its key without changing its code.
     */
    private static final String SOURCE_LOCATION = "!srcloc ";
    /** What follows {@code l} and {@code scopeL} before a line number in debug metadata. */
    private static final String LINE_TAIL = "ine: ";

    private final List<String> header = new ArrayList<>();
    private final List<String> namedMetadata = new ArrayList<>();
    /** The compile unit's lists, set aside for the data piece by {@link DebugInfoPieces}. */
    private final List<String> dataMetadata = new ArrayList<>();
    private final List<String> moduleAsm = new ArrayList<>();
    private final Map<String, String> bodies = new HashMap<>();
    private final Map<String, String> defineLines = new HashMap<>();
    private final Map<String, String> declarations = new HashMap<>();
    private final Map<String, String> globals = new LinkedHashMap<>();
    private final Map<String, String> types = new HashMap<>();
    private final Map<String, String> comdats = new LinkedHashMap<>();
    private final Map<String, String> attributes = new HashMap<>();
    private final Map<String, String> metadata = new HashMap<>();
    private final Map<String, FunctionDigests> functionDigests = new ConcurrentHashMap<>();
    private MainFileLines mainFileLines = MainFileLines.none();
    /** Whether the module carries debug info, whose metadata holds line numbers. */
    private boolean debugInfo;
    private volatile byte[] moduleWideDigest;

    private PieceFingerprints() {
    }

    /** Indexes a module as {@code LLVMPrintModuleToString} prints it. */
    static PieceFingerprints parse(String module) {
        PieceFingerprints index = new PieceFingerprints();
        String[] lines = module.split("\n");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i];
            if (line.startsWith("define ")) {
                String name = definedName(line);
                StringBuilder body = new StringBuilder(line).append('\n');
                while (++i < lines.length && !lines[i].equals("}")) {
                    body.append(lines[i]).append('\n');
                }
                body.append("}\n");
                index.bodies.put(name, body.toString());
                index.defineLines.put(name, line.substring(0, line.lastIndexOf('{')).replaceFirst("^define ",
                        "declare "));
            } else if (line.startsWith("declare ")) {
                index.declarations.put(definedName(line), line);
            } else if (line.startsWith("@")) {
                index.globals.put(leadingName(line, GLOBAL_REF), line);
            } else if (line.startsWith("%") && line.contains(" = type ")) {
                index.types.put(leadingName(line, TYPE_REF), line);
            } else if (line.startsWith("$")) {
                index.comdats.put(line.substring(1, line.indexOf(' ')), line);
            } else if (line.startsWith("attributes #")) {
                index.attributes.put(line.substring(12, line.indexOf(' ', 12)), line);
            } else if (line.startsWith("!") && Character.isDigit(line.charAt(1))) {
                index.metadata.put(line.substring(1, line.indexOf(' ')), line);
            } else if (line.startsWith("!" + DebugInfoPieces.LISTS + " ")) {
                index.dataMetadata.add(line);
            } else if (line.startsWith("!")) {
                index.namedMetadata.add(line);
                index.debugInfo |= line.startsWith("!llvm.dbg.cu ");
            } else if (line.startsWith("module asm ")) {
                index.moduleAsm.add(line);
            } else if (line.startsWith("target ")) {
                index.header.add(line);
            }
        }
        index.findMainFileLines();
        return index;
    }

    /** The main-file lines of a module with one compile unit: {@code !llvm.dbg.cu = !{!N}}. */
    private void findMainFileLines() {
        for (String line : namedMetadata) {
            if (line.startsWith("!llvm.dbg.cu = !{!") && line.endsWith("}") && line.indexOf(',') < 0) {
                mainFileLines = MainFileLines.of(metadata, line.substring(18, line.length() - 1));
            }
        }
    }

    /** The unit's main source file, when its lines are written relative. */
    Optional<MainFileLines.SourceFile> mainFile() {
        return mainFileLines.mainFile();
    }

    /**
     * Adds to {@code key} what decides the object of the piece that defines {@code functions} and their
     * {@code aliases} and keeps the bodies of {@code imports}; {@code data} for the data piece (the first). Returns
     * the piece's base: the main-file line its description's relative lines count from, or
     * {@link MainFileLines#NO_BASE}.
     */
    int describePiece(List<String> functions, List<String> aliases, Set<String> imports, boolean data,
            Fingerprint key) {
        return describe(functions, aliases, imports, data, key, null);
    }

    /**
     * The same, and in the same pass the piece's shape into {@code shape}: its description with every line number
     * of the debug info left out, equal for a piece whose code did not change but whose lines moved (text inserted
     * or deleted above it). Code that depends on its line ({@code __LINE__}, {@code assert}) holds the line as a
     * constant, so its shape changes too.
     */
    int describePiece(List<String> functions, List<String> aliases, Set<String> imports, boolean data,
            Fingerprint key, Fingerprint shape) {
        return describe(functions, aliases, imports, data, key, shape);
    }

    private int describe(List<String> functions, List<String> aliases, Set<String> imports, boolean data,
            Fingerprint key, Fingerprint shape) {
        List<Fingerprint> both = shape == null ? List.of(key) : List.of(key, shape);
        both.forEach(fingerprint -> fingerprint.add("module", moduleWide()));
        if (data) {
            int[] base = {MainFileLines.NO_BASE};
            String text = pieceText(functions, imports, true, base);
            key.add("data", text);
            if (shape != null) {
                shape.add("data", withoutLines(text));
            }
            return base[0];
        }
        int[] base = {MainFileLines.NO_BASE};
        both.forEach(fingerprint -> fingerprint.add("functions", Integer.toString(functions.size())));
        for (String function : functions) {
            describeFunction("define", printedName(function), base, key, shape);
        }
        // the piece defines the aliases of its functions: an alias added or changed changes its object
        for (String alias : aliases) {
            String line = globals.get(printedName(alias));
            if (line == null) {
                throw new IllegalStateException("no alias printed for " + alias);
            }
            both.forEach(fingerprint -> fingerprint.add("alias", line));
        }
        List<String> sortedImports = new ArrayList<>();
        for (String function : imports) {
            sortedImports.add(printedName(function));
        }
        sortedImports.sort(null);
        for (String function : sortedImports) {
            both.forEach(fingerprint -> fingerprint.add("import", function));
            describeFunction("body", function, base, key, shape);
        }
        return base[0];
    }

    /**
     * A function's digest and where it starts relative to the piece's base (the first function's base, set here):
     * so lines moving alike in every function of a piece leave its description alone, and lines moving apart change
     * it. Its shape (when asked for) has neither.
     */
    private void describeFunction(String field, String printedName, int[] base, Fingerprint key,
            Fingerprint shape) {
        FunctionDigests digests = functionDigests(printedName);
        if (shape != null) {
            shape.add(field, digests.withoutLines());
        }
        key.add(field, digests.relative());
        if (digests.base() != MainFileLines.NO_BASE) {
            base[0] = base[0] == MainFileLines.NO_BASE ? digests.base() : base[0];
            key.add("at", Integer.toString(digests.base() - base[0]));
        }
    }

    /** Whether the module carries debug info: without it a piece's shape is its key. */
    boolean hasDebugInfo() {
        return debugInfo;
    }

    /**
     * One function's canonical text digested with its main-file lines relative to its {@code base} (the first of
     * them), and digested without any line numbers.
     */
    private record FunctionDigests(byte[] relative, int base, byte[] withoutLines) {
    }

    /** The digests of one function's canonical text, as if it were alone in a piece; computed once per function. */
    private FunctionDigests functionDigests(String printedName) {
        return functionDigests.computeIfAbsent(printedName, name -> {
            String body = bodies.get(name);
            if (body == null) {
                // a key without the body would match any other function's piece: refuse, the unit is built whole
                throw new IllegalStateException("no body printed for " + name);
            }
            Canonical canonical = new Canonical();
            canonical.defined.add(name);
            canonical.emit(body);
            canonical.drain();
            String text = canonical.out.toString();
            byte[] relative = sha256(text);
            return new FunctionDigests(relative, canonical.base[0], debugInfo ? sha256(withoutLines(text)) : relative);
        });
    }

    /**
     * {@code text} with the number after each {@code line: } and {@code scopeLine: } replaced by {@code _}. Written
     * out rather than a regular expression: a unit's canonical texts are hundreds of MB with debug info (sqlite3.c:
     * 7 s with the expression). Only {@code explain} reads shapes, so text that merely looks like a line number (in a
     * string constant) being blanked too costs nothing; a key made of shapes would have to tell them apart.
     */
    static String withoutLines(String text) {
        StringBuilder out = null;
        int copied = 0;
        for (int at = text.indexOf(LINE_TAIL); at >= 0; at = text.indexOf(LINE_TAIL, at + LINE_TAIL.length())) {
            boolean line = at >= 1 && text.charAt(at - 1) == 'l' && (at < 2 || !isNameChar(text.charAt(at - 2)));
            boolean scopeLine = at >= 6 && text.startsWith("scopeL", at - 6)
                    && (at < 7 || !isNameChar(text.charAt(at - 7)));
            int digits = at + LINE_TAIL.length();
            digits += digits < text.length() && text.charAt(digits) == '~' ? 1 : 0;
            digits += digits < text.length() && text.charAt(digits) == '-' ? 1 : 0;
            int end = digits;
            while (end < text.length() && Character.isDigit(text.charAt(end))) {
                end++;
            }
            if ((line || scopeLine) && end > digits) {
                out = out == null ? new StringBuilder(text.length()) : out;
                out.append(text, copied, digits).append('_');
                copied = end;
            }
        }
        return out == null ? text : out.append(text, copied, text.length()).toString();
    }

    private static boolean isNameChar(char c) {
        return Character.isLetterOrDigit(c) || c == '_';
    }

    /** The target lines and the named metadata (module flags, ident) every piece carries. */
    private byte[] moduleWide() {
        if (moduleWideDigest == null) {
            Canonical canonical = new Canonical();
            header.forEach(canonical::line);
            namedMetadata.forEach(canonical::line);
            canonical.drain();
            moduleWideDigest = sha256(canonical.out);
        }
        return moduleWideDigest;
    }

    private static byte[] sha256(CharSequence text) {
        return Digest.sha256().digest(text.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The canonical text of the piece that keeps the bodies of {@code functions} and {@code imports}. */
    String pieceText(List<String> functions, Set<String> imports, boolean data) {
        return pieceText(functions, imports, data, new int[] {MainFileLines.NO_BASE});
    }

    /** The same, its main-file lines relative to {@code base} (set to the first of them when unset). */
    private String pieceText(List<String> functions, Set<String> imports, boolean data, int[] base) {
        Canonical canonical = new Canonical();
        canonical.base[0] = base[0];
        header.forEach(canonical::line);
        for (String function : functions) {
            canonical.defined.add(printedName(function));
        }
        List<String> sortedImports = new ArrayList<>();
        for (String function : imports) {
            sortedImports.add(printedName(function));
        }
        sortedImports.sort(null);
        canonical.defined.addAll(sortedImports);
        for (String function : functions) {
            String body = bodies.get(printedName(function));
            if (body != null) {
                canonical.emit(body);
            }
        }
        for (String function : sortedImports) {
            String body = bodies.get(function);
            if (body != null) {
                canonical.line("import");
                canonical.emit(body);
            }
        }
        if (data) {
            moduleAsm.forEach(canonical::line);
            comdats.values().forEach(canonical::line);
            globals.keySet().forEach(canonical.defined::add);
            globals.values().forEach(canonical::line);
            dataMetadata.forEach(canonical::line);
        }
        namedMetadata.forEach(canonical::line);
        canonical.drain();
        base[0] = canonical.base[0];
        return canonical.out.toString();
    }

    /**
     * Writes a piece's text in one pass over each chunk: references to symbols and types queue their declarations,
     * references to attribute groups and metadata get piece-local numbers in order of first use and queue their
     * definitions; queued lines are written (and scanned) until nothing new is reached.
     */
    private final class Canonical {
        final StringBuilder out = new StringBuilder(4096);
        final Set<String> defined = new HashSet<>();
        final Set<String> declared = new HashSet<>();
        final Set<String> typesSeen = new HashSet<>();
        final Map<String, Integer> attributeNumbers = new HashMap<>();
        final Map<String, Integer> metadataNumbers = new HashMap<>();
        final ArrayDeque<String> pending = new ArrayDeque<>();
        /** The main-file line this text's relative lines count from. */
        final int[] base = {MainFileLines.NO_BASE};

        void line(String text) {
            emit(mainFileLines.holdsMainLines(text) ? MainFileLines.relative(text, base) : text);
            out.append('\n');
        }

        void drain() {
            while (!pending.isEmpty()) {
                line(pending.poll());
            }
        }

        void emit(String text) {
            int length = text.length();
            int copied = 0;
            for (int i = 0; i < length; i++) {
                char c = text.charAt(i);
                if (c == '@' || c == '%') {
                    int end = nameEnd(text, i + 1);
                    if (end > i + 1) {
                        String name = text.substring(i + 1, end);
                        if (c == '@') {
                            globalReference(name);
                        } else if (typesSeen.add(name)) {
                            String definition = types.get(name);
                            if (definition != null) {
                                pending.add(definition);
                            }
                        }
                        i = end - 1;
                    }
                } else if ((c == '#' || c == '!') && i + 1 < length && Character.isDigit(text.charAt(i + 1))) {
                    int end = i + 1;
                    while (end < length && Character.isDigit(text.charAt(end))) {
                        end++;
                    }
                    if (c == '!' && text.startsWith(SOURCE_LOCATION, i - SOURCE_LOCATION.length())) {
                        // where an inline asm statement starts in the file: only diagnostics read it
                        out.append(text, copied, i).append("!loc");
                        copied = end;
                        i = end - 1;
                        continue;
                    }
                    String number = text.substring(i + 1, end);
                    out.append(text, copied, i).append(c == '#' ? "#a" : "!m")
                            .append(c == '#' ? number(attributeNumbers, attributes, number)
                                    : number(metadataNumbers, metadata, number));
                    copied = end;
                    i = end - 1;
                }
            }
            out.append(text, copied, length);
        }

        private int number(Map<String, Integer> numbers, Map<String, String> definitions, String number) {
            Integer known = numbers.get(number);
            if (known != null) {
                return known;
            }
            int assigned = numbers.size();
            numbers.put(number, assigned);
            String definition = definitions.get(number);
            if (definition != null) {
                pending.add(definition);
            }
            return assigned;
        }

        private void globalReference(String name) {
            if (defined.contains(name) || !declared.add(name)) {
                return;
            }
            String line = defineLines.get(name);
            if (line == null) {
                line = declarations.get(name);
            }
            if (line == null) {
                line = globals.get(name);
            }
            if (line != null) {
                pending.add(line);
            }
        }
    }

    /** The end of a name starting at {@code from}: a quoted string, or identifier characters. */
    private static int nameEnd(String text, int from) {
        int length = text.length();
        if (from < length && text.charAt(from) == '"') {
            int i = from + 1;
            while (i < length && text.charAt(i) != '"') {
                i += text.charAt(i) == '\\' ? 2 : 1;
            }
            return Math.min(i + 1, length);
        }
        int i = from;
        while (i < length) {
            char c = text.charAt(i);
            if (Character.isLetterOrDigit(c) || c == '-' || c == '$' || c == '.' || c == '_') {
                i++;
            } else {
                break;
            }
        }
        return i;
    }

    private static String definedName(String line) {
        Matcher matcher = GLOBAL_REF.matcher(line);
        if (!matcher.find()) {
            throw new IllegalStateException("no name in: " + line);
        }
        return matcher.group(1);
    }

    private static String leadingName(String line, Pattern pattern) {
        Matcher matcher = pattern.matcher(line);
        if (!matcher.lookingAt()) {
            throw new IllegalStateException("no leading name in: " + line);
        }
        return matcher.group(1);
    }

    /** A symbol's name as the IR printer writes it: bare when it is an identifier, else quoted with hex escapes. */
    static String printedName(String name) {
        if (BARE_NAME.matcher(name).matches()) {
            return name;
        }
        StringBuilder quoted = new StringBuilder("\"");
        for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
                quoted.append((char) c);
            } else {
                quoted.append('\\').append(String.format("%02X", c));
            }
        }
        return quoted.append('"').toString();
    }
}
