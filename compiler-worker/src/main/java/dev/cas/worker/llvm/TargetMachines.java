package dev.cas.worker.llvm;

import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Supplier;
import org.bytedeco.llvm.LLVM.LLVMTargetMachineRef;
import org.bytedeco.llvm.global.LLVM;

/**
 * Idle LLVM target machines by configuration (triple, CPU, features, levels), lent to one caller at a time. There
 * are never more machines per configuration than callers that ran at once, so the pool stays as small as the
 * parallelism that filled it; the machines live until {@link #close()} (the worker's end), which disposes them.
 */
final class TargetMachines implements AutoCloseable {
    private final Map<String, Queue<LLVMTargetMachineRef>> idle = new ConcurrentHashMap<>();

    LLVMTargetMachineRef borrow(String configuration, Supplier<LLVMTargetMachineRef> create) {
        LLVMTargetMachineRef machine = idle.computeIfAbsent(configuration, c -> new ConcurrentLinkedQueue<>()).poll();
        return machine != null ? machine : create.get();
    }

    void giveBack(String configuration, LLVMTargetMachineRef machine) {
        idle.get(configuration).add(machine);
    }

    /** Disposes the idle machines; call once nothing borrows any more. */
    @Override
    public void close() {
        for (Queue<LLVMTargetMachineRef> machines : idle.values()) {
            for (LLVMTargetMachineRef machine = machines.poll(); machine != null; machine = machines.poll()) {
                LLVM.LLVMDisposeTargetMachine(machine);
            }
        }
    }
}
