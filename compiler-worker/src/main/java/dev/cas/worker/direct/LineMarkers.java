package dev.cas.worker.direct;

/**
 * Finds the line markers of preprocessed source ({@code # 12 "src/a.h" 2}), which name every file the preprocessor
 * read: the fingerprint rewrites their directories, direct mode lists their files.
 */
public final class LineMarkers {
    /** Receives the offsets of a marker's opening quote and of its closing quote (-1 when the line has none). */
    public interface Visitor {
        void marker(int openingQuote, int closingQuote);
    }

    private LineMarkers() {
    }

    public static void forEach(byte[] text, Visitor visitor) {
        int lineStart = 0;
        while (lineStart < text.length) {
            int lineEnd = indexOf(text, (byte) '\n', lineStart, text.length);
            if (lineEnd < 0) {
                lineEnd = text.length;
            }
            if (text[lineStart] == '#' && lineStart + 1 < lineEnd && text[lineStart + 1] == ' ') {
                int open = indexOf(text, (byte) '"', lineStart, lineEnd);
                if (open >= 0) {
                    visitor.marker(open, indexOf(text, (byte) '"', open + 1, lineEnd));
                }
            }
            lineStart = lineEnd + 1;
        }
    }

    private static int indexOf(byte[] text, byte wanted, int from, int to) {
        for (int i = from; i < to; i++) {
            if (text[i] == wanted) {
                return i;
            }
        }
        return -1;
    }
}
