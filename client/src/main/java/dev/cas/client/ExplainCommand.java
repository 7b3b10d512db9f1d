package dev.cas.client;

import dev.cas.worker.daemon.WorkerProtocol.Command;
import dev.cas.worker.WorkerResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code cas-compile explain <source>}: what the last build of a translation unit compiled, and why. */
@CommandLine.Command(name = "explain",
        description = "Explain the last build of a source file: hit or miss, and which functions were compiled why.")
final class ExplainCommand implements Callable<Integer> {
    @Parameters(paramLabel = "SOURCE", description = "The source file, as built (relative to this directory or absolute).")
    String source;

    @Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        WorkerResponse response = new WorkerConnection(ClientSettings.fromEnvironment(System.getenv()))
                .send(Command.EXPLAIN, Path.of("").toAbsolutePath().toString(), Map.of(), List.of(source));
        if (response.exitCode() != 0) {
            spec.commandLine().getErr().print(new String(response.stderr(), StandardCharsets.UTF_8));
            spec.commandLine().getErr().flush();
            return response.exitCode();
        }
        spec.commandLine().getOut().print(source + ": " + new String(response.stdout(), StandardCharsets.UTF_8));
        spec.commandLine().getOut().flush();
        return 0;
    }
}
