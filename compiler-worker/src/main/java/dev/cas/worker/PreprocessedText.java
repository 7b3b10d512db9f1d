package dev.cas.worker;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Feeds preprocessed source into a fingerprint with the machine-specific directories taken out of its line markers
 * ({@code # 12 "/home/ann/proj/src/a.h"} becomes {@code # 12 "src/a.h"}), so the same project checked out in two
 * directories, or a toolchain unpacked under two home directories, gives the same fingerprint.
 */
final class PreprocessedText {
    private PreprocessedText() {
    }

    static void digestNormalised(byte[] text, String workingDirectory, String toolchainDirectory, MessageDigest sink) {
        byte[] cwd = ("\"" + withSlash(workingDirectory)).getBytes(StandardCharsets.UTF_8);
        byte[] toolchain = ("\"" + withSlash(toolchainDirectory)).getBytes(StandardCharsets.UTF_8);
        byte[] toolchainPlaceholder = "\"<toolchain>/".getBytes(StandardCharsets.UTF_8);
        int lineStart = 0;
        int flushedUpTo = 0;
        while (lineStart < text.length) {
            int lineEnd = lineEnd(text, lineStart);
            if (text[lineStart] == '#' && lineStart + 1 < lineEnd && text[lineStart + 1] == ' ') {
                int quote = indexOf(text, (byte) '"', lineStart, lineEnd);
                if (quote >= 0) {
                    if (startsWith(text, quote, cwd)) {
                        sink.update(text, flushedUpTo, quote + 1 - flushedUpTo);
                        flushedUpTo = quote + cwd.length;
                    } else if (startsWith(text, quote, toolchain)) {
                        sink.update(text, flushedUpTo, quote - flushedUpTo);
                        sink.update(toolchainPlaceholder);
                        flushedUpTo = quote + toolchain.length;
                    }
                }
            }
            lineStart = lineEnd + 1;
        }
        sink.update(text, flushedUpTo, text.length - flushedUpTo);
    }

    private static String withSlash(String directory) {
        return directory.endsWith("/") ? directory : directory + "/";
    }

    private static int lineEnd(byte[] text, int from) {
        for (int i = from; i < text.length; i++) {
            if (text[i] == '\n') {
                return i;
            }
        }
        return text.length;
    }

    private static int indexOf(byte[] text, byte wanted, int from, int to) {
        for (int i = from; i < to; i++) {
            if (text[i] == wanted) {
                return i;
            }
        }
        return -1;
    }

    private static boolean startsWith(byte[] text, int at, byte[] prefix) {
        if (at + prefix.length > text.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (text[at + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
