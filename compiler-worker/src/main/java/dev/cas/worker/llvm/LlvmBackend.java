package dev.cas.worker.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import dev.cas.worker.clang.Toolchain;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.llvm.LLVM.LLVMComdatRef;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMMemoryBufferRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMPassBuilderOptionsRef;
import org.bytedeco.llvm.LLVM.LLVMTargetMachineRef;
import org.bytedeco.llvm.LLVM.LLVMTargetRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Optimises and code-generates LLVM IR to an x86-64 ELF object in this process through the LLVM C API, matching
 * what {@code clang -c -On} does after its frontend. Each call owns a fresh LLVM context and borrows a target machine
 * no other call is using, so calls run in parallel. Its owner (the worker) closes it, disposing the target machines.
 */
public final class LlvmBackend implements AutoCloseable {
    private static final int DEFAULT_PRIORITY = 65535;
    private static final AtomicBoolean LOADING = new AtomicBoolean();

    /**
     * Target machines for reuse: one builds its subtarget (instruction and register tables, lowering) on first use,
     * ~0.4 ms that would otherwise be paid again for each of a unit's thousands of pieces. A machine serves one module
     * at a time.
     */
    private final TargetMachines machines = new TargetMachines();

    /**
     * Loads LLVM's library and registers the X86 target (~0.1-0.2 s) on a background thread, once per process: called
     * when an optimised unit misses, so it overlaps that unit's clang frontend; -O0 units (clang code-generates them)
     * and hits never load LLVM in-process at all.
     */
    public static void loadInBackground() {
        if (LOADING.compareAndSet(false, true)) {
            Thread loader = new Thread(X86Target::ensureRegistered, "cas-llvm-load");
            loader.setDaemon(true);
            loader.start();
        }
    }

    /** The X86 target registered with LLVM, once per process, by whichever thread needs it first. */
    private static final class X86Target {
        static {
            LLVMInitializeX86TargetInfo();
            LLVMInitializeX86Target();
            LLVMInitializeX86TargetMC();
            LLVMInitializeX86AsmPrinter();
            LLVMInitializeX86AsmParser();
        }

        static void ensureRegistered() {
            // the class's initialisation did the work
        }
    }

    /** Disposes the idle target machines; call once no compile runs any more. */
    @Override
    public void close() {
        machines.close();
    }

    /** What clang's back end would be told by the flags of one unit. */
    public record Options(String optLevel, boolean loopVectorize, boolean slpVectorize, boolean unrollLoops,
            boolean mergeFunctions) {

        /** Derives the pass-builder settings exactly as clang's driver and CompilerInvocation do. */
        public static Options fromFlags(String optLevel, List<String> flags) {
            boolean vectorizeDefault = switch (optLevel) {
                case "0", "1", "g" -> false;
                default -> true; // 2, 3, s, fast; "z" only for SLP, below
            };
            boolean loop = lastFlag(flags, "-fvectorize", "-fno-vectorize", vectorizeDefault && !optLevel.equals("z"));
            boolean slp = lastFlag(flags, "-fslp-vectorize", "-fno-slp-vectorize", vectorizeDefault);
            boolean unroll = lastFlag(flags, "-funroll-loops", "-fno-unroll-loops", level(optLevel) > 1);
            boolean merge = lastFlag(flags, "-fmerge-functions", "-fno-merge-functions", false);
            return new Options(optLevel, loop, slp, unroll, merge);
        }

        private static boolean lastFlag(List<String> flags, String on, String off, boolean fallback) {
            boolean value = fallback;
            for (String flag : flags) {
                if (flag.equals(on)) {
                    value = true;
                } else if (flag.equals(off)) {
                    value = false;
                }
            }
            return value;
        }

        /** The {@code default<..>} pipeline clang builds for this level. */
        String pipeline() {
            return switch (optLevel) {
                case "0" -> "default<O0>";
                case "1", "g" -> "default<O1>";
                case "2" -> "default<O2>";
                case "s" -> "default<Os>";
                case "z" -> "default<Oz>";
                default -> "default<O3>";
            };
        }

        int codeGenLevel() {
            return switch (optLevel) {
                case "0" -> LLVMCodeGenLevelNone;
                case "1", "g" -> LLVMCodeGenLevelLess;
                case "3", "fast" -> LLVMCodeGenLevelAggressive;
                default -> LLVMCodeGenLevelDefault;
            };
        }

        static int level(String optLevel) {
            return switch (optLevel) {
                case "0" -> 0;
                case "1", "g" -> 1;
                case "3", "fast" -> 3;
                default -> 2;
            };
        }
    }

    /** Reads bitcode or textual IR from {@code input} and returns the object file's bytes. */
    public byte[] compile(Path input, Options options) throws BackendException {
        LLVMContextRef context = LLVMContextCreate();
        try {
            LLVMModuleRef module = parse(context, input);
            try {
                return optimiseAndEmit(module, options);
            } finally {
                LLVMDisposeModule(module);
            }
        } finally {
            LLVMContextDispose(context);
        }
    }

    /** Optimises and code-generates a module given as bitcode (a piece), in a context of its own. */
    public byte[] compile(byte[] bitcode, Options options) throws BackendException {
        try (IrModules.Owned owned = IrModules.fromBitcode(bitcode)) {
            return optimiseAndEmit(owned.module(), options);
        }
    }

    /** Parses {@code input} (bitcode or text) into {@code context}. */
    public static LLVMModuleRef parse(LLVMContextRef context, Path input) throws BackendException {
        LLVMMemoryBufferRef buffer = new LLVMMemoryBufferRef();
        BytePointer message = new BytePointer();
        if (LLVMCreateMemoryBufferWithContentsOfFile(new BytePointer(input.toString()), buffer, message) != 0) {
            throw new BackendException("cannot read " + input + ": " + IrModules.takeMessage(message));
        }
        LLVMModuleRef module = new LLVMModuleRef();
        // LLVMParseIRInContext takes ownership of the buffer, whether it succeeds or not.
        if (LLVMParseIRInContext(context, buffer, module, message) != 0) {
            throw new BackendException("invalid LLVM IR in " + input + ": " + IrModules.takeMessage(message));
        }
        return module;
    }

    private byte[] optimiseAndEmit(LLVMModuleRef module, Options options) throws BackendException {
        X86Target.ensureRegistered();
        String moduleTriple = LLVMGetTarget(module).getString();
        String triple = moduleTriple.isEmpty() ? Toolchain.TARGET_TRIPLE : moduleTriple;
        LLVMTargetRef target = new LLVMTargetRef();
        BytePointer message = new BytePointer();
        if (LLVMGetTargetFromTriple(new BytePointer(triple), target, message) != 0) {
            throw new BackendException("unsupported target '" + triple + "': " + IrModules.takeMessage(message));
        }
        String[] cpuAndFeatures = cpuAndFeatures(module);
        int relocation = LLVMGetModuleFlag(module, "PIC Level", "PIC Level".length()) != null
                ? LLVMRelocPIC : LLVMRelocStatic;
        String machineKey = String.join("\0", triple, cpuAndFeatures[0], cpuAndFeatures[1],
                Integer.toString(options.codeGenLevel()), Integer.toString(relocation));
        LLVMTargetMachineRef machine = machines.borrow(machineKey, () -> LLVMCreateTargetMachine(target, triple,
                cpuAndFeatures[0], cpuAndFeatures[1], options.codeGenLevel(), relocation, LLVMCodeModelDefault));
        try {
            runPasses(module, machine, options);
            lowerStructors(module, "llvm.global_ctors", ".init_array");
            lowerStructors(module, "llvm.global_dtors", ".fini_array");
            LLVMMemoryBufferRef object = new LLVMMemoryBufferRef();
            if (LLVMTargetMachineEmitToMemoryBuffer(machine, module, LLVMObjectFile, message, object) != 0) {
                throw new BackendException("code generation failed: " + IrModules.takeMessage(message));
            }
            try {
                BytePointer start = LLVMGetBufferStart(object);
                byte[] bytes = new byte[(int) LLVMGetBufferSize(object)];
                start.get(bytes);
                return bytes;
            } finally {
                LLVMDisposeMemoryBuffer(object);
            }
        } finally {
            machines.giveBack(machineKey, machine);
        }
    }

    private static void runPasses(LLVMModuleRef module, LLVMTargetMachineRef machine, Options options)
            throws BackendException {
        LLVMPassBuilderOptionsRef passOptions = LLVMCreatePassBuilderOptions();
        try {
            // LLVMPassBuilderOptions defaults differ from clang's: set each one clang sets.
            LLVMPassBuilderOptionsSetLoopVectorization(passOptions, options.loopVectorize() ? 1 : 0);
            LLVMPassBuilderOptionsSetSLPVectorization(passOptions, options.slpVectorize() ? 1 : 0);
            LLVMPassBuilderOptionsSetLoopUnrolling(passOptions, options.unrollLoops() ? 1 : 0);
            LLVMPassBuilderOptionsSetLoopInterleaving(passOptions, options.unrollLoops() ? 1 : 0);
            LLVMPassBuilderOptionsSetMergeFunctions(passOptions, options.mergeFunctions() ? 1 : 0);
            LLVMPassBuilderOptionsSetCallGraphProfile(passOptions, 1);
            try {
                IrModules.runPasses(module, options.pipeline(), machine, passOptions);
            } catch (IllegalStateException e) {
                throw new BackendException("optimisation failed: " + e.getMessage());
            }
        } finally {
            LLVMDisposePassBuilderOptions(passOptions);
        }
    }

    /**
     * Target machines made through the C API emit {@code llvm.global_ctors} as {@code .ctors}, which lld with glibc's
     * start files never runs. clang emits {@code .init_array}: do the same in IR, one pointer per entry, in a section
     * named by priority, in the comdat of the entry's associated global so a discarded comdat takes its entry along.
     */
    private static void lowerStructors(LLVMModuleRef module, String arrayName, String sectionBase) {
        LLVMValueRef array = LLVMGetNamedGlobal(module, arrayName);
        if (array == null || array.isNull()) {
            return;
        }
        LLVMValueRef initializer = LLVMGetInitializer(array);
        List<LLVMValueRef[]> entries = new ArrayList<>();
        int count = initializer == null || initializer.isNull() ? 0 : LLVMGetNumOperands(initializer);
        for (int i = 0; i < count; i++) {
            LLVMValueRef entry = LLVMGetOperand(initializer, i);
            entries.add(new LLVMValueRef[] {LLVMGetOperand(entry, 0), LLVMGetOperand(entry, 1),
                LLVMGetOperand(entry, 2)});
        }
        LLVMDeleteGlobal(array);
        LLVMTypeRef pointer = LLVMPointerTypeInContext(LLVMGetModuleContext(module), 0);
        int index = 0;
        for (LLVMValueRef[] entry : entries) {
            long priority = LLVMConstIntGetZExtValue(entry[0]);
            LLVMValueRef function = entry[1];
            if (LLVMIsNull(function) != 0) {
                continue;
            }
            LLVMValueRef slot = LLVMAddGlobal(module, pointer, "__cas" + sectionBase.replace('.', '_') + "." + index++);
            LLVMSetInitializer(slot, function);
            LLVMSetLinkage(slot, LLVMInternalLinkage);
            LLVMSetAlignment(slot, 8);
            LLVMSetSection(slot, priority == DEFAULT_PRIORITY ? sectionBase
                    : sectionBase + "." + String.format("%05d", priority));
            LLVMValueRef associated = entry[2];
            if (associated != null && !associated.isNull() && LLVMIsNull(associated) == 0
                    && LLVMIsAGlobalValue(associated) != null && !LLVMIsAGlobalValue(associated).isNull()) {
                LLVMComdatRef comdat = LLVMGetComdat(associated);
                if (comdat != null && !comdat.isNull()) {
                    LLVMSetComdat(slot, comdat);
                }
            }
        }
    }

    /** clang sets the target machine's CPU and features from {@code -march}; they sit on every function as attributes. */
    private static String[] cpuAndFeatures(LLVMModuleRef module) {
        for (LLVMValueRef f = LLVMGetFirstFunction(module); f != null && !f.isNull(); f = LLVMGetNextFunction(f)) {
            if (LLVMIsDeclaration(f) != 0) {
                continue;
            }
            String cpu = stringAttribute(f, "target-cpu");
            if (cpu != null) {
                String features = stringAttribute(f, "target-features");
                return new String[] {cpu, features == null ? "" : features};
            }
        }
        return new String[] {"x86-64", ""};
    }

    private static String stringAttribute(LLVMValueRef function, String kind) {
        var attribute = LLVMGetStringAttributeAtIndex(function, LLVMAttributeFunctionIndex, kind, kind.length());
        if (attribute == null || attribute.isNull()) {
            return null;
        }
        int[] length = new int[1];
        BytePointer value = LLVMGetStringAttributeValue(attribute, length);
        return value.getString().substring(0, length[0]);
    }

    /** The back end refused the IR or could not produce an object. */
    public static final class BackendException extends Exception {
        public BackendException(String message) {
            super(message);
        }
    }
}
