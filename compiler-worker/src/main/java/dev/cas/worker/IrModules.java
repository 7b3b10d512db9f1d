package dev.cas.worker;

import static org.bytedeco.llvm.global.LLVM.*;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMMemoryBufferRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Small helpers over the LLVM C API for whole modules: names, the lists of functions, variables and aliases, and
 * moving a module between contexts as bitcode (which is how pieces are cloned, each into a context of its own).
 */
final class IrModules {
    private IrModules() {
    }

    /** A module with the context that owns it; closing disposes both (module first). */
    record Owned(LLVMContextRef context, LLVMModuleRef module) implements AutoCloseable {
        @Override
        public void close() {
            LLVMDisposeModule(module);
            LLVMContextDispose(context);
        }
    }

    static String name(LLVMValueRef value) {
        SizeTPointer length = new SizeTPointer(1);
        BytePointer name = LLVMGetValueName2(value, length);
        byte[] bytes = new byte[(int) length.get()];
        name.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    static void rename(LLVMValueRef value, String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        LLVMSetValueName2(value, new BytePointer(bytes), bytes.length);
    }

    static List<LLVMValueRef> functions(LLVMModuleRef module) {
        List<LLVMValueRef> all = new ArrayList<>();
        for (LLVMValueRef f = LLVMGetFirstFunction(module); f != null && !f.isNull(); f = LLVMGetNextFunction(f)) {
            all.add(f);
        }
        return all;
    }

    static List<LLVMValueRef> globals(LLVMModuleRef module) {
        List<LLVMValueRef> all = new ArrayList<>();
        for (LLVMValueRef g = LLVMGetFirstGlobal(module); g != null && !g.isNull(); g = LLVMGetNextGlobal(g)) {
            all.add(g);
        }
        return all;
    }

    static List<LLVMValueRef> aliases(LLVMModuleRef module) {
        List<LLVMValueRef> all = new ArrayList<>();
        for (LLVMValueRef a = LLVMGetFirstGlobalAlias(module); a != null && !a.isNull();
                a = LLVMGetNextGlobalAlias(a)) {
            all.add(a);
        }
        return all;
    }

    static boolean isNull(org.bytedeco.javacpp.Pointer pointer) {
        return pointer == null || pointer.isNull();
    }

    static byte[] toBitcode(LLVMModuleRef module) {
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
    static Owned fromBitcode(byte[] bitcode) {
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

    static String print(LLVMModuleRef module) {
        BytePointer text = LLVMPrintModuleToString(module);
        try {
            return text.getString(StandardCharsets.UTF_8);
        } finally {
            LLVMDisposeMessage(text);
        }
    }

    static String print(org.bytedeco.llvm.LLVM.LLVMTypeRef type) {
        BytePointer text = LLVMPrintTypeToString(type);
        try {
            return text.getString(StandardCharsets.UTF_8);
        } finally {
            LLVMDisposeMessage(text);
        }
    }

    static String print(LLVMValueRef value) {
        BytePointer text = LLVMPrintValueToString(value);
        try {
            return text.getString(StandardCharsets.UTF_8);
        } finally {
            LLVMDisposeMessage(text);
        }
    }
}
