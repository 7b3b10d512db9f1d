package dev.cas.worker.unit;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The lines of clang's list of included headers, read as the regular expression {@code ^\.+ } did. */
class HeaderListLineTest {
    @Test
    void leadingDotsAndTheirSpaceGo() {
        assertThat(UnitCompiler.withoutNestingDots(". /usr/include/stdio.h")).isEqualTo("/usr/include/stdio.h");
        assertThat(UnitCompiler.withoutNestingDots("... ./local/a b.h")).isEqualTo("./local/a b.h");
        assertThat(UnitCompiler.withoutNestingDots(".. ")).isEmpty();
    }

    @Test
    void aLineWithoutThemStays() {
        for (String line : new String[] {"/usr/include/stdio.h", "./a.h", "..a.h", "...", "", "a .h"}) {
            assertThat(UnitCompiler.withoutNestingDots(line)).isEqualTo(line.replaceFirst("^\\.+ ", ""));
        }
    }
}
