package dev.cas.worker.pieces;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bytedeco.llvm.global.LLVM.LLVMContextCreate;
import static org.bytedeco.llvm.global.LLVM.LLVMContextDispose;

import dev.cas.worker.clang.ProcessRunner;
import dev.cas.worker.clang.Toolchain;
import dev.cas.worker.llvm.IrModules;
import dev.cas.worker.llvm.LlvmBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What {@link DebugInfoPieces} leaves in each piece of a unit clang compiled with {@code -g}: a function piece names
 * file-scope structs by declaration and has no compile-unit lists; the data piece defines them and has the lists; no
 * piece records a source checksum.
 */
class DebugInfoPiecesTest {
    private static final String SOURCE = """
            struct point { int x, y; };
            struct point origin = {1, 2};
            enum color { RED, GREEN };
            int area(struct point *p, enum color c) { return p->x * p->y + c; }
            int main(void) { return area(&origin, GREEN); }
            """;

    @TempDir
    Path dir;

    @Test
    void functionPiecesDeclareStructsTheDataPieceDefinesThemAndNoPieceHasAChecksum() throws Exception {
        Path bitcode = frontend("-g", "-gdwarf-5");
        String area = pieceText(bitcode, "area");
        String data = pieceText(bitcode, FunctionSplitter.DATA_PIECE);

        assertThat(area).contains("name: \"point\", flags: DIFlagFwdDecl)").doesNotContain("checksum")
                .doesNotContain("retainedTypes:").doesNotContain("globals:").doesNotContain("name: \"origin\"");
        assertThat(area).contains("name: \"color\"", "DIEnumerator(name: \"GREEN\""); // enums stay definitions
        assertThat(data).contains("name: \"point\"", "elements:", "retainedTypes:", "globals:", "name: \"origin\"")
                .doesNotContain("checksum").contains("= !{null, null, null, null, null}"); // the set-aside node (lists, declarations), emptied
    }

    @Test
    void macroDebugInfoIsNotSplit() throws Exception {
        Path bitcode = frontend("-g", "-fdebug-macro");
        LLVMContextRef context = LLVMContextCreate();
        try {
            var module = LlvmBackend.parse(context, bitcode);
            try {
                FunctionSplitter.prepare(module, PerFunctionCompiler.LOCAL_TAG, ForkJoinPool.commonPool());
                throw new AssertionError("a unit with macro debug info was prepared for splitting");
            } catch (Unsplittable expected) {
                assertThat(expected.debugInfo()).isTrue();
                assertThat(expected.getMessage()).contains("-fdebug-macro");
            } finally {
                org.bytedeco.llvm.global.LLVM.LLVMDisposeModule(module);
            }
        } finally {
            LLVMContextDispose(context);
        }
    }

    private Path frontend(String... debugFlags) throws Exception {
        Files.writeString(dir.resolve("p.c"), SOURCE);
        List<String> command = new java.util.ArrayList<>(List.of(Toolchain.load().clang().toString(), "-O2"));
        command.addAll(List.of(debugFlags));
        command.addAll(List.of("-Xclang", "-disable-llvm-passes", "-emit-llvm", "-c", "p.c", "-o", "p.bc"));
        ProcessRunner.Result result = ProcessRunner.run(command, dir, Map.of());
        assertThat(result.exitCode()).as(new String(result.stderr())).isZero();
        return dir.resolve("p.bc");
    }

    /** The printed IR of the one piece of {@code group}, cut from the prepared unit. */
    private static String pieceText(Path bitcode, String function) throws Exception {
        LLVMContextRef context = LLVMContextCreate();
        try {
            var module = LlvmBackend.parse(context, bitcode);
            FunctionSplitter.Prepared prepared = FunctionSplitter.prepare(module, PerFunctionCompiler.LOCAL_TAG,
                    ForkJoinPool.commonPool());
            List<String> group = prepared.groups().stream().filter(g -> g.contains(function)).findFirst()
                    .orElseThrow();
            FunctionSplitter.Piece piece = FunctionSplitter.extractInPlace(module, prepared, group);
            org.bytedeco.llvm.global.LLVM.LLVMDisposeModule(module);
            try (IrModules.Owned cut = IrModules.fromBitcode(piece.bitcode())) {
                return IrModules.print(cut.module());
            }
        } finally {
            LLVMContextDispose(context);
        }
    }
}
