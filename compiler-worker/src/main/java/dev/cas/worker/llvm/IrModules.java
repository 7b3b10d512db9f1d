package dev.cas.worker.llvm;

import static org.bytedeco.llvm.global.LLVM.*;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMErrorRef;
import org.bytedeco.llvm.LLVM.LLVMMemoryBufferRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMPassBuilderOptionsRef;
import org.bytedeco.llvm.LLVM.LLVMTargetMachineRef;
import org.bytedeco.llvm.LLVM.LLVMTypeRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Small helpers over the LLVM C API for whole modules: names, the lists of functions, variables and aliases, and
 * moving a module between contexts as bitcode (which is how pieces are cloned, each into a context of its own).
 */
public final class IrModules {
    private IrModules() {
    }

    /** A module with the context that owns it; closing disposes both (module first). */
    public record Owned(LLVMContextRef context, LLVMModuleRef module) implements AutoCloseable {
        @Override
        public void close() {
            LLVMDisposeModule(module);
            LLVMContextDispose(context);
        }
    }

    public static String name(LLVMValueRef value) {
        SizeTPointer length = new SizeTPointer(1);
        BytePointer name = LLVMGetValueName2(value, length);
        byte[] bytes = new byte[(int) length.get()];
        name.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    public static void rename(LLVMValueRef value, String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        LLVMSetValueName2(value, new BytePointer(bytes), bytes.length);
    }

    public static List<LLVMValueRef> functions(LLVMModuleRef module) {
        List<LLVMValueRef> all = new ArrayList<>();
        for (LLVMValueRef f = LLVMGetFirstFunction(module); f != null && !f.isNull(); f = LLVMGetNextFunction(f)) {
            all.add(f);
        }
        return all;
    }

    public static List<LLVMValueRef> globals(LLVMModuleRef module) {
        List<LLVMValueRef> all = new ArrayList<>();
        for (LLVMValueRef g = LLVMGetFirstGlobal(module); g != null && !g.isNull(); g = LLVMGetNextGlobal(g)) {
            all.add(g);
        }
        return all;
    }

    /**
     * The function or variable an alias finally names: through chains of aliases (a class's complete destructor
     * aliases its base destructor, which may alias its own base class's) and constant casts or offsets.
     */
    public static LLVMValueRef aliasedObject(LLVMValueRef alias) {
        LLVMValueRef value = LLVMAliasGetAliasee(alias);
        for (int depth = 0; depth < 64 && !isNull(value); depth++) {
            if (!isNull(LLVMIsAGlobalAlias(value))) {
                value = LLVMAliasGetAliasee(value);
            } else if (!isNull(LLVMIsAConstantExpr(value)) && LLVMGetNumOperands(value) > 0) {
                value = LLVMGetOperand(value, 0);
            } else {
                return value;
            }
        }
        return value;
    }

    public static List<LLVMValueRef> aliases(LLVMModuleRef module) {
        List<LLVMValueRef> all = new ArrayList<>();
        for (LLVMValueRef a = LLVMGetFirstGlobalAlias(module); a != null && !a.isNull();
                a = LLVMGetNextGlobalAlias(a)) {
            all.add(a);
        }
        return all;
    }

    public static boolean isNull(Pointer pointer) {
        return pointer == null || pointer.isNull();
    }

    public static byte[] toBitcode(LLVMModuleRef module) {
        LLVMMemoryBufferRef buffer = LLVMWriteBitcodeToMemoryBuffer(module);
        try {
            byte[] bytes = new byte[(int) LLVMGetBufferSize(buffer)];
            LLVMGetBufferStart(buffer).get(bytes);
            return bytes;
        } finally {
            LLVMDisposeMemoryBuffer(buffer);
        }
    }

    /** Parses bitcode into a fresh context. */
    public static Owned fromBitcode(byte[] bitcode) {
        LLVMContextRef context = LLVMContextCreate();
        BytePointer data = new BytePointer(bitcode);
        LLVMMemoryBufferRef buffer = LLVMCreateMemoryBufferWithMemoryRangeCopy(data, bitcode.length, new BytePointer("piece"));
        try {
            LLVMModuleRef module = new LLVMModuleRef();
            if (LLVMParseBitcodeInContext2(context, buffer, module) != 0) {
                LLVMContextDispose(context);
                throw new IllegalStateException("cannot parse bitcode produced by LLVM itself");
            }
            return new Owned(context, module);
        } finally {
            LLVMDisposeMemoryBuffer(buffer);
            data.close();
        }
    }

    public static String print(LLVMModuleRef module) {
        return takeMessage(LLVMPrintModuleToString(module));
    }

    public static String print(LLVMTypeRef type) {
        return takeMessage(LLVMPrintTypeToString(type));
    }

    public static String print(LLVMValueRef value) {
        return takeMessage(LLVMPrintValueToString(value));
    }

    /** The text of a message LLVM allocated for us, which this disposes. */
    static String takeMessage(BytePointer message) {
        if (isNull(message)) {
            return "(no message)";
        }
        try {
            return message.getString(StandardCharsets.UTF_8);
        } finally {
            LLVMDisposeMessage(message);
        }
    }

    /** Runs a pass pipeline; a pipeline LLVM refuses is an IllegalStateException with LLVM's message. */
    public static void runPasses(LLVMModuleRef module, String passes, LLVMTargetMachineRef machine,
            LLVMPassBuilderOptionsRef options) {
        LLVMErrorRef error = LLVMRunPasses(module, passes, machine, options);
        if (!isNull(error)) {
            BytePointer text = LLVMGetErrorMessage(error);
            String why = text.getString(StandardCharsets.UTF_8);
            LLVMDisposeErrorMessage(text);
            throw new IllegalStateException("LLVM passes '" + passes + "' failed: " + why);
        }
    }
}
