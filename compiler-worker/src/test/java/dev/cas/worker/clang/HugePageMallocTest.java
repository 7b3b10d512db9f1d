package dev.cas.worker.clang;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
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
        Map<String, String> environment = new HashMap<>(Map.of("HOME", "/home/u"));

        HugePageMalloc.addTo(environment);

        assertThat(environment).containsExactlyInAnyOrderEntriesOf(Map.of("HOME", "/home/u",
                        "GLIBC_TUNABLES", "glibc.malloc.hugetlb=1"));
    }

    @Test
    void theUsersOwnHugePageSettingWins() {
        Map<String, String> environment = new HashMap<>(Map.of("GLIBC_TUNABLES", "glibc.malloc.hugetlb=0"));

        HugePageMalloc.addTo(environment);

        assertThat(environment).isEqualTo(Map.of("GLIBC_TUNABLES", "glibc.malloc.hugetlb=0"));
    }

    @Test
    void casHugePagesZeroLeavesTheEnvironmentAsItIs() {
        Map<String, String> environment = new HashMap<>(Map.of("CAS_HUGE_PAGES", "0"));

        HugePageMalloc.addTo(environment);

        assertThat(environment).isEqualTo(Map.of("CAS_HUGE_PAGES", "0"));
    }
}
