package dev.cas.worker.pieces;

import java.util.Map;

/**
 * Which optimised units are built per function, from {@code CAS_PER_FUNCTION}: unset, units whose frontend IR is at
 * least {@link #DEFAULT_MINIMUM_BYTES} (a smaller unit recompiles whole in a fraction of a second, less than splitting
 * and merging it costs); {@code 1}, every unit; {@code 0}, none. Part of the unit key: the same unit split or whole
 * gives different (equally correct) objects.
 */
public record PerFunctionPolicy(boolean enabled, long minimumIrBytes, boolean verify) {
    /** About 0.4 s of clang -O2 work (sqlite's shell.c: 0.96 MiB of bitcode, 6 s). */
    static final long DEFAULT_MINIMUM_BYTES = 64 * 1024;

    public static PerFunctionPolicy from(Map<String, String> environment) {
        String setting = environment.get("CAS_PER_FUNCTION");
        boolean verify = "1".equals(environment.get("CAS_VERIFY"));
        if ("0".equals(setting)) {
            return new PerFunctionPolicy(false, 0, verify);
        }
        return new PerFunctionPolicy(true, "1".equals(setting) ? 0 : DEFAULT_MINIMUM_BYTES, verify);
    }

    /** {@code CAS_PER_FUNCTION=1}: every unit, and at once. */
    public boolean splitsEveryUnit() {
        return enabled && minimumIrBytes == 0;
    }

    public boolean splits(long irBytes) {
        return enabled && irBytes >= minimumIrBytes;
    }

    /** The back-end name that goes into the unit key. */
    public String backendName() {
        return enabled ? "llvm-c-api-per-function-" + PerFunctionCompiler.SCHEMA + "-from-" + minimumIrBytes
                : "llvm-c-api";
    }
}
