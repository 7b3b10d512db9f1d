package dev.cas.worker.unit;

import dev.cas.store.Digest;
import dev.cas.worker.cache.Fingerprint;
import dev.cas.worker.cache.LocalCache;
import dev.cas.worker.cache.SealedText;
import dev.cas.worker.command.BuildContext;
import dev.cas.worker.command.SourceFile;
import dev.cas.worker.pieces.PerFunctionCompiler;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Answers "why did this miss?" for a unit's last build ({@code cas-compile explain}). Each build of a unit records what
 * happened; a per-function build compares its pieces with the unit's previous per-function build and gives each miss
 * a reason: a new function, its body changed, only its position changed (debug info: lines moved above it), a callee
 * it imports changed, or the options changed.
 */
final class BuildExplanations {
    private static final String LAST = "cas-explain-last-v1";
    private static final String PIECES = "cas-explain-pieces-v2";
    private static final String PIECES_HEADER = "cas-pieces 2";

    private final LocalCache cache;

    BuildExplanations(LocalCache cache) {
        this.cache = cache;
    }

    /** A unit served from the cache; {@code how} says how it was found, in parentheses, or is empty. */
    void recordHit(BuildContext context, SourceFile source, String how) {
        save(context, source, "translation unit hit" + (how.isEmpty() ? "" : " (" + how + ")")
                + ": nothing was compiled\n");
    }

    void recordWhole(BuildContext context, SourceFile source, String why) {
        save(context, source, "translation unit miss: compiled as a whole unit (" + why + ")\n");
    }

    void recordPieces(BuildContext context, SourceFile source, String options,
            List<PerFunctionCompiler.PieceResult> pieces) {
        Digest piecesKey = key(PIECES, context.resolve(source.path()));
        Optional<Previous> previous = Optional.empty();
        try {
            previous = cache.actions().get(piecesKey).flatMap(stored -> Previous.decode(stored));
        } catch (RuntimeException e) {
            // an explanation is never worth failing a build
        }
        Map<String, Digest> currentKeys = new HashMap<>();
        pieces.forEach(piece -> currentKeys.put(piece.name(), piece.key()));
        Map<String, Digest> currentShapes = shapes(pieces);
        Map<String, List<String>> reasons = new LinkedHashMap<>();
        long misses = 0;
        for (PerFunctionCompiler.PieceResult piece : pieces) {
            if (piece.hit()) {
                continue;
            }
            misses++;
            String reason = reason(piece, options, previous, currentKeys);
            reasons.computeIfAbsent(reason, r -> new ArrayList<>()).add(piece.name());
        }
        StringBuilder text = new StringBuilder("translation unit miss: per-function build, ")
                .append(pieces.size()).append(" pieces, ").append(pieces.size() - misses).append(" hits, ")
                .append(misses).append(" compiled\n");
        reasons.forEach((reason, names) -> {
            text.append("  ").append(reason).append(": ").append(names.size()).append('\n');
            names.stream().limit(50).forEach(name -> text.append("    ").append(displayName(name)).append('\n'));
            if (names.size() > 50) {
                text.append("    ... and ").append(names.size() - 50).append(" more\n");
            }
        });
        save(context, source, text.toString());
        try {
            cache.actions().put(piecesKey, new Previous(options, currentKeys, currentShapes).encode());
        } catch (RuntimeException ignored) {
            // as above
        }
    }

    /**
     * Remembers the pieces of a unit split after its build (when the worker was idle), so that its next miss gives
     * each compiled piece its reason; what {@code explain} says of the last build stays as it was.
     */
    void rememberPieces(BuildContext context, SourceFile source, String options,
            List<PerFunctionCompiler.PieceResult> pieces) {
        Map<String, Digest> keys = new HashMap<>();
        pieces.forEach(piece -> keys.put(piece.name(), piece.key()));
        try {
            cache.actions().put(key(PIECES, context.resolve(source.path())),
                    new Previous(options, keys, shapes(pieces)).encode());
        } catch (RuntimeException ignored) {
            // an explanation is never worth failing a build
        }
    }

    private static String reason(PerFunctionCompiler.PieceResult piece, String options, Optional<Previous> previous,
            Map<String, Digest> currentKeys) {
        if (previous.isEmpty()) {
            return "new (no earlier per-function build of this unit)";
        }
        if (!previous.get().options().equals(options)) {
            return "options changed";
        }
        if (!previous.get().keys().containsKey(piece.name())) {
            return "new function";
        }
        if (piece.shape().equals(previous.get().shapes().get(piece.name()))) {
            return "only its position changed (lines moved; its code did not change)";
        }
        List<String> changedCallees = new ArrayList<>();
        for (String callee : piece.imports()) {
            Digest before = previous.get().keys().get(callee);
            if (before != null && !before.equals(currentKeys.get(callee))) {
                changedCallees.add(callee);
            }
        }
        return changedCallees.isEmpty() ? "body changed (or a declaration, type or constant it uses)"
                : "imported callee changed (" + String.join(", ",
                        changedCallees.stream().map(BuildExplanations::displayName).toList()) + ")";
    }

    /** A function as its author named it: statics lose the suffix they carry while split into pieces. */
    static String displayName(String name) {
        return name.replace(".__cas_" + PerFunctionCompiler.LOCAL_TAG, "");
    }

    Optional<String> explain(Path workingDirectory, String sourcePath) {
        return cache.actions().get(key(LAST, workingDirectory.resolve(sourcePath)))
                .flatMap(stored -> SealedText.open(stored, LAST));
    }

    private void save(BuildContext context, SourceFile source, String text) {
        try {
            cache.actions().put(key(LAST, context.resolve(source.path())), SealedText.seal(LAST, text));
        } catch (RuntimeException ignored) {
            // an explanation is never worth failing a build
        }
    }

    /** Per source file, wherever it was built from: the absolute, normalised path. */
    private static Digest key(String schema, Path source) {
        return new Fingerprint(schema).add("source", source.normalize().toString()).build();
    }

    /** The pieces of the previous per-function build: options and each piece's key by name. */
    private static Map<String, Digest> shapes(List<PerFunctionCompiler.PieceResult> pieces) {
        Map<String, Digest> shapes = new HashMap<>();
        pieces.forEach(piece -> shapes.put(piece.name(), piece.shape()));
        return shapes;
    }

    /** A unit's last per-function build: its options, and each piece's key and shape by name. */
    private record Previous(String options, Map<String, Digest> keys, Map<String, Digest> shapes) {
        byte[] encode() {
            StringBuilder body = new StringBuilder("options ").append(options).append('\n');
            keys.forEach((name, key) -> body.append(key).append(' ').append(shapes.get(name)).append(' ')
                    .append(name).append('\n'));
            return SealedText.seal(PIECES_HEADER, body.toString());
        }

        static Optional<Previous> decode(byte[] stored) {
            return SealedText.open(stored, PIECES_HEADER).map(body -> {
                String[] lines = body.split("\n");
                Map<String, Digest> keys = new HashMap<>();
                Map<String, Digest> shapes = new HashMap<>();
                for (int i = 1; i < lines.length; i++) {
                    String[] fields = lines[i].split(" ", 3);
                    keys.put(fields[2], Digest.parse(fields[0]));
                    shapes.put(fields[2], Digest.parse(fields[1]));
                }
                return new Previous(lines[0].substring("options ".length()), keys, shapes);
            });
        }
    }

}
