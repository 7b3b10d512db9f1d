package dev.cas.worker.pieces;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Checks that a unit's merged per-function object links like the object of the same unit compiled whole: it defines
 * exactly the global and weak symbols the whole object defines, with the same binding, type and visibility, and no
 * renamed static ({@code .__cas_…}) is left global or undefined. The one allowed difference: a symbol the frontend
 * made discardable ({@code linkonce}), which the whole unit's optimiser may drop once every use is inlined, can
 * remain in the pieces as a weak definition (a piece of its own must keep it; the linker keeps one copy), and so can
 * the weak {@code DW.ref.} personality pointer code generation adds to each piece that may unwind.
 * Run by the tests on every per-function object they build, and for users with {@code CAS_VERIFY=1}.
 */
public final class SymbolTableCheck {
    private static final String RENAMED = ".__cas_";
    /** Code generation's weak, hidden, comdat pointer to an exception personality, made by each piece that unwinds. */
    private static final String PERSONALITY_REFERENCE = "DW.ref.";

    private SymbolTableCheck() {
    }

    /** The differences, one per line; empty when the merged object is equivalent. */
    static Optional<String> differences(byte[] merged, byte[] whole, Set<String> discardable) {
        List<String> problems = new ArrayList<>();
        Map<String, ElfSymbols.Symbol> ours = exported(merged, problems);
        Map<String, ElfSymbols.Symbol> theirs = exported(whole, new ArrayList<>());
        for (ElfSymbols.Symbol expected : theirs.values()) {
            ElfSymbols.Symbol actual = ours.get(expected.name());
            if (actual == null) {
                problems.add("missing " + expected.describe());
            } else if (actual.binding() != expected.binding() || actual.type() != expected.type()
                    || actual.visibility() != expected.visibility()) {
                problems.add("differs: " + actual.describe() + " where the whole unit has " + expected.describe());
            }
        }
        for (ElfSymbols.Symbol extra : ours.values()) {
            boolean allowed = extra.binding() == ElfSymbols.STB_WEAK
                    && (discardable.contains(extra.name()) || extra.name().startsWith(PERSONALITY_REFERENCE));
            if (!theirs.containsKey(extra.name()) && !allowed) {
                problems.add("extra " + extra.describe());
            }
        }
        return problems.isEmpty() ? Optional.empty() : Optional.of(String.join("\n", problems));
    }

    /** The defined global and weak symbols by name; renamed statics that escaped are reported. */
    private static Map<String, ElfSymbols.Symbol> exported(byte[] object, List<String> problems) {
        Map<String, ElfSymbols.Symbol> exported = new HashMap<>();
        for (ElfSymbols.Symbol symbol : ElfSymbols.read(object)) {
            boolean renamed = symbol.name().contains(RENAMED);
            if (renamed && !symbol.defined()) {
                problems.add("undefined renamed static " + symbol.name());
            } else if (renamed && symbol.binding() != ElfSymbols.STB_LOCAL) {
                problems.add("renamed static left " + symbol.describe());
            } else if (symbol.defined() && symbol.binding() != ElfSymbols.STB_LOCAL) {
                exported.put(symbol.name(), symbol);
            }
        }
        return exported;
    }
}
