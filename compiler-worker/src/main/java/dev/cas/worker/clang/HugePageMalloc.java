package dev.cas.worker.clang;

import java.util.Map;

/**
 * The environment the toolchain's processes run in: the user's, with glibc's malloc asked to back its heap with
 * transparent huge pages ({@code glibc.malloc.hugetlb=1}, glibc 2.35 and later). Clang's heap grows to ~200 MB on a
 * large unit, and faulting it in 4 KiB pages was ~15% of an -O0 compile (sqlite3.c: 25,000 minor faults, 4,700 with
 * huge pages; 1.49 → 1.26 s, the object byte for byte the same). Where the kernel has them off, glibc is older or the
 * C library is another, the setting changes nothing. The user's own {@code GLIBC_TUNABLES} are kept, and a
 * {@code glibc.malloc.hugetlb} of theirs wins; {@code CAS_HUGE_PAGES=0} leaves the environment as it is.
 */
public final class HugePageMalloc {
    static final String TUNABLES = "GLIBC_TUNABLES";
    static final String HUGE_PAGES = "glibc.malloc.hugetlb";

    private HugePageMalloc() {
    }

    /**
     * Adds the huge-page setting to the tunables of {@code environment} (a process's, about to start), unless it names
     * its own or opts out.
     */
    public static void addTo(Map<String, String> environment) {
        if ("0".equals(environment.get("CAS_HUGE_PAGES"))) {
            return;
        }
        String tunables = environment.getOrDefault(TUNABLES, "");
        if (!tunables.contains(HUGE_PAGES + "=")) {
            environment.put(TUNABLES, (tunables.isEmpty() ? "" : tunables + ":") + HUGE_PAGES + "=1");
        }
    }
}
