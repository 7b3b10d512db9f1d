package dev.cas.client;

import dev.cas.worker.cache.Stat;
import dev.cas.worker.daemon.WorkerProtocol.Command;
import dev.cas.worker.WorkerResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code cas-compile stats [--json]}: hits and misses per level, objects compiled, bytes stored, time saved. */
@CommandLine.Command(name = "stats", description = "Show cache statistics.")
final class StatsCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print the statistics as one JSON object.")
    boolean json;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ClientSettings settings = ClientSettings.fromEnvironment(System.getenv());
        WorkerResponse response = new WorkerConnection(settings).send(Command.STATS, "/", Map.of(), List.of());
        Map<String, Long> stats = parse(new String(response.stdout(), StandardCharsets.UTF_8));
        spec.commandLine().getOut().print(json ? toJson(stats) : toTable(settings, stats));
        spec.commandLine().getOut().flush();
        return 0;
    }

    static Map<String, Long> parse(String text) {
        Map<String, Long> stats = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                stats.put(line.substring(0, eq), Long.parseLong(line.substring(eq + 1)));
            }
        }
        return stats;
    }

    static String toJson(Map<String, Long> stats) {
        StringBuilder out = new StringBuilder("{");
        stats.forEach((name, value) -> out.append(out.length() > 1 ? ", " : "").append('"').append(name)
                .append("\": ").append(value));
        return out.append("}\n").toString();
    }

    static String toTable(ClientSettings settings, Map<String, Long> s) {
        long hits = Stat.UNIT_HITS.in(s);
        long misses = Stat.UNIT_MISSES.in(s);
        long total = hits + misses;
        StringBuilder out = new StringBuilder();
        out.append("cache directory            ").append(settings.cacheDirectory()).append('\n');
        long remoteHits = Stat.UNIT_REMOTE_HITS.in(s);
        out.append(String.format(Locale.ROOT, "analysis units             %d hits (%d local, %d remote), %d misses "
                + "(hit rate %s)%n", hits, hits - remoteHits, remoteHits, misses,
                total == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100.0 * hits / total)));
        out.append(String.format(Locale.ROOT, "  hits without preprocessing %d (%d by a record the server shared), "
                + "misses without preprocessing %d%n", Stat.DIRECT_HITS.in(s), Stat.DIRECT_SHARED_HITS.in(s),
                Stat.DEPEND_MISSES.in(s)));
        long functionHits = Stat.FUNCTION_HITS.in(s);
        long functionRemoteHits = Stat.FUNCTION_REMOTE_HITS.in(s);
        out.append(String.format(Locale.ROOT, "functions (in units that missed) %d hits (%d local, %d remote), %d "
                + "compiled; %d units not split, %d for their debug info (-fdebug-macro)%n", functionHits,
                functionHits - functionRemoteHits, functionRemoteHits, Stat.FUNCTION_MISSES.in(s),
                Stat.FUNCTION_FALLBACKS.in(s), Stat.FUNCTION_DEBUG_FALLBACKS.in(s)));
        out.append(String.format(Locale.ROOT, "  hits whose lines moved    %d (line info moved), %d compiled instead "
                + "(could not be moved in place)%n", Stat.FUNCTION_LINES_MOVED.in(s),
                Stat.FUNCTION_LINES_UNMOVABLE.in(s)));
        out.append(String.format(Locale.ROOT, "  split failed, built whole %d%s%n",
                Stat.FUNCTION_SPLIT_FAILURES.in(s),
                Stat.FUNCTION_SPLIT_FAILURES.in(s) > 0
                        ? " (a cas bug: `cas-compile explain FILE` gives the report to send)" : ""));
        long deferred = Stat.FUNCTION_DEFERRED.in(s);
        out.append(String.format(Locale.ROOT, "  split when idle            %d built whole first (a parallel cold build), "
                + "%d split since (%d pieces), %d dropped, %d waiting%n", deferred,
                Stat.FUNCTION_DEFERRED_SPLIT.in(s),
                Stat.FUNCTION_DEFERRED_PIECES.in(s), Stat.FUNCTION_DEFERRED_DROPPED.in(s),
                Stat.FUNCTION_DEFERRED_WAITING.in(s)));
        out.append(String.format(Locale.ROOT, "objects compiled           %d (%.1f s of compiling)%n",
                Stat.OBJECTS_COMPILED.in(s), Stat.COMPILE_MS.in(s) / 1000.0));
        out.append(String.format(Locale.ROOT, "time saved by hits         %.1f s%n",
                Stat.TIME_SAVED_MS.in(s) / 1000.0));
        out.append(String.format(Locale.ROOT, "uncached invocations       %d%n", Stat.UNCACHED.in(s)));
        out.append(String.format(Locale.ROOT, "failed compiles            %d%n", Stat.FAILED.in(s)));
        out.append(String.format(Locale.ROOT, "bytes stored               %s of %s (%d evictions)%n",
                human(Stat.BYTES_STORED.in(s)), human(Stat.BYTES_LIMIT.in(s)),
                Stat.EVICTIONS.in(s)));
        out.append(String.format(Locale.ROOT, "corrupt entries removed    %d%n", Stat.CORRUPT.in(s)));
        out.append(String.format(Locale.ROOT, "cache errors (bypassed)    %d%n", Stat.CACHE_ERRORS.in(s)));
        out.append(String.format(Locale.ROOT, "remote uploads             %d sent, %d not sent; %d remote errors%n",
                Stat.REMOTE_UPLOADS.in(s), Stat.REMOTE_UPLOADS_DROPPED.in(s),
                Stat.REMOTE_ERRORS.in(s)));
        return out.toString();
    }

    static String human(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, unit == 0 ? "%.0f %s" : "%.1f %s", value, units[unit]);
    }
}
