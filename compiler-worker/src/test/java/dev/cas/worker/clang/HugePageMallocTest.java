package dev.cas.worker.clang;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HugePageMallocTest {
    @TempDir
    Path dir;

    @Test
    void aToolchainProcessRunsWithHugePagesAddedToTheUsersTunables() {
        ProcessRunner.Result result = ProcessRunner.run(List.of("/usr/bin/env"), dir,
                Map.of("PATH", "/usr/bin:/bin", "GLIBC_TUNABLES", "glibc.malloc.arena_max=2"));

        assertThat(new String(result.stdout(), StandardCharsets.UTF_8).lines())
                .contains("GLIBC_TUNABLES=glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1", "PATH=/usr/bin:/bin");
    }

    @Test
    void withoutTunablesOfItsOwnTheEnvironmentGetsTheHugePageSettingAlone() {
        assertThat(HugePageMalloc.environment(Map.of("HOME", "/home/u")))
                .containsExactlyInAnyOrderEntriesOf(Map.of("HOME", "/home/u",
                        "GLIBC_TUNABLES", "glibc.malloc.hugetlb=1"));
    }

    @Test
    void theUsersOwnHugePageSettingWins() {
        Map<String, String> environment = Map.of("GLIBC_TUNABLES", "glibc.malloc.hugetlb=0");

        assertThat(HugePageMalloc.environment(environment)).isEqualTo(environment);
    }

    @Test
    void casHugePagesZeroLeavesTheEnvironmentAsItIs() {
        Map<String, String> environment = Map.of("CAS_HUGE_PAGES", "0");

        assertThat(HugePageMalloc.environment(environment)).isEqualTo(environment);
    }
}
