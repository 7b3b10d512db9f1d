package dev.cas.load;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * The runs of one label and tool reduced to their medians: a run script repeats the noisy comparisons (cas and Redis
 * alternating), and a ratio of medians is steadier than one of single runs on a machine whose speed drifts.
 *
 * @param median a row of per-column medians (errors summed)
 * @param runs   how many runs it stands for
 */
record Medians(Results median, int runs, double minOps, double maxOps, double maxP99Millis) {

    /** One entry per label and tool, in the order they first appear. */
    static List<Medians> of(List<Results> rows) {
        Map<String, List<Results>> groups = new LinkedHashMap<>();
        for (Results row : rows) {
            groups.computeIfAbsent(row.label() + "\t" + row.tool(), key -> new ArrayList<>()).add(row);
        }
        List<Medians> reduced = new ArrayList<>();
        for (List<Results> group : groups.values()) {
            Results first = group.get(0);
            Results median = new Results(first.label(), first.tool(), first.pair(),
                    median(group, Results::opsPerSecond), median(group, Results::mbPerSecond),
                    median(group, Results::p50Millis), median(group, Results::p99Millis),
                    median(group, Results::p999Millis), group.stream().mapToLong(Results::errors).sum());
            reduced.add(new Medians(median, group.size(),
                    group.stream().mapToDouble(Results::opsPerSecond).min().orElseThrow(),
                    group.stream().mapToDouble(Results::opsPerSecond).max().orElseThrow(),
                    group.stream().mapToDouble(Results::p99Millis).max().orElseThrow()));
        }
        return reduced;
    }

    /** The median of the values present (NaN, e.g. a p999 redis-benchmark does not report, when there are none). */
    static double median(List<Results> rows, ToDoubleFunction<Results> column) {
        double[] values = rows.stream().mapToDouble(column).filter(v -> !Double.isNaN(v)).sorted().toArray();
        if (values.length == 0) {
            return Double.NaN;
        }
        int middle = values.length / 2;
        return values.length % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
    }

    /** The median row, and for several runs how many, their throughput range and worst p99. */
    void print(PrintStream out) {
        median.print(out);
        if (runs > 1) {
            out.printf(Locale.ROOT, "    %d runs: %.0f-%.0f ops/s, worst p99 %.3f ms%n", runs, minOps, maxOps,
                    maxP99Millis);
        }
    }
}
