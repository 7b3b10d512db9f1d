package dev.cas.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** How a directory bound divides between the values and RocksDB's overheads, from the smallest limit to large ones. */
class StorageLimitsTest {
    @Test
    void overheadsAndValuesTogetherStayWithinTheBound() {
        for (long limit : new long[] {StorageLimits.MIN_DIRECTORY_BYTES, 20L << 20, 1L << 30, 10L << 30, 1L << 40}) {
            StorageLimits limits = StorageLimits.wholeDirectory(limit);
            assertThat(limits.bounded()).isTrue();
            assertThat(limits.dataBytes()).as("values get most of a large bound").isPositive();
            assertThat((long) (limits.dataBytes() * 1.15) + limits.walBytes() + 2 * limits.infoLogBytes()
                    + limits.memtableBytes() + limits.compactionBytes()).isLessThanOrEqualTo(limit);
            assertThat(limits.admittedBytes()).isBetween(limits.dataBytes(), limit);
        }
        assertThat(StorageLimits.wholeDirectory(10L << 30).dataBytes()).isGreaterThan((long) (0.7 * (10L << 30)));
    }

    @Test
    void aBoundTooSmallForRocksDbIsRefusedClearly() {
        assertThatThrownBy(() -> StorageLimits.wholeDirectory(1 << 20))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least");
    }

    @Test
    void logicalLimitsCountValuesOnly() {
        StorageLimits limits = StorageLimits.logical(10_000);
        assertThat(limits.bounded()).isFalse();
        assertThat(limits.dataBytes()).isEqualTo(10_000);
    }
}
