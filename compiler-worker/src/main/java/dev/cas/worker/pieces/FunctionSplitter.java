package dev.cas.worker.pieces;

import static org.bytedeco.llvm.global.LLVM.*;

import dev.cas.store.Digest;
import dev.cas.worker.llvm.IrModules;
import dev.cas.worker.llvm.IrModules.Owned;
import dev.cas.worker.llvm.NativeMemory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.RecursiveAction;
import java.util.function.Consumer;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMPassBuilderOptionsRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Cuts a unit's LLVM module into pieces: one per function (functions that share a comdat stay together, aliases go
 * with their target) plus one data piece holding every global variable, module asm and the constructor lists. Each
 * piece keeps the bodies of small direct callees as {@code available_externally}, so inlining still happens.
 *
 * <p>Preparation makes pieces linkable and their text stable under edits elsewhere: static functions and variables
 * are renamed with a tag unique to the unit and its configuration and made external + hidden (the merged object
 * makes them local again); constants whose address does not matter (string literals) are named by their content and
 * copied into every piece that uses them. Splitting is recursive bisection through bitcode, each half in its own
 * context: near-linear, where cloning the module once per function is quadratic.
 */
final class FunctionSplitter {
    /** Functions up to this many instructions are imported into their callers' pieces for inlining. */
    static final int IMPORT_LIMIT = 100;
    static final String DATA_PIECE = "<data>";
    private static final Set<String> DATA_ONLY_GLOBALS = Set.of("llvm.used", "llvm.compiler.used",
            "llvm.global_ctors", "llvm.global_dtors");

    /** One built piece: the functions it defines and its bitcode. */
    record Piece(List<String> group, byte[] bitcode) {
    }

    /** What each piece keeps, decided once on the prepared module. */
    private record Plan(List<List<String>> groups, Map<String, Set<String>> imports) {
    }

    /**
     * A unit ready to be cut: its prepared module as text, and the plan. The groups are the pieces: the first is the
     * data piece. {@code aliases} names, for each function, the aliases that resolve to it (through chains of
     * aliases: clang emits a complete destructor as an alias of the base destructor, itself an alias of the base
     * class's): they are defined in that function's piece. {@code discardable} names the symbols the frontend made
     * {@code linkonce}, which pieces keep as weak definitions where a whole unit may drop them.
     */
    record Prepared(String text, List<List<String>> groups, Map<String, Set<String>> imports,
            Map<String, List<String>> aliases, Set<String> discardable) {
        /** The aliases the piece of {@code group} defines, in module order. */
        List<String> aliasesOf(List<String> group) {
            List<String> all = new ArrayList<>();
            for (String function : group) {
                all.addAll(aliases.getOrDefault(function, List.of()));
            }
            return all;
        }

        /** The callees whose bodies the piece of {@code group} keeps for inlining. */
        Set<String> importsOf(List<String> group) {
            Set<String> all = new TreeSet<>();
            for (String function : group) {
                all.addAll(imports.getOrDefault(function, Set.of()));
            }
            group.forEach(all::remove);
            return all;
        }

        private Plan plan() {
            return new Plan(groups, imports);
        }
    }

    private FunctionSplitter() {
    }

    /**
     * Prepares {@code module} in place and plans its pieces; {@link Unsplittable} when the unit holds something
     * pieces cannot express yet (an ifunc, a variable initialised with a {@code blockaddress}, debug info of a kind
     * {@link DebugInfoPieces} does not shape): the caller compiles it whole. The module is printed on a pool thread
     * while this one reads the calls (both only read it).
     */
    static Prepared prepare(LLVMModuleRef module, String tag, ForkJoinPool pool) throws Unsplittable {
        if (!IrModules.isNull(LLVMGetFirstGlobalIFunc(module)) || hasBlockAddressInitialiser(module)) {
            throw new Unsplittable("the unit cannot be split: an ifunc, or a variable holding a blockaddress", false);
        }
        runPasses(module, "always-inline,globaldce");
        Set<String> discardable = discardable(module);
        rename(module, tag);
        if (DebugInfoPieces.present(module)) {
            Optional<String> refused = DebugInfoPieces.prepare(module);
            if (refused.isPresent()) {
                throw new Unsplittable(refused.get(), true);
            }
        }
        LLVMSetModuleIdentifier(module, "", 0);
        LLVMSetSourceFileName(module, "", 0);
        var text = pool.submit(() -> IrModules.print(module));
        List<List<String>> groups = groups(module);
        Map<String, Set<String>> imports = imports(module);
        Map<String, List<String>> aliases = new HashMap<>();
        for (LLVMValueRef alias : IrModules.aliases(module)) {
            LLVMValueRef target = IrModules.aliasedObject(alias);
            if (!IrModules.isNull(LLVMIsAFunction(target))) {
                aliases.computeIfAbsent(IrModules.name(target), k -> new ArrayList<>()).add(IrModules.name(alias));
            }
        }
        return new Prepared(text.join(), groups, imports, aliases, discardable);
    }

    /**
     * Cuts the one piece of {@code group} out of the prepared module itself, which is cheaper than a copy when an
     * edit left a single miss. The module is left holding just that piece.
     */
    static Piece extractInPlace(LLVMModuleRef module, Prepared prepared, List<String> group) {
        return cut(module, group, prepared.plan());
    }

    /**
     * Builds the pieces of the given groups from the prepared module and hands each to {@code sink} as soon as it
     * exists (on the pool's threads), so code generation of early pieces overlaps the cutting of later ones. The
     * module is used up: it is reduced in place to the first half of the groups and disposed before the pool parses
     * the second half from the whole module's bitcode, so one whole copy is alive at a time, not two (sqlite3.c at
     * -O2: the worker's peak 669 → 575-582 MB, with malloc_trim).
     */
    static void extract(LLVMModuleRef module, Prepared prepared, List<List<String>> groups, ForkJoinPool pool,
            Consumer<Piece> sink) {
        byte[] whole;
        byte[] firstHalf;
        int half = groups.size() / 2;
        try {
            if (groups.size() == 1) {
                sink.accept(cut(module, groups.get(0), prepared.plan()));
                return;
            }
            whole = IrModules.toBitcode(module);
            keepOnly(module, groups.subList(0, half), prepared.plan(), false);
            firstHalf = IrModules.toBitcode(module);
        } finally {
            LLVMDisposeModule(module);
            NativeMemory.release();
        }
        Bisection first = new Bisection(firstHalf, false, groups.subList(0, half), prepared.plan(), sink);
        Bisection second = new Bisection(whole, true, groups.subList(half, groups.size()), prepared.plan(), sink);
        pool.invoke(ForkJoinTask.adapt(() -> ForkJoinTask.invokeAll(first, second)));
    }

    /**
     * One node of the bisection: reduces its parent's bitcode to its own groups (each node in its own LLVM context,
     * so siblings reduce in parallel), then forks its halves; a single group is a finished piece.
     */
    private static final class Bisection extends RecursiveAction {
        private final byte[] parent;
        private final boolean reduce;
        private final List<List<String>> groups;
        private final Plan plan;
        private final Consumer<Piece> sink;

        Bisection(byte[] parent, boolean reduce, List<List<String>> groups, Plan plan, Consumer<Piece> sink) {
            this.parent = parent;
            this.reduce = reduce;
            this.groups = groups;
            this.plan = plan;
            this.sink = sink;
        }

        @Override
        protected void compute() {
            if (groups.size() == 1) {
                sink.accept(leaf(parent, groups.get(0), plan));
                return;
            }
            byte[] bitcode = reduce ? reduce(parent, groups, plan) : parent;
            int half = groups.size() / 2;
            invokeAll(new Bisection(bitcode, true, groups.subList(0, half), plan, sink),
                    new Bisection(bitcode, true, groups.subList(half, groups.size()), plan, sink));
        }

        private static byte[] reduce(byte[] bitcode, List<List<String>> part, Plan plan) {
            try (Owned copy = IrModules.fromBitcode(bitcode)) {
                keepOnly(copy.module(), part, plan, false);
                return IrModules.toBitcode(copy.module());
            }
        }
    }

    private static Set<String> discardable(LLVMModuleRef module) {
        Set<String> names = new HashSet<>();
        List<LLVMValueRef> all = new ArrayList<>(IrModules.functions(module));
        all.addAll(IrModules.globals(module));
        all.addAll(IrModules.aliases(module));
        for (LLVMValueRef value : all) {
            int linkage = LLVMGetLinkage(value);
            if (linkage == LLVMLinkOnceAnyLinkage || linkage == LLVMLinkOnceODRLinkage) {
                names.add(IrModules.name(value));
            }
        }
        return names;
    }

    private static void rename(LLVMModuleRef module, String tag) {
        Map<String, Integer> contentNames = new HashMap<>();
        for (LLVMValueRef global : IrModules.globals(module)) {
            String name = IrModules.name(global);
            if (DATA_ONLY_GLOBALS.contains(name) || LLVMIsDeclaration(global) != 0) {
                continue;
            }
            int linkage = LLVMGetLinkage(global);
            if (isLocal(linkage) && LLVMIsGlobalConstant(global) != 0
                    && LLVMGetUnnamedAddress(global) == LLVMGlobalUnnamedAddr && IrModules.isNull(LLVMGetComdat(global))) {
                // address-insignificant constant: copied into each piece that uses it, named by content
                String content = IrModules.print(LLVMGlobalGetValueType(global)) + " "
                        + IrModules.print(LLVMGetInitializer(global)) + " align " + LLVMGetAlignment(global);
                String base = ".cas.c." + Digest.of(content).hash().substring(0, 16);
                int seen = contentNames.merge(base, 1, Integer::sum);
                IrModules.rename(global, seen == 1 ? base : base + "." + seen);
                LLVMSetLinkage(global, LLVMPrivateLinkage);
            } else {
                externalise(global, name, linkage, tag);
            }
        }
        for (LLVMValueRef function : IrModules.functions(module)) {
            if (LLVMIsDeclaration(function) == 0) {
                externalise(function, IrModules.name(function), LLVMGetLinkage(function), tag);
            }
        }
        for (LLVMValueRef alias : IrModules.aliases(module)) {
            externalise(alias, IrModules.name(alias), LLVMGetLinkage(alias), tag);
        }
    }

    /**
     * Local symbols get the unit's tag and become hidden externals. Discardable ({@code linkonce}) ones become
     * {@code weak}, and stay so: in a piece of its own nothing references such a function, and the optimiser would
     * drop it; weak keeps it, and the linker still keeps one copy per comdat.
     */
    private static void externalise(LLVMValueRef value, String name, int linkage, String tag) {
        if (isLocal(linkage)) {
            String base = name.isEmpty() ? "anon" : name;
            String suffix = ".__cas_" + tag;
            IrModules.rename(value, base + suffix);
            // On a clash LLVM appends a number *after* the suffix, and the merge would not make that name local
            // again: two unnamed statics, or a static whose renamed name another static already has.
            for (int n = 1; !IrModules.name(value).endsWith(suffix); n++) {
                IrModules.rename(value, base + "." + n + suffix);
            }
            LLVMSetLinkage(value, LLVMExternalLinkage);
            LLVMSetVisibility(value, LLVMHiddenVisibility);
        } else if (linkage == LLVMLinkOnceAnyLinkage || linkage == LLVMLinkOnceODRLinkage) {
            LLVMSetLinkage(value, linkage == LLVMLinkOnceAnyLinkage ? LLVMWeakAnyLinkage : LLVMWeakODRLinkage);
        }
    }

    private static boolean isLocal(int linkage) {
        return linkage == LLVMInternalLinkage || linkage == LLVMPrivateLinkage;
    }

    /** Groups of function names, one per piece, in module order; the data piece is the first group. */
    private static List<List<String>> groups(LLVMModuleRef module) {
        Map<Object, List<String>> byComdat = new LinkedHashMap<>();
        Set<Long> dataComdats = new HashSet<>();
        for (LLVMValueRef global : IrModules.globals(module)) {
            if (!IrModules.isNull(LLVMGetComdat(global))) {
                dataComdats.add(LLVMGetComdat(global).address());
            }
        }
        List<String> data = new ArrayList<>(List.of(DATA_PIECE));
        byComdat.put(DATA_PIECE, data);
        for (LLVMValueRef function : IrModules.functions(module)) {
            if (LLVMIsDeclaration(function) != 0 || LLVMGetLinkage(function) == LLVMAvailableExternallyLinkage) {
                continue;
            }
            String name = IrModules.name(function);
            var comdat = LLVMGetComdat(function);
            if (IrModules.isNull(comdat)) {
                byComdat.put(name, new ArrayList<>(List.of(name)));
            } else if (dataComdats.contains(comdat.address())) {
                data.add(name);
            } else {
                byComdat.computeIfAbsent(comdat.address(), k -> new ArrayList<>()).add(name);
            }
        }
        return new ArrayList<>(byComdat.values());
    }

    /** For each function, the small direct callees (and every available_externally one) whose bodies it keeps. */
    private static Map<String, Set<String>> imports(LLVMModuleRef module) {
        int noinline = LLVMGetEnumAttributeKindForName("noinline", 8);
        int optnone = LLVMGetEnumAttributeKindForName("optnone", 7);
        Map<String, Set<String>> imports = new HashMap<>();
        for (LLVMValueRef function : IrModules.functions(module)) {
            if (LLVMIsDeclaration(function) != 0) {
                continue;
            }
            Set<String> callees = new LinkedHashSet<>();
            for (var block = LLVMGetFirstBasicBlock(function); block != null && !block.isNull();
                    block = LLVMGetNextBasicBlock(block)) {
                for (LLVMValueRef inst = LLVMGetFirstInstruction(block); !IrModules.isNull(inst);
                        inst = LLVMGetNextInstruction(inst)) {
                    if (IrModules.isNull(LLVMIsACallInst(inst)) && IrModules.isNull(LLVMIsAInvokeInst(inst))) {
                        continue;
                    }
                    LLVMValueRef callee = LLVMIsAFunction(LLVMGetCalledValue(inst));
                    if (IrModules.isNull(callee) || LLVMIsDeclaration(callee) != 0 || callee.equals(function)) {
                        continue;
                    }
                    boolean availableExternally = LLVMGetLinkage(callee) == LLVMAvailableExternallyLinkage;
                    boolean small = instructionCount(callee) <= IMPORT_LIMIT
                            && IrModules.isNull(LLVMGetEnumAttributeAtIndex(callee, LLVMAttributeFunctionIndex, noinline))
                            && IrModules.isNull(LLVMGetEnumAttributeAtIndex(callee, LLVMAttributeFunctionIndex, optnone));
                    if (availableExternally || small) {
                        callees.add(IrModules.name(callee));
                    }
                }
            }
            imports.put(IrModules.name(function), callees);
        }
        return imports;
    }

    private static int instructionCount(LLVMValueRef function) {
        int count = 0;
        for (var block = LLVMGetFirstBasicBlock(function); block != null && !block.isNull();
                block = LLVMGetNextBasicBlock(block)) {
            for (LLVMValueRef inst = LLVMGetFirstInstruction(block); !IrModules.isNull(inst);
                    inst = LLVMGetNextInstruction(inst)) {
                if (++count > IMPORT_LIMIT) {
                    return count;
                }
            }
        }
        return count;
    }

    private static Piece leaf(byte[] bitcode, List<String> group, Plan plan) {
        try (Owned piece = IrModules.fromBitcode(bitcode)) {
            return cut(piece.module(), group, plan);
        }
    }

    /** Reduces a module to one piece: first to the group and its imports, then the imports made inline-only. */
    private static Piece cut(LLVMModuleRef module, List<String> group, Plan plan) {
        keepOnly(module, List.of(group), plan, false);
        keepOnly(module, List.of(group), plan, true);
        if (group.contains(DATA_PIECE)) {
            DebugInfoPieces.restoreLists(module);
        }
        return new Piece(group, IrModules.toBitcode(module));
    }

    /**
     * Reduces a module to the given groups: their functions keep their bodies, callees they import keep theirs
     * (as {@code available_externally} in a final piece), everything else becomes a declaration, and what is no
     * longer referenced goes. Global variables stay only with the data piece; address-insignificant constants are
     * copied wherever used.
     */
    private static void keepOnly(LLVMModuleRef module, List<List<String>> groups, Plan plan, boolean finalPiece) {
        Set<String> own = new HashSet<>();
        boolean data = false;
        for (List<String> group : groups) {
            own.addAll(group);
            data |= group.contains(DATA_PIECE);
        }
        Set<String> imported = new HashSet<>();
        for (String function : own) {
            imported.addAll(plan.imports().getOrDefault(function, Set.of()));
        }
        imported.removeAll(own);
        replaceForeignAliases(module, own, data);
        if (!data) {
            for (String special : DATA_ONLY_GLOBALS) {
                LLVMValueRef global = LLVMGetNamedGlobal(module, special);
                if (!IrModules.isNull(global)) {
                    LLVMDeleteGlobal(global);
                }
            }
            LLVMSetModuleInlineAsm2(module, "", 0);
            DebugInfoPieces.dropLists(module);
        }
        for (LLVMValueRef function : IrModules.functions(module)) {
            if (LLVMIsDeclaration(function) != 0) {
                continue;
            }
            String name = IrModules.name(function);
            boolean keepBody = own.contains(name) || imported.contains(name);
            if (!keepBody || (finalPiece && imported.contains(name))) {
                LLVMSetComdat(function, null);
                LLVMSetLinkage(function, LLVMAvailableExternallyLinkage);
            }
        }
        for (LLVMValueRef global : IrModules.globals(module)) {
            if (!data && LLVMIsDeclaration(global) == 0 && LLVMGetLinkage(global) != LLVMPrivateLinkage) {
                LLVMSetInitializer(global, null);
                LLVMSetComdat(global, null);
                LLVMSetLinkage(global, LLVMExternalLinkage);
            }
        }
        // Bodies of the functions turned available_externally go in non-final halves; imports keep theirs in a
        // final piece, where code generation will not emit them.
        runPasses(module, finalPiece ? "globaldce" : "elim-avail-extern,globaldce");
    }

    /**
     * Aliases whose target lives in another piece become declarations of the same name. Which piece an alias belongs
     * to is decided for all of them before any is replaced: replacing one alias of a chain changes what the next
     * one's aliasee looks like.
     */
    private static void replaceForeignAliases(LLVMModuleRef module, Set<String> own, boolean data) {
        record Foreign(LLVMValueRef alias, LLVMValueRef target, boolean targetIsFunction) {
        }
        List<Foreign> foreign = new ArrayList<>();
        for (LLVMValueRef alias : IrModules.aliases(module)) {
            LLVMValueRef target = IrModules.aliasedObject(alias);
            boolean targetIsFunction = !IrModules.isNull(LLVMIsAFunction(target));
            if (!(targetIsFunction ? own.contains(IrModules.name(target)) : data)) {
                foreign.add(new Foreign(alias, target, targetIsFunction));
            }
        }
        for (Foreign one : foreign) {
            LLVMValueRef alias = one.alias();
            String name = IrModules.name(alias);
            LLVMTypeRef type = LLVMGlobalGetValueType(alias);
            IrModules.rename(alias, name + ".cas.dead");
            LLVMValueRef declaration = one.targetIsFunction() ? LLVMAddFunction(module, name, type)
                    : LLVMAddGlobal(module, type, name);
            LLVMSetVisibility(declaration, LLVMGetVisibility(alias));
            if (!one.targetIsFunction() && !IrModules.isNull(LLVMIsAGlobalVariable(one.target()))) {
                LLVMSetThreadLocal(declaration, LLVMIsThreadLocal(one.target()));
            }
            LLVMReplaceAllUsesWith(alias, declaration);
            LLVMSetLinkage(alias, LLVMPrivateLinkage);
        }
        if (!foreign.isEmpty()) {
            runPasses(module, "globaldce");
        }
    }

    private static boolean hasBlockAddressInitialiser(LLVMModuleRef module) {
        for (LLVMValueRef global : IrModules.globals(module)) {
            if (LLVMIsDeclaration(global) == 0 && containsBlockAddress(LLVMGetInitializer(global), 0)) {
                return true;
            }
        }
        return false;
    }

    private static boolean containsBlockAddress(LLVMValueRef value, int depth) {
        if (IrModules.isNull(value) || depth > 64) {
            return false;
        }
        if (!IrModules.isNull(LLVMIsABlockAddress(value))) {
            return true;
        }
        if (!IrModules.isNull(LLVMIsAGlobalValue(value))) {
            return false;
        }
        int operands = LLVMGetNumOperands(value);
        for (int i = 0; i < operands; i++) {
            if (containsBlockAddress(LLVMGetOperand(value, i), depth + 1)) {
                return true;
            }
        }
        return false;
    }

    static void runPasses(LLVMModuleRef module, String passes) {
        LLVMPassBuilderOptionsRef options = LLVMCreatePassBuilderOptions();
        try {
            IrModules.runPasses(module, passes, null, options);
        } finally {
            LLVMDisposePassBuilderOptions(options);
        }
    }
}
