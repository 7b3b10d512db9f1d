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
 * them); every named struct, union or class defined at file scope is referred to through a declaration of the same
 * name, which debuggers resolve by name to its one definition; the compile unit's lists (enums, retained types,
 * global variables, imported entities) move aside, to a named node only the data piece restores, with every struct
 * definition added to its retained types. A function piece then carries its functions, their locals and the
 * declarations they name; the data piece carries the unit's variables and type definitions.
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
    private static final int SCOPE_OPERAND = 1;
    private static final int IDENTIFIER_OPERAND = 7;

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
            if (rewrite.hasOdrTypes(lists.get(RETAINED_TYPES))) {
                return Optional.of("C++ debug info (types with ODR identifiers) is not split yet");
            }
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
            if (rewrite.sawOdrType) {
                return Optional.of("C++ debug info (types with ODR identifiers) is not split yet");
            }
            List<LLVMMetadataRef> stash = new ArrayList<>(lists);
            List<LLVMMetadataRef> retained = new ArrayList<>(operandsOrEmpty(context, lists.get(RETAINED_TYPES)));
            retained.addAll(rewrite.definitions);
            stash.set(RETAINED_TYPES, tuple(context, retained));
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
        dropLists(module);
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
        for (int i = 0; i < LIST_COUNT; i++) {
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
        boolean sawOdrType;

        Rewrite(LLVMContextRef context, LLVMDIBuilderRef builder) {
            this.context = context;
            this.builder = builder;
        }

        boolean hasOdrTypes(LLVMMetadataRef retainedTypes) {
            for (LLVMMetadataRef type : operandsOrEmpty(context, retainedTypes)) {
                if (LLVMGetMetadataKind(type) == LLVMDICompositeTypeMetadataKind && hasIdentifier(type)) {
                    return true;
                }
            }
            return false;
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
            if (hasIdentifier(type)) {
                sawOdrType = true;
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
                if (scopeKind != LLVMDIFileMetadataKind && scopeKind != LLVMDICompileUnitMetadataKind) {
                    return null;
                }
                LLVMMetadataRef file = scopeKind == LLVMDIFileMetadataKind ? replacementFor(scope) : null;
                scope = file != null ? file : scope; // the declaration names no checksum either
            }
            definitions.add(type);
            return LLVMDIBuilderCreateForwardDecl(builder, tag, new BytePointer(name), name.length, scope, null, 0, 0,
                    0, 0, new BytePointer(""), 0);
        }

        private boolean hasIdentifier(LLVMMetadataRef type) {
            List<LLVMMetadataRef> operands = operands(context, type);
            return operands.size() > IDENTIFIER_OPERAND && operands.get(IDENTIFIER_OPERAND) != null;
        }
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