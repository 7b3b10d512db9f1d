package dev.cas.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class MediansTest {
    private static Results row(String label, String tool, double ops, double p99, double p999) {
        return new Results(label, tool, "read-4k", ops, ops * 4096 / 1e6, p99 / 4, p99, p999, 0);
    }

    @Test
    void repeatedRunsOfALabelAndToolBecomeOneRowOfMedians() {
        List<Medians> reduced = Medians.of(List.of(
                row("read", "cas", 50_000, 2.0, 4.0),
                row("GET", "redis", 90_000, 0.8, Double.NaN),
                row("read", "cas", 40_000, 3.0, 5.0),
                row("GET", "redis", 70_000, 0.7, Double.NaN),
                row("read", "cas", 60_000, 6.0, 9.0)));

        assertThat(reduced).extracting(m -> m.median().label()).containsExactly("read", "GET");
        Medians cas = reduced.get(0);
        assertThat(cas.runs()).isEqualTo(3);
        assertThat(cas.median().opsPerSecond()).isEqualTo(50_000);
        assertThat(cas.median().p99Millis()).isEqualTo(3.0);
        assertThat(cas.minOps()).isEqualTo(40_000);
        assertThat(cas.maxOps()).isEqualTo(60_000);
        assertThat(cas.maxP99Millis()).isEqualTo(6.0);
        Medians redis = reduced.get(1);
        assertThat(redis.median().opsPerSecond()).isEqualTo(80_000); // an even count: the mean of the middle two
        assertThat(redis.median().p999Millis()).isNaN(); // redis-benchmark reports no p999
    }

    @Test
    void aSingleRunIsItsOwnMedian() {
        Results only = row("write", "cas", 7_000, 11.0, 18.0);
        Medians reduced = Medians.of(List.of(only)).get(0);
        assertThat(reduced.median()).isEqualTo(only);
        assertThat(reduced.runs()).isEqualTo(1);
    }
}
