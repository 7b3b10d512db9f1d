package dev.cas.worker.cache;

import dev.cas.store.Digest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The action-cache entry of one analysis unit: the objects it produced, the diagnostics clang printed while producing
 * them (replayed on a hit), and how long the miss took (reported as time saved by later hits). Stored with a checksum
 * of its own text, so a damaged entry reads as a miss instead of pointing at the wrong objects.
 */
public record UnitManifest(List<Digest> objects, Digest diagnostics, long compileMillis) {
    private static final String HEADER = "cas-unit-manifest 1";

    /** Every blob the manifest names: its objects, then its diagnostics. */
    public List<Digest> blobs() {
        List<Digest> named = new ArrayList<>(objects);
        named.add(diagnostics);
        return named;
    }

    public byte[] encode() {
        StringBuilder body = new StringBuilder();
        for (Digest object : objects) {
            body.append("object ").append(object).append('\n');
        }
        body.append("diagnostics ").append(diagnostics).append('\n');
        body.append("compile-ms ").append(compileMillis).append('\n');
        return SealedText.seal(HEADER, body.toString());
    }

    /** Decodes an entry; empty when it is damaged in any way. */
    public static Optional<UnitManifest> decode(byte[] stored) {
        Optional<String> body = SealedText.open(stored, HEADER);
        if (body.isEmpty()) {
            return Optional.empty();
        }
        List<Digest> objects = new ArrayList<>();
        Digest diagnostics = null;
        long millis = 0;
        try {
            for (String line : body.get().split("\n")) {
                int space = line.indexOf(' ');
                String value = line.substring(space + 1);
                switch (line.substring(0, space)) {
                    case "object" -> objects.add(Digest.parse(value));
                    case "diagnostics" -> diagnostics = Digest.parse(value);
                    case "compile-ms" -> millis = Long.parseLong(value);
                    default -> {
                        return Optional.empty();
                    }
                }
            }
        } catch (RuntimeException malformed) {
            return Optional.empty();
        }
        return diagnostics == null ? Optional.empty() : Optional.of(new UnitManifest(objects, diagnostics, millis));
    }
}
