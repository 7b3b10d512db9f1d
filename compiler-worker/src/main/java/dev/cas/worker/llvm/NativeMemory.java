package dev.cas.worker.llvm;

import java.lang.reflect.Method;
import org.bytedeco.javacpp.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Hands the native heap's free pages back to the system after a large LLVM module is disposed. glibc keeps memory a
 * thread frees in that thread's arena, where the pool threads that parse the pieces next cannot reuse it: without
 * this, a unit's whole module stays in the worker's peak beside the copies the pieces are cut from (sqlite3.c at
 * -O2: ~40 MB). JavaCPP binds glibc's {@code malloc_trim} but keeps the binding private, hence the reflection; where
 * it is missing this does nothing.
 */
public final class NativeMemory {
    private static final Logger log = LoggerFactory.getLogger(NativeMemory.class);
    private static final Method TRIM = trimMethod();

    private NativeMemory() {
    }

    public static void release() {
        if (TRIM != null) {
            try {
                TRIM.invoke(null);
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                log.debug("malloc_trim failed", e);
            }
        }
    }

    private static Method trimMethod() {
        try {
            Method trim = Pointer.class.getDeclaredMethod("trimMemory");
            trim.setAccessible(true);
            return trim;
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.debug("no malloc_trim binding in JavaCPP", e);
            return null;
        }
    }
}
