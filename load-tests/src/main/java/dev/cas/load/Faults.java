package dev.cas.load;

import dev.cas.load.FaultWorkload.Outcome;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cas-load faults}: the fault scenario's two halves. {@code run} drives a mixed workload (blob writes over
 * BatchUpdateBlobs, ByteStream and HTTP PUT; action results; reads over gRPC and HTTP, each checked) until a stop file
 * appears, rides out a server that is killed and restarted or whose disk is full, and appends every acknowledged
 * write to a journal. {@code verify} reads every journaled write back afterwards. load-tests/faults.sh does the
 * killing and the filling.
 */
@Command(name = "faults", description = "Fault scenario: a workload that records acknowledged writes, and their check.",
        subcommands = {Faults.Run.class, Faults.Verify.class})
final class Faults {
    private Faults() {
    }

    /** The server to reach. */
    static class Server {
        @Option(names = "--host", defaultValue = "127.0.0.1", description = "Server host (default: ${DEFAULT-VALUE}).")
        String host;
        @Option(names = "--port", required = true, description = "gRPC port.")
        int port;
        @Option(names = "--http-port", required = true, description = "HTTP port.")
        int httpPort;
        @Option(names = "--journal", required = true, description = "The acknowledged writes, one a line.")
        Path journal;
    }

    /** One acknowledged blob: its index and size make its content (see {@link Blobs}). */
    record Written(long index, int size) {
    }

    @Command(name = "run", description = "Runs the mixed workload until --stop-file exists.")
    static final class Run implements Callable<Integer> {
        @CommandLine.Mixin
        Server server = new Server();
        @Option(names = "--stop-file", required = true, description = "The workload stops once this file exists.")
        Path stopFile;
        @Option(names = "--threads", defaultValue = "4", description = "Clients (default: ${DEFAULT-VALUE}).")
        int threads;
        @Option(names = "--rate", defaultValue = "400", description = "Calls per second in all (default: ${DEFAULT-VALUE}).")
        int rate;

        private final List<Written> blobs = new ArrayList<>();
        private final List<Long> actions = new ArrayList<>();
        private final Map<String, Map<Outcome, LongAdder>> counts = new ConcurrentHashMap<>();
        private PrintWriter journal;

        @Override
        public Integer call() throws Exception {
            journal = new PrintWriter(Files.newBufferedWriter(server.journal, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND));
            List<Thread> clients = new ArrayList<>();
            try (FaultWorkload workload = new FaultWorkload(server.host, server.port, server.httpPort)) {
                for (int i = 0; i < threads; i++) {
                    long seed = System.nanoTime() ^ ((long) i << 48);
                    Thread client = new Thread(() -> drive(workload, new SplittableRandom(seed)), "fault-client-" + i);
                    client.start();
                    clients.add(client);
                }
                long lastReport = System.nanoTime();
                while (!Files.exists(stopFile)) {
                    Thread.sleep(200);
                    if (System.nanoTime() - lastReport > 5_000_000_000L) {
                        System.err.println(summary());
                        lastReport = System.nanoTime();
                    }
                }
                for (Thread client : clients) {
                    client.join();
                }
            } finally {
                journal.close();
            }
            System.out.println(summary());
            return count("read blob", Outcome.WRONG) + count("read action", Outcome.WRONG)
                    + count("read blob", Outcome.MISSING) + count("read action", Outcome.MISSING) == 0 ? 0 : 1;
        }

        private void drive(FaultWorkload workload, SplittableRandom random) {
            long pauseNanos = 1_000_000_000L * threads / rate;
            while (!Files.exists(stopFile)) {
                long started = System.nanoTime();
                step(workload, random);
                long left = pauseNanos - (System.nanoTime() - started);
                if (left > 0) {
                    LockSupport.parkNanos(left);
                }
            }
        }

        private void step(FaultWorkload workload, SplittableRandom random) {
            int dice = random.nextInt(100);
            Written known = pick(random);
            if (dice < 35 || known == null) {
                long index = random.nextLong(Blobs.MISS_BASE);
                int size = 1 << random.nextInt(10, 16); // 1 KiB to 64 KiB
                size += random.nextInt(size);
                String via = switch (random.nextInt(3)) {
                    case 0 -> "batch";
                    case 1 -> "bytestream";
                    default -> "http";
                };
                Outcome outcome = switch (via) {
                    case "batch" -> workload.writeOverBatch(index, size);
                    case "bytestream" -> workload.writeOverByteStream(index, size);
                    default -> workload.writeOverHttp(index, size);
                };
                record("write blob (" + via + ")", outcome);
                if (outcome == Outcome.OK) {
                    acknowledged(new Written(index, size), "blob " + index + " " + size + " " + via);
                }
            } else if (dice < 45) {
                Written other = pick(random);
                long action = random.nextLong(Blobs.MISS_BASE);
                Outcome outcome = workload.writeAction(action, new long[] {known.index(), other.index()},
                        new int[] {known.size(), other.size()});
                record("write action", outcome);
                if (outcome == Outcome.OK) {
                    synchronized (this) {
                        actions.add(action);
                        journal.println("action " + action + " " + known.index() + " " + known.size() + " "
                                + other.index() + " " + other.size());
                        journal.flush();
                    }
                }
            } else if (dice < 85) {
                boolean overHttp = random.nextBoolean();
                Outcome outcome = overHttp ? workload.readOverHttp(known.index(), known.size())
                        : workload.readOverBatch(known.index(), known.size());
                record("read blob", outcome);
                complain(outcome, "blob " + known.index() + "/" + known.size() + (overHttp ? " over HTTP" : ""));
            } else {
                Long action;
                synchronized (this) {
                    action = actions.isEmpty() ? null : actions.get(random.nextInt(actions.size()));
                }
                if (action != null) {
                    Outcome outcome = workload.readAction(action);
                    record("read action", outcome);
                    complain(outcome, "action " + action);
                }
            }
        }

        private synchronized Written pick(SplittableRandom random) {
            return blobs.isEmpty() ? null : blobs.get(random.nextInt(blobs.size()));
        }

        private synchronized void acknowledged(Written blob, String line) {
            blobs.add(blob);
            journal.println(line);
            journal.flush();
        }

        private void complain(Outcome outcome, String what) {
            if (outcome == Outcome.WRONG || outcome == Outcome.MISSING) {
                System.err.println("!! " + what + ": " + outcome + " after it was acknowledged");
            }
        }

        private void record(String operation, Outcome outcome) {
            counts.computeIfAbsent(operation, k -> new ConcurrentHashMap<>())
                    .computeIfAbsent(outcome, k -> new LongAdder()).increment();
        }

        private long count(String operation, Outcome outcome) {
            LongAdder adder = counts.getOrDefault(operation, Map.of()).get(outcome);
            return adder == null ? 0 : adder.sum();
        }

        private String summary() {
            StringBuilder text = new StringBuilder();
            new TreeMap<>(counts).forEach((operation, outcomes) -> {
                text.append(String.format(Locale.ROOT, "%-24s", operation));
                for (Outcome outcome : Outcome.values()) {
                    LongAdder adder = outcomes.get(outcome);
                    text.append(String.format(Locale.ROOT, " %s=%d", outcome.name().toLowerCase(Locale.ROOT),
                            adder == null ? 0 : adder.sum()));
                }
                text.append('\n');
            });
            return text.toString();
        }
    }

    @Command(name = "verify", description = "Reads back every write the journal holds; exits 1 on any lost or wrong.")
    static final class Verify implements Callable<Integer> {
        @CommandLine.Mixin
        Server server = new Server();

        @Override
        public Integer call() throws IOException, InterruptedException {
            Map<String, Map<Outcome, Long>> seen = new TreeMap<>();
            try (FaultWorkload workload = new FaultWorkload(server.host, server.port, server.httpPort)) {
                for (String line : Files.readAllLines(server.journal)) {
                    String[] fields = line.split(" ");
                    Outcome outcome = fields[0].equals("blob")
                            ? settled(() -> workload.readOverBatch(Long.parseLong(fields[1]), Integer.parseInt(fields[2])))
                            : settled(() -> workload.readAction(Long.parseLong(fields[1])));
                    seen.computeIfAbsent(fields[0], k -> new EnumMap<>(Outcome.class)).merge(outcome, 1L, Long::sum);
                    if (outcome != Outcome.OK) {
                        System.err.println("!! " + line + ": " + outcome);
                    }
                }
            }
            long bad = 0;
            for (var kind : seen.entrySet()) {
                long total = kind.getValue().values().stream().mapToLong(Long::longValue).sum();
                long verified = kind.getValue().getOrDefault(Outcome.OK, 0L);
                System.out.printf(Locale.ROOT, "%s writes acknowledged: %d, verified: %d, lost: %d, wrong: %d, "
                        + "unreadable: %d%n", kind.getKey(), total, verified,
                        kind.getValue().getOrDefault(Outcome.MISSING, 0L), kind.getValue().getOrDefault(Outcome.WRONG, 0L),
                        total - verified - kind.getValue().getOrDefault(Outcome.MISSING, 0L)
                                - kind.getValue().getOrDefault(Outcome.WRONG, 0L));
                bad += total - verified;
            }
            return bad == 0 ? 0 : 1;
        }

        /** Retries a read the server could not answer yet (it may still be opening). */
        private static Outcome settled(Supplier<Outcome> read) throws InterruptedException {
            Outcome outcome = read.get();
            for (int attempt = 0; attempt < 20 && (outcome == Outcome.UNREACHABLE || outcome == Outcome.REFUSED);
                    attempt++) {
                Thread.sleep(250);
                outcome = read.get();
            }
            return outcome;
        }
    }
}
