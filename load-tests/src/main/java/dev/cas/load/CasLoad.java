package dev.cas.load;

import com.google.protobuf.ByteString;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cas-load}: preloads a cas-server with blobs, measures one scenario (throughput and latency percentiles,
 * appended to a results file with its full histogram), and turns a results file into a report. load-tests/run.sh
 * strings these together with redis-benchmark.
 */
@Command(name = "cas-load", mixinStandardHelpOptions = true, subcommands = {CasLoad.Preload.class,
        CasLoad.Run.class, CasLoad.Report.class, Faults.class},
        description = "Load generator for cas-server (REAPI v2 over gRPC).")
public final class CasLoad implements Runnable {
    private static final String LEAK_DETECTION = "io.grpc.netty.shaded.io.netty.leakDetection.level";

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        // Netty's leak detector records a stack trace for a sample of buffers: ~3% of the generator's CPU, which it
        // shares with the server it measures. Set before any Netty class loads; -D on the command line still wins.
        if (System.getProperty(LEAK_DETECTION) == null) {
            System.setProperty(LEAK_DETECTION, "disabled");
        }
        System.exit(new CommandLine(new CasLoad()).execute(args));
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a subcommand: preload, run, report or faults");
    }

    /** Where the server is and how to reach it. */
    static class Target {
        @Option(names = "--host", defaultValue = "127.0.0.1", description = "Server host (default: ${DEFAULT-VALUE}).")
        String host;
        @Option(names = "--port", defaultValue = "9092", description = "gRPC port (default: ${DEFAULT-VALUE}).")
        int port;
        @Option(names = "--instance", defaultValue = "", description = "REAPI instance name.")
        String instance;
        @Option(names = "--token", description = "Bearer token, when the server needs one.")
        String token;
        @Option(names = "--connections", defaultValue = "4", description = "HTTP/2 connections (default: ${DEFAULT-VALUE}).")
        int connections;
        @Option(names = "--event-loops", defaultValue = "1",
                description = "Client event-loop threads shared by the connections (default: ${DEFAULT-VALUE}).")
        int eventLoops;

        CasClient connect() {
            return new CasClient(host, port, connections, eventLoops, instance, token);
        }
    }

    @Command(name = "preload", description = "Uploads blobs 0..count-1 of a size with BatchUpdateBlobs.")
    static final class Preload implements Callable<Integer> {
        @CommandLine.Mixin
        Target target = new Target();
        @Option(names = "--count", required = true, description = "Blobs to upload.")
        long count;
        @Option(names = "--blob-size", defaultValue = "4096", description = "Bytes per blob (default: ${DEFAULT-VALUE}).")
        int blobSize;
        @Option(names = "--batch", defaultValue = "500", description = "Blobs per call (default: ${DEFAULT-VALUE}).")
        int batch;
        @Option(names = "--concurrency", defaultValue = "8", description = "Calls in flight (default: ${DEFAULT-VALUE}).")
        int concurrency;
        @Option(names = "--hashes", description = "Also writes the blobs' SHA-256 hashes to this file, one a line "
                + "(the paths an HTTP load generator asks for).")
        Path hashes;
        @Option(names = "--contents", description = "Also writes the blobs themselves to this file, one after the "
                + "other (what an HTTP load generator uploads).")
        Path contents;
        @Option(names = "--first", defaultValue = "0", description = "Index of the first blob (default: ${DEFAULT-VALUE}).")
        long first;
        @Option(names = "--export-only", description = "Writes --hashes and --contents without uploading anything.")
        boolean exportOnly;

        @Override
        public Integer call() throws Exception {
            Blobs blobs = new Blobs(blobSize);
            export(blobs);
            if (exportOnly) {
                return 0;
            }
            Semaphore inFlight = new Semaphore(concurrency);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            long startedAt = System.nanoTime();
            try (CasClient client = target.connect()) {
                for (long start = first; start < first + count && failure.get() == null; start += batch) {
                    List<ByteString> contents = new ArrayList<>();
                    for (long i = start; i < Math.min(first + count, start + batch); i++) {
                        contents.add(blobs.content(i));
                    }
                    inFlight.acquire();
                    CompletableFuture<?> call = client.batchUpdate(contents, start / batch);
                    call.whenComplete((ok, error) -> {
                        if (error != null) {
                            failure.compareAndSet(null, error);
                        }
                        inFlight.release();
                    });
                    if (start / batch % 200 == 0) {
                        System.err.printf("\rpreloaded %,d / %,d", start - first, count);
                    }
                }
                inFlight.acquire(concurrency);
            }
            if (failure.get() != null) {
                System.err.println("\npreload failed: " + failure.get());
                return 1;
            }
            double seconds = (System.nanoTime() - startedAt) / 1e9;
            System.err.printf(Locale.ROOT, "\rpreloaded %,d blobs of %d bytes in %.1f s (%.0f blobs/s)%n", count,
                    blobSize, seconds, count / seconds);
            return 0;
        }

        /** Writes the hashes and contents asked for, making each blob once. */
        private void export(Blobs blobs) throws IOException {
            if (hashes == null && contents == null) {
                return;
            }
            try (PrintWriter hashOut = hashes == null ? null
                    : new PrintWriter(Files.newBufferedWriter(hashes));
                    OutputStream contentOut = contents == null ? null
                            : new BufferedOutputStream(Files.newOutputStream(contents))) {
                for (long i = first; i < first + count; i++) {
                    ByteString content = blobs.content(i);
                    if (hashOut != null) {
                        hashOut.println(Blobs.digestOf(content).getHash());
                    }
                    if (contentOut != null) {
                        content.writeTo(contentOut);
                    }
                }
            }
        }
    }

    @Command(name = "run", description = "Measures one scenario in a closed loop and appends the result.")
    static final class Run implements Callable<Integer> {
        @CommandLine.Mixin
        Target target = new Target();
        @Option(names = "--scenario", required = true,
                description = "FIND_MISSING, BATCH_READ, BYTESTREAM_READ, BYTESTREAM_WRITE or BATCH_WRITE.")
        Scenario scenario;
        @Option(names = "--blob-size", defaultValue = "4096", description = "Bytes per blob (default: ${DEFAULT-VALUE}).")
        int blobSize;
        @Option(names = "--working-set", defaultValue = "10000",
                description = "Preloaded blobs to draw hits from (default: ${DEFAULT-VALUE}).")
        long workingSet;
        @Option(names = "--hit-ratio", defaultValue = "1.0", description = "Share of digests held (default: ${DEFAULT-VALUE}).")
        double hitRatio;
        @Option(names = "--digests-per-call", defaultValue = "1",
                description = "Digests per FindMissingBlobs/BatchReadBlobs call (default: ${DEFAULT-VALUE}).")
        int digestsPerCall;
        @Option(names = "--concurrency", defaultValue = "32", description = "Calls in flight (default: ${DEFAULT-VALUE}).")
        int concurrency;
        @Option(names = "--warmup", defaultValue = "3", description = "Seconds before measuring (default: ${DEFAULT-VALUE}).")
        double warmup;
        @Option(names = "--duration", defaultValue = "10", description = "Seconds measured (default: ${DEFAULT-VALUE}).")
        double duration;
        @Option(names = "--label", description = "Name of this run in the results (default: the scenario).")
        String label;
        @Option(names = "--pair", defaultValue = "-", description = "Rows sharing a pair are compared in the report.")
        String pair;
        @Option(names = "--results", defaultValue = "load-tests/results", description = "Results folder.")
        Path results;

        @Override
        public Integer call() throws Exception {
            String name = label == null ? scenario.name().toLowerCase(Locale.ROOT) : label;
            Scenario.Settings settings = new Scenario.Settings(new Blobs(blobSize), workingSet, hitRatio,
                    digestsPerCall);
            ClosedLoop.Result result;
            long bytesPerOperation;
            try (CasClient client = target.connect()) {
                Scenario.Workload workload = scenario.workload(client, settings);
                bytesPerOperation = workload.bytesPerOperation();
                result = ClosedLoop.run(workload.operation(), concurrency, warmup, duration);
            }
            Histogram latency = result.latencyMicros();
            Results row = new Results(name, "cas", pair, result.opsPerSecond(),
                    result.opsPerSecond() * bytesPerOperation / 1e6, millis(latency, 50), millis(latency, 99),
                    millis(latency, 99.9), result.errors());
            row.append(results);
            row.print(System.out);
            try (PrintStream hgrm = new PrintStream(
                    Files.newOutputStream(results.resolve(name + ".hgrm")))) {
                latency.outputPercentileDistribution(hgrm, 1000.0);
            }
            if (result.errors() > 0) {
                System.err.println("first error: " + result.firstError());
            }
            return result.operations() == 0 ? 1 : 0;
        }

        private static double millis(Histogram histogram, double percentile) {
            return histogram.getValueAtPercentile(percentile) / 1000.0;
        }
    }

    @Command(name = "report", description = "Prints the results side by side (medians of repeated runs) and writes report.html.")
    static final class Report implements Callable<Integer> {
        @Option(names = "--results", defaultValue = "load-tests/results", description = "Results folder.")
        Path results;

        @Override
        public Integer call() throws Exception {
            List<Medians> summaries = Medians.of(Results.read(results));
            summaries.forEach(summary -> summary.print(System.out));
            List<String> facts = new ArrayList<>();
            for (Medians cas : summaries) {
                for (Medians other : summaries) {
                    Results mine = cas.median();
                    Results theirs = other.median();
                    if (mine.tool().equals("cas") && theirs.tool().equals("redis") && !mine.pair().equals("-")
                            && mine.pair().equals(theirs.pair())) {
                        facts.add(String.format(Locale.ROOT, "%s: %s %.0f ops/s = %.2fx redis %s (%.0f ops/s)%s",
                                mine.pair(), mine.label(), mine.opsPerSecond(),
                                mine.opsPerSecond() / theirs.opsPerSecond(),
                                theirs.label(), theirs.opsPerSecond(),
                                cas.runs() > 1 ? ", medians of " + cas.runs() + " runs each" : ""));
                    }
                }
            }
            Path factsFile = results.resolve("facts.txt");
            if (Files.exists(factsFile)) {
                facts.addAll(Files.readAllLines(factsFile));
            }
            facts.forEach(System.out::println);
            HtmlReport.write(results.resolve("report.html"), summaries.stream().map(Medians::median).toList(), facts);
            System.out.println("report: " + results.resolve("report.html"));
            return 0;
        }
    }
}
