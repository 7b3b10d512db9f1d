package dev.cas.worker;

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

    /** The flags to add to clang's preprocessing run, with clang's defaults for the file and the target made explicit. */
    public List<String> preprocessorFlags(String objectPath, String sourcePath, Optional<String> output) {
        if (!enabled) {
            return List.of();
        }
        List<String> flags = new ArrayList<>();
        flags.add(userHeadersOnly ? "-MMD" : "-MD");
        flags.add("-MF");
        flags.add(file.orElseGet(() -> defaultFile(sourcePath, output)));
        if (targets.isEmpty()) {
            flags.add("-MQ");
            flags.add(output.orElse(objectPath));
        } else {
            flags.addAll(targets);
        }
        if (phonyTargets) {
            flags.add("-MP");
        }
        return flags;
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
