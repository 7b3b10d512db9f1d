package dev.cas.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Debian's Bazel (bazel-bootstrap, installed by bin/install-prerequisites) builds a small cc_binary against this
 * server, once with {@code --remote_cache=grpc://} and once with {@code http://}, authenticating with a bearer token;
 * after {@code bazel clean} every compile and link of the rebuild is a remote cache hit, and the program runs.
 * Bazel would otherwise download rules_cc and rules_java: local stubs that forward to the native rules stand in.
 */
class BazelIT extends RunningServer {
    static final String TOKEN = "bazel-token-0123456789";
    private static final Pattern PROCESSES = Pattern.compile("INFO: (\\d+) process(?:es)?: (.*)\\.");

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        storageAndPorts(registry);
        registry.add("cas.auth.tokens[0].name", () -> "bazel");
        registry.add("cas.auth.tokens[0].secret", () -> TOKEN);
        registry.add("cas.auth.tokens[0].scope", () -> "READ_WRITE");
    }

    static Path workspace;

    @BeforeAll
    static void workspace() throws IOException {
        Path stubs = storage.resolve("stubs");
        writeStub(stubs.resolve("rules_cc"), "cc", List.of("cc_binary", "cc_library", "cc_test", "cc_import",
                "cc_toolchain", "cc_toolchain_suite", "cc_proto_library", "objc_library", "objc_import",
                "fdo_profile", "fdo_prefetch_hints"));
        writeStub(stubs.resolve("rules_java"), "java", List.of("java_import", "java_runtime", "java_toolchain",
                "java_binary", "java_library", "java_test", "java_plugin"));
        workspace = storage.resolve("ws");
        Files.createDirectories(workspace);
        Files.writeString(workspace.resolve("WORKSPACE"), "");
        Files.writeString(workspace.resolve("BUILD"), """
                cc_library(name = "greet", srcs = ["greet.c"], hdrs = ["greet.h"])
                cc_binary(name = "hello", srcs = ["main.c"], deps = [":greet"])
                """);
        Files.writeString(workspace.resolve("greet.h"), "const char *greeting(void);\n");
        Files.writeString(workspace.resolve("greet.c"),
                "const char *greeting(void) { return \"hello through the cas-server\"; }\n");
        Files.writeString(workspace.resolve("main.c"),
                "#include <stdio.h>\n#include \"greet.h\"\nint main(void) { puts(greeting()); return 0; }\n");
        Files.writeString(workspace.resolve(".bazelrc"),
                "build --override_repository=rules_cc=" + stubs.resolve("rules_cc") + "\n"
                + "build --override_repository=rules_java=" + stubs.resolve("rules_java") + "\n");
    }

    @AfterAll
    static void shutDownBazel() throws Exception {
        bazel(List.of("shutdown"));
    }

    @Test
    void grpcCacheServesTheRebuildAfterClean() throws Exception {
        buildCleanRebuild("grpc://127.0.0.1:" + server.port(), List.of("--remote_instance_name=main"));
    }

    @Test
    void httpCacheServesTheRebuildAfterClean() throws Exception {
        buildCleanRebuild("http://127.0.0.1:" + httpPort + "/cache", List.of());
    }

    private void buildCleanRebuild(String remote, List<String> extra) throws Exception {
        bazel(List.of("clean", "--expunge"));
        List<String> build = new ArrayList<>(List.of("build", "--remote_cache=" + remote,
                "--remote_header=authorization=Bearer " + TOKEN, "//:hello"));
        build.addAll(extra);
        String first = bazel(build);
        assertThat(remoteHits(first)).as(first).isZero();
        bazel(List.of("clean"));
        String second = bazel(build);
        assertThat(remoteHits(second)).as(second).isEqualTo(3); // two compiles and the link
        Process hello = new ProcessBuilder(workspace.resolve("bazel-bin/hello").toString()).start();
        assertThat(new String(hello.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
                .isEqualTo("hello through the cas-server\n");
    }

    private static int remoteHits(String output) {
        Matcher processes = PROCESSES.matcher(output);
        int hits = -1;
        while (processes.find()) {
            hits = 0;
            Matcher hit = Pattern.compile("(\\d+) remote cache hit").matcher(processes.group(2));
            if (hit.find()) {
                hits = Integer.parseInt(hit.group(1));
            }
        }
        assertThat(hits).as("bazel printed its process summary:\n" + output).isNotNegative();
        return hits;
    }

    private static String bazel(List<String> arguments) throws Exception {
        List<String> command = new ArrayList<>(List.of("bazel", "--output_user_root=" + storage.resolve("bazel-root"),
                "--batch"));
        command.addAll(arguments);
        Process process = new ProcessBuilder(command).directory(workspace.toFile()).redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(process.exitValue()).as(String.join(" ", command) + "\n" + output).isZero();
        return output;
    }

    private static void writeStub(Path root, String pkg, List<String> rules) throws IOException {
        Files.createDirectories(root.resolve(pkg));
        Files.writeString(root.resolve("WORKSPACE"), "");
        Files.writeString(root.resolve("BUILD"), "");
        Files.writeString(root.resolve(pkg).resolve("BUILD"), "exports_files([\"defs.bzl\"])\n");
        StringBuilder defs = new StringBuilder();
        for (String rule : rules) {
            defs.append("def ").append(rule).append("(**kw):\n    native.").append(rule).append("(**kw)\n");
        }
        Files.writeString(root.resolve(pkg).resolve("defs.bzl"), defs);
    }
}
