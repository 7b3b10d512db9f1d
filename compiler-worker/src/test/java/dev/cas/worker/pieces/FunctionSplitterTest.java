package dev.cas.worker.pieces;

import static org.assertj.core.api.Assertions.assertThat;
import static org.bytedeco.llvm.global.LLVM.LLVMContextCreate;
import static org.bytedeco.llvm.global.LLVM.LLVMContextDispose;
import static org.bytedeco.llvm.global.LLVM.LLVMDisposeModule;
import static org.bytedeco.llvm.global.LLVM.LLVMExternalLinkage;
import static org.bytedeco.llvm.global.LLVM.LLVMGetLinkage;
import static org.bytedeco.llvm.global.LLVM.LLVMGetNamedFunction;
import static org.bytedeco.llvm.global.LLVM.LLVMGetVisibility;
import static org.bytedeco.llvm.global.LLVM.LLVMHiddenVisibility;
import static org.bytedeco.llvm.global.LLVM.LLVMWeakODRLinkage;

import dev.cas.worker.llvm.IrModules;
import dev.cas.worker.llvm.LlvmBackend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The splitter on small IR fixtures: how statics are renamed, which functions share a piece, where aliases go, the
 * import rule, linkonce made weak, what one cut piece holds, and what it refuses to split.
 */
class FunctionSplitterTest {
    private static final String SUFFIX = ".__cas_" + PerFunctionCompiler.LOCAL_TAG;

    /** A callee just over the import limit: more instructions than a piece copies for inlining. */
    private static final String BIG = "define internal i32 @big(i32 %x) {\n"
            + IntStream.range(0, FunctionSplitter.IMPORT_LIMIT + 1)
                    .mapToObj(i -> "  %v" + (i + 1) + " = add i32 " + (i == 0 ? "%x" : "%v" + i) + ", " + i + "\n")
                    .collect(Collectors.joining())
            + "  ret i32 %v" + (FunctionSplitter.IMPORT_LIMIT + 1) + "\n}\n";

    private static final String UNIT = """
            target triple = "x86_64-pc-linux-gnu"

            $pair = comdat any

            @counter = internal global i32 0
            @0 = internal global i32 1
            @1 = internal global i32 2
            @.str = private unnamed_addr constant [3 x i8] c"hi\\00"

            define internal i32 @helper(i32 %x) {
              %y = add i32 %x, 1
              ret i32 %y
            }

            define internal i32 @stubborn(i32 %x) noinline {
              ret i32 %x
            }

            define i32 @api(i32 %x) {
              %a = call i32 @helper(i32 %x)
              %b = call i32 @big(i32 %a)
              %c = call i32 @stubborn(i32 %b)
              %n = load i32, ptr @counter
              %m = load i32, ptr @0
              %k = load i32, ptr @1
              %s1 = add i32 %c, %n
              %s2 = add i32 %s1, %m
              %s3 = add i32 %s2, %k
              ret i32 %s3
            }

            @api_alias = alias i32 (i32), ptr @api

            define linkonce_odr i32 @first(i32 %x) comdat($pair) {
              ret i32 %x
            }

            define linkonce_odr i32 @second(i32 %x) comdat($pair) {
              ret i32 %x
            }

            define i32 @usesPair(i32 %x) {
              %a = call i32 @first(i32 %x)
              %b = call i32 @second(i32 %a)
              ret i32 %b
            }

            define ptr @greeting() {
              ret ptr @.str
            }
            """ + BIG;

    @TempDir
    Path dir;

    /** What a check sees: the prepared module and its plan (empty when the splitter refused the unit). */
    private interface Check {
        void on(LLVMModuleRef module, Optional<FunctionSplitter.Prepared> prepared) throws Exception;
    }

    private void prepare(String ir, Check check) throws Exception {
        Path file = dir.resolve("unit.ll");
        Files.writeString(file, ir);
        LLVMContextRef context = LLVMContextCreate();
        try {
            LLVMModuleRef module = LlvmBackend.parse(context, file);
            try {
                Optional<FunctionSplitter.Prepared> prepared;
                try {
                    prepared = Optional.of(FunctionSplitter.prepare(module, PerFunctionCompiler.LOCAL_TAG,
                            ForkJoinPool.commonPool()));
                } catch (Unsplittable refused) {
                    prepared = Optional.empty();
                }
                check.on(module, prepared);
            } finally {
                LLVMDisposeModule(module);
            }
        } finally {
            LLVMContextDispose(context);
        }
    }

    private static List<String> groupOf(FunctionSplitter.Prepared prepared, String function) {
        return prepared.groups().stream().filter(group -> group.contains(function)).findFirst().orElseThrow();
    }

    @Test
    void staticsBecomeHiddenExternalsWithTheTagLastEvenWhenTwoAreUnnamed() throws Exception {
        prepare(UNIT, (module, prepared) -> {
            assertThat(prepared).isPresent();
            var helper = LLVMGetNamedFunction(module, "helper" + SUFFIX);
            assertThat(IrModules.isNull(helper)).as("helper renamed").isFalse();
            assertThat(LLVMGetLinkage(helper)).isEqualTo(LLVMExternalLinkage);
            assertThat(LLVMGetVisibility(helper)).isEqualTo(LLVMHiddenVisibility);
            List<String> statics = IrModules.globals(module).stream().map(IrModules::name)
                    .filter(name -> name.contains(".__cas_")).toList();
            assertThat(statics).containsExactlyInAnyOrder("counter" + SUFFIX, "anon" + SUFFIX, "anon.1" + SUFFIX);
            // the string literal is address-insignificant: named by its content, copied into each piece using it
            assertThat(IrModules.globals(module).stream().map(IrModules::name)).anyMatch(n -> n.startsWith(".cas.c."));
        });
    }

    @Test
    void aComdatIsOnePieceAndAnAliasGoesWithItsTarget() throws Exception {
        prepare(UNIT, (module, prepared) -> {
            FunctionSplitter.Prepared plan = prepared.orElseThrow();
            assertThat(plan.groups().get(0)).containsExactly(FunctionSplitter.DATA_PIECE);
            assertThat(groupOf(plan, "first")).containsExactly("first", "second");
            assertThat(groupOf(plan, "api")).containsExactly("api");
            assertThat(plan.aliasesOf(List.of("api"))).containsExactly("api_alias");
            assertThat(plan.aliasesOf(List.of("usesPair"))).isEmpty();
        });
    }

    @Test
    void linkonceBecomesWeakSoThatAPieceOfItsOwnKeepsIt() throws Exception {
        prepare(UNIT, (module, prepared) -> {
            assertThat(prepared.orElseThrow().discardable()).contains("first", "second").doesNotContain("api");
            assertThat(LLVMGetLinkage(LLVMGetNamedFunction(module, "first"))).isEqualTo(LLVMWeakODRLinkage);
        });
    }

    @Test
    void aPieceImportsSmallCalleesButNotLargeOrNoinlineOnes() throws Exception {
        prepare(UNIT, (module, prepared) -> {
            FunctionSplitter.Prepared plan = prepared.orElseThrow();
            assertThat(plan.importsOf(List.of("api"))).containsExactly("helper" + SUFFIX);
            assertThat(plan.importsOf(List.of("usesPair"))).containsExactlyInAnyOrder("first", "second");
            // a group never imports its own members
            assertThat(plan.importsOf(groupOf(plan, "first"))).isEmpty();
        });
    }

    @Test
    void aPieceCutInPlaceDefinesItsFunctionKeepsImportsInlineOnlyAndDeclaresTheRest() throws Exception {
        prepare(UNIT, (module, prepared) -> {
            FunctionSplitter.Piece piece = FunctionSplitter.extractInPlace(module, prepared.orElseThrow(),
                    List.of("api"));
            String text;
            try (IrModules.Owned parsed = IrModules.fromBitcode(piece.bitcode())) {
                text = IrModules.print(parsed.module());
            }
            assertThat(text).containsPattern("define [^\\n]*@api\\(")
                    .containsPattern("@api_alias = [^\\n]*alias")
                    .containsPattern("define available_externally [^\\n]*@helper" + SUFFIX.replace(".", "\\.") + "\\(")
                    .containsPattern("declare [^\\n]*@big" + SUFFIX.replace(".", "\\.") + "\\(")
                    .containsPattern("declare [^\\n]*@stubborn" + SUFFIX.replace(".", "\\.") + "\\(")
                    .doesNotContain("@usesPair", "@greeting");
            // global variables live in the data piece: this one only declares the statics it reads
            assertThat(text).containsPattern("@counter" + SUFFIX.replace(".", "\\.") + " = external hidden global");
        });
    }

    @Test
    void whatPiecesCannotExpressIsNotSplit() throws Exception {
        prepare("""
                target triple = "x86_64-pc-linux-gnu"
                define i32 @impl() {
                  ret i32 1
                }
                define ptr @resolve() {
                  ret ptr @impl
                }
                @chosen = ifunc i32 (), ptr @resolve
                """, (module, prepared) -> assertThat(prepared).as("an ifunc").isEmpty());
        prepare("""
                target triple = "x86_64-pc-linux-gnu"
                @table = global [1 x ptr] [ptr blockaddress(@dispatch, %next)]
                define void @dispatch() {
                  br label %next
                next:
                  ret void
                }
                """, (module, prepared) -> assertThat(prepared).as("a blockaddress in a variable").isEmpty());
    }
}
