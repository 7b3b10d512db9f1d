package dev.cas.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The subcommand surface, parsed by picocli as users type it. */
class CasCompileCommandLineTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int execute(String... args) {
        CommandLine commandLine = new CommandLine(new CasCompile());
        commandLine.setOut(new PrintWriter(out));
        commandLine.setErr(new PrintWriter(err));
        return commandLine.execute(args);
    }

    @Test
    void helpDescribesTheLauncherConvention() {
        assertThat(execute("--help")).isZero();
        assertThat(out.toString()).contains("cas-compile <compiler> <clang-style arguments>", "stats", "clear",
                "CAS_CACHE_DIR");
    }

    @Test
    void theOwnWordsTheNativeClientIsBuiltWithAreExactlyTheSubcommandsAndHelpOptions() {
        CommandLine commandLine = new CommandLine(new CasCompile());
        Set<String> expected = new HashSet<>(commandLine.getSubcommands().keySet());
        commandLine.getCommandSpec().options().stream().filter(option -> option.usageHelp() || option.versionHelp())
                .forEach(option -> expected.addAll(List.of(option.names())));
        assertThat(CasCompile.OWN_WORDS).containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void versionNamesTheToolchain() {
        assertThat(execute("--version")).isZero();
        assertThat(out.toString()).contains("cas-compile", "20.1.7");
    }

    @Test
    void unknownOptionOfASubcommandIsAUsageError() {
        assertThat(execute("stats", "--jsn")).isEqualTo(2);
        assertThat(err.toString()).contains("Unknown option: '--jsn'");
    }

    @Test
    void statsRenderAsJsonAndAsATable() {
        Map<String, Long> stats = new LinkedHashMap<>();
        stats.put("unit.hits", 3L);
        stats.put("unit.remote.hits", 1L);
        stats.put("unit.misses", 1L);
        stats.put("bytes.stored", 3L << 20);
        stats.put("remote.uploads", 7L);
        assertThat(StatsCommand.toJson(stats)).isEqualTo("{\"unit.hits\": 3, \"unit.remote.hits\": 1, "
                + "\"unit.misses\": 1, \"bytes.stored\": 3145728, \"remote.uploads\": 7}\n");
        String table = StatsCommand.toTable(ClientSettings.fromEnvironment(Map.of()), stats);
        assertThat(table).contains("3 hits (2 local, 1 remote), 1 misses (hit rate 75.0%)", "3.0 MiB",
                "remote uploads             7 sent, 0 not sent");
        stats.put("unit.depend.misses", 1L);
        stats.put("function.deferred", 4L);
        stats.put("function.deferred.split", 3L);
        stats.put("function.deferred.pieces", 300L);
        stats.put("function.deferred.waiting", 1L);
        assertThat(StatsCommand.toTable(ClientSettings.fromEnvironment(Map.of()), stats)).contains(
                "misses without preprocessing 1",
                "split when idle            4 built whole first (a parallel cold build), 3 split since (300 pieces), "
                        + "0 dropped, 1 waiting");
        assertThat(StatsCommand.parse("unit.hits=3\nunit.misses=1\n")).containsEntry("unit.hits", 3L);
    }
}
