package dev.cas.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;

/**
 * The report page: the results table and two bar charts (throughput, p99 latency) as inline SVG, so it opens from
 * disk with no script or network.
 */
final class HtmlReport {
    private static final int WIDTH = 900;
    private static final int BAR = 22;

    private HtmlReport() {
    }

    static void write(Path file, List<Results> rows, List<String> facts) throws IOException {
        StringBuilder html = new StringBuilder("""
                <!doctype html><html><head><meta charset="utf-8"><title>cas-server load test</title>
                <style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}
                td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child{text-align:left}
                .cas{fill:#2a7ab0}.redis{fill:#c0392b}</style></head><body><h1>cas-server load test</h1>
                """);
        html.append("<table><tr><th>run</th><th>tool</th><th>ops/s</th><th>MB/s</th><th>p50 ms</th><th>p99 ms</th>"
                + "<th>p999 ms</th><th>errors</th></tr>\n");
        for (Results row : rows) {
            html.append(String.format(Locale.ROOT, "<tr><td>%s</td><td>%s</td><td>%.0f</td><td>%.1f</td><td>%.3f</td>"
                    + "<td>%.3f</td><td>%s</td><td>%d</td></tr>%n", escape(row.label()), row.tool(),
                    row.opsPerSecond(), row.mbPerSecond(), row.p50Millis(), row.p99Millis(),
                    Results.format(row.p999Millis()), row.errors()));
        }
        html.append("</table>\n<ul>");
        facts.forEach(fact -> html.append("<li>").append(escape(fact)).append("</li>"));
        html.append("</ul>\n<h2>Throughput (operations per second)</h2>\n");
        html.append(bars(rows, Results::opsPerSecond, "%.0f"));
        html.append("<h2>p99 latency (ms)</h2>\n");
        html.append(bars(rows, Results::p99Millis, "%.3f"));
        html.append("</body></html>\n");
        Files.writeString(file, html);
    }

    private static String bars(List<Results> rows, ToDoubleFunction<Results> value, String format) {
        double max = rows.stream().mapToDouble(value).filter(v -> !Double.isNaN(v)).max().orElse(1);
        int labelWidth = 260;
        StringBuilder svg = new StringBuilder(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\">%n", WIDTH,
                rows.size() * (BAR + 6) + 10));
        int y = 5;
        for (Results row : rows) {
            double v = value.applyAsDouble(row);
            int length = (int) ((WIDTH - labelWidth - 110) * (Double.isNaN(v) ? 0 : v / max));
            svg.append(String.format(Locale.ROOT, "<text x=\"0\" y=\"%d\" font-size=\"13\">%s (%s)</text>"
                    + "<rect class=\"%s\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"/>"
                    + "<text x=\"%d\" y=\"%d\" font-size=\"13\">%s</text>%n", y + 16, escape(row.label()), row.tool(),
                    row.tool().equals("redis") ? "redis" : "cas", labelWidth, y, Math.max(1, length), BAR,
                    labelWidth + length + 6, y + 16, String.format(Locale.ROOT, format, v)));
            y += BAR + 6;
        }
        return svg.append("</svg>\n").toString();
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
