package dev.cas.worker.common;

import java.nio.charset.StandardCharsets;

/** What a command prints on stderr, as bytes: cas-compile's own errors in clang's form, and outputs joined. */
public final class Diagnostics {
    private Diagnostics() {
    }

    /** {@code cas-compile: error: text}, one line. */
    public static byte[] error(String text) {
        return ("cas-compile: error: " + text + "\n").getBytes(StandardCharsets.UTF_8);
    }

    public static byte[] concat(byte[] first, byte[] second) {
        byte[] joined = new byte[first.length + second.length];
        System.arraycopy(first, 0, joined, 0, first.length);
        System.arraycopy(second, 0, joined, first.length, second.length);
        return joined;
    }
}
