package dev.cas.worker.unit;

import dev.cas.worker.direct.LineMarkers;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;

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
        int[] flushedUpTo = {0};
        LineMarkers.forEach(text, (quote, close) -> {
            if (startsWith(text, quote, cwd)) {
                sink.update(text, flushedUpTo[0], quote + 1 - flushedUpTo[0]);
                flushedUpTo[0] = quote + cwd.length;
            } else if (startsWith(text, quote, toolchain)) {
                sink.update(text, flushedUpTo[0], quote - flushedUpTo[0]);
                sink.update(toolchainPlaceholder);
                flushedUpTo[0] = quote + toolchain.length;
            }
        });
        sink.update(text, flushedUpTo[0], text.length - flushedUpTo[0]);
    }

    private static String withSlash(String directory) {
        return directory.endsWith("/") ? directory : directory + "/";
    }

    private static boolean startsWith(byte[] text, int at, byte[] prefix) {
        return at + prefix.length <= text.length
                && Arrays.equals(text, at, at + prefix.length, prefix, 0, prefix.length);
    }
}
