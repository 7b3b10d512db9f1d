package dev.cas.worker.common;

/** Reads the positive whole numbers of environment settings, naming the setting when a value is not one. */
public final class PositiveNumbers {
    private PositiveNumbers() {
    }

    public static long parse(String name, String text) {
        try {
            long value = Long.parseLong(text.trim());
            if (value > 0) {
                return value;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        throw new IllegalArgumentException(name + " must be a positive number, not '" + text + "'");
    }
}
