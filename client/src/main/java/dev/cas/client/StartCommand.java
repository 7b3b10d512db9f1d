package dev.cas.client;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Spec;

/**
 * {@code cas-compile start}: starts the worker of this cache directory in the background and returns at once. Compiles
 * start it themselves when needed; this lets the native client's compiler probes start it without waiting for a JVM,
 * and a CI job start it while it checks out.
 */
@CommandLine.Command(name = "start",
        description = "Start the background worker unless one runs or is starting; returns without waiting for it.")
final class StartCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        boolean running = new WorkerConnection(ClientSettings.fromEnvironment(System.getenv()))
                .answersOrStartsInBackground();
        spec.commandLine().getOut().println(running ? "worker running" : "worker starting");
        spec.commandLine().getOut().flush();
        return 0;
    }
}
