package dev.cas.worker.unit;

import dev.cas.worker.cache.Stat;
import dev.cas.worker.pieces.PerFunctionCompiler;
import java.util.List;
import java.util.Optional;

/**
 * A missed unit as the back end built it: the object (null when the build failed), what the user must see, and how
 * it was built, which {@code stats} counts and {@code explain} tells.
 */
record BuiltUnit(byte[] object, byte[] diagnostics, int exitCode, Shape shape) {

    /** Clang failed before any back end ran: nothing was built, in no shape. */
    static BuiltUnit failed(int exitCode, byte[] diagnostics) {
        return new BuiltUnit(null, diagnostics, exitCode, null);
    }

    boolean succeeded() {
        return object != null;
    }

    /** How a unit was built. */
    sealed interface Shape permits Pieces, Whole {
    }

    /** Per function: each piece found or compiled, under the back-end options the pieces' keys record. */
    record Pieces(String options, List<PerFunctionCompiler.PieceResult> pieces) implements Shape {
        long misses() {
            return PerFunctionCompiler.PieceResult.misses(pieces);
        }
    }

    /**
     * Whole, and why, in words for {@code explain}; {@code fallback} is the counter of a per-function build that was
     * meant to happen and did not (none when building whole was the plan).
     */
    record Whole(String reason, Optional<Stat> fallback) implements Shape {
        static Whole planned(String reason) {
            return new Whole(reason, Optional.empty());
        }

        static Whole fallback(String reason, Stat counter) {
            return new Whole(reason, Optional.of(counter));
        }
    }
}
