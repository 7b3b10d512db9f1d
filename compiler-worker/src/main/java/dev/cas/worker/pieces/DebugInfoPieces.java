package dev.cas.worker.pieces;

import static org.bytedeco.llvm.global.LLVM.*;

import dev.cas.worker.llvm.IrModules;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMDIBuilderRef;
import org.bytedeco.llvm.LLVM.LLVMMetadataRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shapes a unit's debug information so that each piece carries only its own: without this every piece holds the
 * whole compile unit (every global variable, enum and retained type) and, through the types its functions use, most
 * of the unit's struct definitions, and every key changes with any edit (DWARF 5 records an MD5 of each source file).
 *
 * <p>On the prepared module: source-file checksums are dropped (DWARF 5 makes them optional; debuggers do not need
 * them); every named struct, union or class defined at file or namespace scope is referred to through a declaration
 * of the same name, which debuggers resolve by name to its one definition; the compile unit's lists (enums, retained
 * types, global variables, imported entities) move aside, to a named node only the data piece restores, with every
 * such definition added to its retained types. A function piece then carries its functions, their locals and the
 * declarations they name; the data piece carries the unit's variables and type definitions. In C++ a class's members
 * (declared methods, member typedefs, nested types) sit under the class's declaration in a function piece, as in
 * clang's own output for a class defined elsewhere, and under its definition in the data piece
 * ({@link #restoreLists}).
 */
final class DebugInfoPieces {
    private static final Logger log = LoggerFactory.getLogger(DebugInfoPieces.class);
    /** The named node that holds the compile unit's lists for the data piece. */
    static final String LISTS = "cas.debug.lists";
    /** The compile unit's operands for enums, retained types, global variables and imported entities. */
    private static final int FIRST_LIST = 4;
    private static final int LIST_COUNT = 4;
    private static final int RETAINED_TYPES = 1;
    /** The compile unit's operand for its macros ({@code -fdebug-macro}). */
    private static final int MACROS = 8;
    private static final int DW_TAG_CLASS_TYPE = 0x02;
    private static final int DW_TAG_STRUCTURE_TYPE = 0x13;
    private static final int DW_TAG_UNION_TYPE = 0x17;
    private static final int DW_TAG_TYPEDEF = 0x16;
    /** A subprogram's operand for its compile unit: set on definitions only. */
    private static final int UNIT_OPERAND = 5;
    private static final int SCOPE_OPERAND = 1;
    /** A composite type's operand for its members. */
    private static final int ELEMENTS_OPERAND = 4;

    private DebugInfoPieces() {
    }

    /** Whether the module carries debug information (a compile unit). */
    static boolean present(LLVMModuleRef module) {
        return LLVMGetNamedMetadataNumOperands(module, "llvm.dbg.cu") > 0;
    }

    /**
     * Rewrites the prepared module's debug information as the class describes. Empty when it can be split; else why
     * not (the unit is compiled whole).
     */
    static Optional<String> prepare(LLVMModuleRef module) {
        List<LLVMMetadataRef> units = namedOperands(module, "llvm.dbg.cu");
        if (units.size() != 1) {
            return Optional.of("debug info with " + units.size() + " compile units");
        }
        LLVMContextRef context = LLVMGetModuleContext(module);
        LLVMMetadataRef unit = units.get(0);
        List<LLVMMetadataRef> unitOperands = operands(context, unit);
        if (unitOperands.size() > MACROS && unitOperands.get(MACROS) != null) {
            // every piece would need the unit's macro table for a debugger to expand macros where it stops
            return Optional.of("macro debug info (-fdebug-macro) is not split");
        }
        List<LLVMMetadataRef> lists = unitOperands.subList(FIRST_LIST, FIRST_LIST + LIST_COUNT);
        LLVMDIBuilderRef builder = LLVMCreateDIBuilderDisallowUnresolved(module);
        try {
            Rewrite rewrite = new Rewrite(context, builder);
            long begin = System.nanoTime();
            rewrite.walk(unit);
            int location = LLVMGetMDKindID("dbg", 3);
            for (LLVMValueRef function : IrModules.functions(module)) {
                LLVMMetadataRef subprogram = LLVMGetSubprogram(function);
                if (!IrModules.isNull(subprogram)) {
                    rewrite.walk(subprogram);
                    rewrite.walkLocations(function, location);
                }
            }
            log.debug("debug info: {} metadata nodes and the scopes of {} functions walked in {} ms",
                    rewrite.visited.size(), IrModules.functions(module).size(), (System.nanoTime() - begin) / 1_000_000);
            List<LLVMMetadataRef> stash = new ArrayList<>(lists);
            List<LLVMMetadataRef> retained = new ArrayList<>(operandsOrEmpty(context, lists.get(RETAINED_TYPES)));
            retained.addAll(rewrite.definitions);
            retained.addAll(rewrite.rescoped);
            stash.set(RETAINED_TYPES, tuple(context, retained));
            stash.add(tuple(context, rewrite.declaredAs));
            LLVMValueRef unitValue = LLVMMetadataAsValue(context, unit);
            for (int i = 0; i < LIST_COUNT; i++) {
                LLVMReplaceMDNodeOperandWith(unitValue, FIRST_LIST + i, null);
            }
            LLVMAddNamedMetadataOperand(module, LISTS, LLVMMetadataAsValue(context, tuple(context, stash)));
            LLVMDIBuilderFinalize(builder);
        } finally {
            LLVMDisposeDIBuilder(builder);
        }
        return Optional.empty();
    }

    /**
     * Gives the data piece, cut from a prepared module, the compile unit's lists back (and drops the set-aside node).
     */
    static void restoreLists(LLVMModuleRef module) {
        List<LLVMMetadataRef> stashes = namedOperands(module, LISTS);
        if (stashes.isEmpty()) {
            return;
        }
        LLVMContextRef context = LLVMGetModuleContext(module);
        List<LLVMMetadataRef> lists = operands(context, stashes.get(0));
        LLVMValueRef unit = LLVMMetadataAsValue(context, namedOperands(module, "llvm.dbg.cu").get(0));
        for (int i = 0; i < LIST_COUNT; i++) {
            LLVMReplaceMDNodeOperandWith(unit, FIRST_LIST + i, lists.get(i));
        }
        Map<Long, LLVMMetadataRef> definitionOf = new HashMap<>();
        List<LLVMMetadataRef> pairs = lists.size() > LIST_COUNT ? operandsOrEmpty(context, lists.get(LIST_COUNT))
                : List.of();
        for (int i = 0; i + 1 < pairs.size(); i += 2) {
            definitionOf.put(pairs.get(i).address(), pairs.get(i + 1));
        }
        reattachMembers(context, lists.get(RETAINED_TYPES), definitionOf);
        dropLists(module);
    }

    /**
     * Gives the members of each type definition back their scope, in the data piece: the rewrite made the scope of a
     * member function's declaration, a member typedef or a nested type the type's declaration (what a function piece
     * needs: a member function's definition names its declaration, which through its scope would otherwise reach
     * the whole class), and the DWARF writer places a member under its scope, so the definition would lose them.
     * The members a function piece names were added to the retained types, so the data piece's definitions list
     * every method and nested type the unit uses, as clang's whole unit does.
     */
    private static void reattachMembers(LLVMContextRef context, LLVMMetadataRef retainedTypes,
            Map<Long, LLVMMetadataRef> definitionOf) {
        for (LLVMMetadataRef retained : operandsOrEmpty(context, retainedTypes)) {
            if (retained == null) {
                continue;
            }
            rescope(context, retained, definitionOf);
            if (LLVMGetMetadataKind(retained) == LLVMDICompositeTypeMetadataKind) {
                List<LLVMMetadataRef> typeOperands = operands(context, retained);
                LLVMMetadataRef elements = typeOperands.size() > ELEMENTS_OPERAND ? typeOperands.get(ELEMENTS_OPERAND)
                        : null;
                for (LLVMMetadataRef element : operandsOrEmpty(context, elements)) {
                    if (element != null && LLVMGetMetadataKind(element) == LLVMDISubprogramMetadataKind) {
                        rescope(context, element, definitionOf);
                    }
                }
            }
        }
    }

    private static void rescope(LLVMContextRef context, LLVMMetadataRef node,
            Map<Long, LLVMMetadataRef> definitionOf) {
        if (!isNode(node)) {
            return;
        }
        List<LLVMMetadataRef> nodeOperands = operands(context, node);
        LLVMMetadataRef scope = nodeOperands.size() > SCOPE_OPERAND ? nodeOperands.get(SCOPE_OPERAND) : null;
        LLVMMetadataRef definition = scope == null ? null : definitionOf.get(scope.address());
        if (definition != null) {
            LLVMReplaceMDNodeOperandWith(LLVMMetadataAsValue(context, node), SCOPE_OPERAND, definition);
        }
    }

    /**
     * Empties the set-aside node in a module that will not become the data piece, so neither its pieces nor the
     * copies made on the way to them carry the unit's types and variables (parsing them once per piece made a
     * sqlite3.c -O2 -g build twice as slow).
     */
    static void dropLists(LLVMModuleRef module) {
        List<LLVMMetadataRef> stashes = namedOperands(module, LISTS);
        if (stashes.isEmpty()) {
            return;
        }
        LLVMValueRef stash = LLVMMetadataAsValue(LLVMGetModuleContext(module), stashes.get(0));
        for (int i = 0; i <= LIST_COUNT; i++) {
            LLVMReplaceMDNodeOperandWith(stash, i, null);
        }
    }

    /** One pass over the metadata graph, replacing operands as it goes. */
    private static final class Rewrite {
        final LLVMContextRef context;
        final LLVMDIBuilderRef builder;
        final Set<Long> visited = new HashSet<>();
        final Map<Long, LLVMMetadataRef> replacements = new HashMap<>();
        final List<LLVMMetadataRef> definitions = new ArrayList<>();
        /** Members (declared methods, typedefs, nested types) whose scope became their type's declaration. */
        final List<LLVMMetadataRef> rescoped = new ArrayList<>();
        /** Each declaration made, followed by the definition it stands for. */
        final List<LLVMMetadataRef> declaredAs = new ArrayList<>();

        Rewrite(LLVMContextRef context, LLVMDIBuilderRef builder) {
            this.context = context;
            this.builder = builder;
        }

        /**
         * The scopes of a function's instructions: lexical blocks and inlined subprograms are reached only through
         * them.
         */
        void walkLocations(LLVMValueRef function, int locationKind) {
            long last = 0;
            for (var block = LLVMGetFirstBasicBlock(function); !IrModules.isNull(block);
                    block = LLVMGetNextBasicBlock(block)) {
                for (LLVMValueRef inst = LLVMGetFirstInstruction(block); !IrModules.isNull(inst);
                        inst = LLVMGetNextInstruction(inst)) {
                    LLVMValueRef location = LLVMGetMetadata(inst, locationKind);
                    if (!IrModules.isNull(location) && location.address() != last) {
                        last = location.address();
                        walkLocation(LLVMValueAsMetadata(location));
                    }
                }
            }
        }

        private void walkLocation(LLVMMetadataRef location) {
            for (int depth = 0; depth < 64 && !IrModules.isNull(location); depth++) {
                LLVMMetadataRef scope = LLVMDILocationGetScope(location);
                if (!visited.contains(scope.address())) {
                    walk(scope);
                }
                location = LLVMDILocationGetInlinedAt(location);
            }
        }

        void walk(LLVMMetadataRef root) {
            ArrayDeque<LLVMMetadataRef> pending = new ArrayDeque<>();
            pending.push(root);
            while (!pending.isEmpty()) {
                LLVMMetadataRef node = pending.pop();
                if (!isNode(node) || !visited.add(node.address())) {
                    continue;
                }
                LLVMValueRef value = LLVMMetadataAsValue(context, node);
                List<LLVMMetadataRef> operands = operands(context, node);
                for (int i = 0; i < operands.size(); i++) {
                    LLVMMetadataRef operand = operands.get(i);
                    if (operand == null) {
                        continue;
                    }
                    LLVMMetadataRef replacement = replacementFor(operand);
                    if (replacement != null && replacement.address() != operand.address()) {
                        LLVMReplaceMDNodeOperandWith(value, i, replacement);
                        if (i == SCOPE_OPERAND && isMember(context, node)) {
                            rescoped.add(node);
                        }
                    }
                    pending.push(operand);
                }
            }
        }

        private LLVMMetadataRef replacementFor(LLVMMetadataRef operand) {
            int kind = LLVMGetMetadataKind(operand);
            if (kind != LLVMDIFileMetadataKind && kind != LLVMDICompositeTypeMetadataKind) {
                return null;
            }
            long address = operand.address();
            if (replacements.containsKey(address)) {
                return replacements.get(address);
            }
            LLVMMetadataRef replacement = kind == LLVMDIFileMetadataKind ? withoutChecksum(operand)
                    : declarationOf(operand);
            replacements.put(address, replacement);
            return replacement;
        }

        /** The same file without its checksum; a file with embedded source stays as it is. */
        private LLVMMetadataRef withoutChecksum(LLVMMetadataRef file) {
            IntPointer length = new IntPointer(1);
            LLVMDIFileGetSource(file, length);
            if (length.get() > 0) {
                return null;
            }
            byte[] name = string(LLVMDIFileGetFilename(file, length), length.get());
            byte[] directory = string(LLVMDIFileGetDirectory(file, length), length.get());
            return LLVMDIBuilderCreateFile(builder, new BytePointer(name), name.length, new BytePointer(directory),
                    directory.length);
        }

        /**
         * A declaration for a named struct, union or class defined at file scope (whose definition joins the data
         * piece's retained types); null for any other composite (arrays, enums, anonymous or local types), which
         * stays a definition wherever it is used.
         */
        private LLVMMetadataRef declarationOf(LLVMMetadataRef type) {
            int tag = LLVMGetDINodeTag(type);
            if (tag != DW_TAG_STRUCTURE_TYPE && tag != DW_TAG_UNION_TYPE && tag != DW_TAG_CLASS_TYPE) {
                return null;
            }
            if ((LLVMDITypeGetFlags(type) & LLVMDIFlagFwdDecl) != 0) {
                return null;
            }
            SizeTPointer length = new SizeTPointer(1);
            BytePointer namePointer = LLVMDITypeGetName(type, length);
            if (length.get() == 0) {
                return null;
            }
            byte[] name = string(namePointer, (int) length.get());
            LLVMMetadataRef scope = operands(context, type).get(SCOPE_OPERAND);
            if (scope != null) {
                int scopeKind = LLVMGetMetadataKind(scope);
                if (scopeKind != LLVMDIFileMetadataKind && scopeKind != LLVMDICompileUnitMetadataKind
                        && scopeKind != LLVMDINamespaceMetadataKind) {
                    return null;
                }
                LLVMMetadataRef file = scopeKind == LLVMDIFileMetadataKind ? replacementFor(scope) : null;
                scope = file != null ? file : scope; // the declaration names no checksum either
            }
            definitions.add(type);
            LLVMMetadataRef declaration = LLVMDIBuilderCreateForwardDecl(builder, tag, new BytePointer(name),
                    name.length, scope, null, 0, 0, 0, 0, new BytePointer(""), 0);
            declaredAs.add(declaration);
            declaredAs.add(type);
            return declaration;
        }
    }

    /**
     * Whether {@code node}, whose scope is a type, is a member the data piece must list with the type's definition:
     * a method's declaration (a subprogram without a compile unit), a typedef, or a nested type.
     */
    private static boolean isMember(LLVMContextRef context, LLVMMetadataRef node) {
        int kind = LLVMGetMetadataKind(node);
        if (kind == LLVMDISubprogramMetadataKind) {
            List<LLVMMetadataRef> nodeOperands = operands(context, node);
            return nodeOperands.size() <= UNIT_OPERAND || nodeOperands.get(UNIT_OPERAND) == null;
        }
        return kind == LLVMDICompositeTypeMetadataKind
                || (kind == LLVMDIDerivedTypeMetadataKind && LLVMGetDINodeTag(node) == DW_TAG_TYPEDEF);
    }

    /** Whether {@code md} is a node with operands (not a string or a wrapped value). */
    private static boolean isNode(LLVMMetadataRef md) {
        int kind = LLVMGetMetadataKind(md);
        return kind != LLVMMDStringMetadataKind && kind != LLVMConstantAsMetadataMetadataKind
                && kind != LLVMLocalAsMetadataMetadataKind && kind != LLVMDIExpressionMetadataKind;
    }

    /** A node's operands, null where an operand is absent. */
    private static List<LLVMMetadataRef> operands(LLVMContextRef context, LLVMMetadataRef node) {
        LLVMValueRef value = LLVMMetadataAsValue(context, node);
        int count = LLVMGetMDNodeNumOperands(value);
        List<LLVMMetadataRef> all = new ArrayList<>(count);
        if (count == 0) {
            return all;
        }
        try (PointerPointer<LLVMValueRef> values = new PointerPointer<>(count)) {
            LLVMGetMDNodeOperands(value, values);
            for (int i = 0; i < count; i++) {
                LLVMValueRef operand = values.get(LLVMValueRef.class, i);
                all.add(IrModules.isNull(operand) ? null : LLVMValueAsMetadata(operand));
            }
        }
        return all;
    }

    private static List<LLVMMetadataRef> operandsOrEmpty(LLVMContextRef context, LLVMMetadataRef tuple) {
        return tuple == null ? List.of() : operands(context, tuple);
    }

    private static List<LLVMMetadataRef> namedOperands(LLVMModuleRef module, String name) {
        int count = LLVMGetNamedMetadataNumOperands(module, name);
        List<LLVMMetadataRef> all = new ArrayList<>(count);
        if (count == 0) {
            return all;
        }
        try (PointerPointer<LLVMValueRef> values = new PointerPointer<>(count)) {
            LLVMGetNamedMetadataOperands(module, name, values);
            for (int i = 0; i < count; i++) {
                all.add(LLVMValueAsMetadata(values.get(LLVMValueRef.class, i)));
            }
        }
        return all;
    }

    private static LLVMMetadataRef tuple(LLVMContextRef context, List<LLVMMetadataRef> elements) {
        try (PointerPointer<LLVMMetadataRef> array = new PointerPointer<>(Math.max(1, elements.size()))) {
            for (int i = 0; i < elements.size(); i++) {
                array.put(i, elements.get(i));
            }
            return LLVMMDNodeInContext2(context, array, elements.size());
        }
    }

    private static byte[] string(BytePointer pointer, int length) {
        byte[] bytes = new byte[length];
        if (length > 0) {
            pointer.get(bytes);
        }
        return bytes;
    }
}