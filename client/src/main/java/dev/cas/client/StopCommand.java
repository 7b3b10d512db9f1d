package dev.cas.client;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Spec;

/** {@code cas-compile stop}: stops the worker daemon of this cache directory, if one runs (it also stops when idle). */
@CommandLine.Command(name = "stop", description = "Stop the background worker (it also stops by itself when idle).")
final class StopCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        boolean wasRunning = new WorkerConnection(ClientSettings.fromEnvironment(System.getenv())).stop();
        spec.commandLine().getOut().println(wasRunning ? "worker stopped" : "no worker running");
        spec.commandLine().getOut().flush();
        return 0;
    }
}
