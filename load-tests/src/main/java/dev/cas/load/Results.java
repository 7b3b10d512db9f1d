package dev.cas.load;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One line per measured run in {@code results.tsv}, from this generator and from redis-benchmark alike, so one
 * report can set them side by side: rows that share a {@code pair} are compared.
 */
record Results(String label, String tool, String pair, double opsPerSecond, double mbPerSecond, double p50Millis,
        double p99Millis, double p999Millis, long errors) {

    static final String FILE = "results.tsv";

    void append(Path dir) throws IOException {
        Files.createDirectories(dir);
        String line = String.format(Locale.ROOT, "%s\t%s\t%s\t%.1f\t%.2f\t%.3f\t%.3f\t%.3f\t%d%n", label, tool, pair,
                opsPerSecond, mbPerSecond, p50Millis, p99Millis, p999Millis, errors);
        Files.writeString(dir.resolve(FILE), line, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
    }

    static List<Results> read(Path dir) throws IOException {
        List<Results> rows = new ArrayList<>();
        for (String line : Files.readAllLines(dir.resolve(FILE))) {
            String[] f = line.split("\t");
            if (f.length < 9) {
                continue;
            }
            rows.add(new Results(f[0], f[1], f[2], Double.parseDouble(f[3]), Double.parseDouble(f[4]),
                    Double.parseDouble(f[5]), Double.parseDouble(f[6]), number(f[7]), Long.parseLong(f[8])));
        }
        return rows;
    }

    void print(PrintStream out) {
        out.printf(Locale.ROOT, "%-32s %-6s %12.0f ops/s %9.1f MB/s  p50 %8.3f ms  p99 %8.3f ms  p999 %8s ms  errors %d%n",
                label, tool, opsPerSecond, mbPerSecond, p50Millis, p99Millis, format(p999Millis), errors);
    }

    static String format(double millis) {
        return Double.isNaN(millis) ? "n/a" : String.format(Locale.ROOT, "%.3f", millis);
    }

    private static double number(String text) {
        return text.equals("NaN") || text.equals("n/a") ? Double.NaN : Double.parseDouble(text);
    }
}
