package dev.cas.worker.command;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code -MD -MMD -MF -MT -MQ -MP} flags by which Make and Ninja learn a unit's headers. The dependency file is
 * written while preprocessing, which runs on every build, so it is correct on hits and misses alike.
 */
public record DependencyOptions(boolean enabled, boolean userHeadersOnly, Optional<String> file, List<String> targets,
        boolean phonyTargets) {

    /**
     * The flags to add to clang's preprocessing run, with clang's defaults for the file and the target made explicit:
     * the target is the {@code -o} path, else the source's name with {@code .o}.
     */
    public List<String> preprocessorFlags(SourceFile source, Optional<String> output) {
        if (!enabled) {
            return List.of();
        }
        List<String> flags = new ArrayList<>();
        flags.add(userHeadersOnly ? "-MMD" : "-MD");
        flags.add("-MF");
        flags.add(filePath(source, output).orElseThrow());
        if (targets.isEmpty()) {
            flags.add("-MQ");
            flags.add(output.orElse(source.defaultObjectName()));
        } else {
            flags.addAll(targets);
        }
        if (phonyTargets) {
            flags.add("-MP");
        }
        return flags;
    }

    /** Where the dependency file of {@code source} goes, when one is asked for. */
    public Optional<String> filePath(SourceFile source, Optional<String> output) {
        return enabled ? Optional.of(file.orElseGet(() -> defaultFile(source.path(), output))) : Optional.empty();
    }

    /** clang: the {@code -o} path with its extension replaced by {@code .d}, else the input's name with {@code .d}. */
    private static String defaultFile(String sourcePath, Optional<String> output) {
        String base = output.orElse(Path.of(sourcePath).getFileName().toString());
        int slash = base.lastIndexOf('/');
        int dot = base.lastIndexOf('.');
        return (dot > slash ? base.substring(0, dot) : base) + ".d";
    }

    /** Collects the flags while parsing. */
    static final class Builder {
        private boolean md;
        private boolean mmd;
        private boolean mp;
        private String file;
        private final List<String> targets = new ArrayList<>();

        void flag(String flag) {
            switch (flag) {
                case "-MD" -> md = true;
                case "-MMD" -> mmd = true;
                default -> mp = true;
            }
        }

        void valued(String flag, String value) {
            if (flag.equals("-MF")) {
                file = value;
            } else {
                targets.add(flag);
                targets.add(value);
            }
        }

        DependencyOptions build() {
            return new DependencyOptions(md || mmd, mmd && !md, Optional.ofNullable(file), List.copyOf(targets), mp);
        }
    }
}
