package dev.cas.worker.pieces;

/**
 * A unit holds something pieces cannot express yet: it is compiled whole, and the reason is what {@code stats} and
 * {@code explain} report. {@code debugInfo} says the reason lies in its debug information.
 */
public final class Unsplittable extends Exception {
    private final boolean debugInfo;

    Unsplittable(String reason, boolean debugInfo) {
        super(reason, null, false, false);
        this.debugInfo = debugInfo;
    }

    public boolean debugInfo() {
        return debugInfo;
    }
}
