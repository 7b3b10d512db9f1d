package dev.cas.client;

import dev.cas.worker.daemon.WorkerProtocol.Command;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Spec;

/** {@code cas-compile clear}: removes every cached result and resets the statistics. */
@CommandLine.Command(name = "clear", description = "Remove every cached result and reset the statistics.")
final class ClearCommand implements Callable<Integer> {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        ClientSettings settings = ClientSettings.fromEnvironment(System.getenv());
        new WorkerConnection(settings).send(Command.CLEAR, "/", Map.of(), List.of());
        spec.commandLine().getOut().println("cleared the cache in " + settings.cacheDirectory());
        spec.commandLine().getOut().flush();
        return 0;
    }
}
