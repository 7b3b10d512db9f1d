package dev.cas.helm;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The chart's manifests as {@code helm template} renders them (real helm, through helm-java), read into the
 * Kubernetes object model, so tests check typed fields instead of matching text.
 */
record RenderedChart(String yaml, List<HasMetadata> objects) {
    static final Path CHART = Path.of(System.getProperty("cas.chart.dir", "cas-server"));
    static final String RELEASE = "build-cache";
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    /** Renders with the chart's defaults plus {@code values} ({@code --set key=value}). */
    static RenderedChart render(Map<String, Object> values) {
        return render(command -> {
            values.forEach(command::set);
            return command;
        });
    }

    static RenderedChart render(UnaryOperator<TemplateCommand> options) {
        String yaml = options.apply(new Helm(CHART).template().withName(RELEASE).withNamespace("ci")).call();
        List<HasMetadata> objects = new ArrayList<>();
        for (String document : yaml.split("(?m)^---\\s*$")) {
            if (document.lines().anyMatch(line -> !line.isBlank() && !line.startsWith("#"))) {
                objects.add(SERIALIZATION.unmarshal(document));
            }
        }
        return new RenderedChart(yaml, objects);
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
        return objects.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends HasMetadata> T one(Class<T> type) {
        List<T> found = all(type);
        if (found.size() != 1) {
            throw new AssertionError("expected one " + type.getSimpleName() + ", found " + found.size() + " in\n" + yaml);
        }
        return found.get(0);
    }

    List<String> kinds() {
        return objects.stream().map(HasMetadata::getKind).sorted().toList();
    }
}
