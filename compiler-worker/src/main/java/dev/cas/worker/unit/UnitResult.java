package dev.cas.worker.unit;

/** How one analysis unit went: its exit status, what the user must see, and whether the cache served it. */
public record UnitResult(Outcome outcome, int exitCode, byte[] diagnostics) {

    /** Where the object came from. */
    public enum Outcome {
        HIT, MISS, UNCACHED, FAILED
    }

    public static UnitResult failed(int exitCode, byte[] diagnostics) {
        return new UnitResult(Outcome.FAILED, exitCode == 0 ? 1 : exitCode, diagnostics);
    }
}
