package dev.cas.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cas.worker.command.CompilerInvocation;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The defines the native client is compiled with: valid C string literals, and Java's lists complete. */
class NativeClientDefinesTest {
    @Test
    void aPathWithQuotesAndBackslashesBecomesOneValidLiteral() {
        List<String> defines = NativeClientDefines.defines("/opt/a \"b\"\\c/clang");
        assertThat(defines).contains("-DCAS_CLANG=\"/opt/a \\\"b\\\"\\\\c/clang\"");
    }

    @Test
    void everyProbeFlagAndValuedOptionOfTheParserIsPassedOn() {
        List<String> defines = NativeClientDefines.defines("/clang");
        String probes = defines.stream().filter(d -> d.startsWith("-DCAS_PROBE_FLAGS=")).findFirst().orElseThrow();
        String valued = defines.stream().filter(d -> d.startsWith("-DCAS_VALUED_OPTIONS=")).findFirst().orElseThrow();
        CompilerInvocation.passthroughFlags().forEach(flag -> assertThat(probes).contains("\"" + flag + "\""));
        CompilerInvocation.separateValueOptions().forEach(option -> assertThat(valued).contains("\"" + option + "\""));
        assertThat(defines).anyMatch(d -> d.startsWith("-DCAS_WORKER_OPTIONS=") && d.contains("WorkerDaemon"));
    }
}
