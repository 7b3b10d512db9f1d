package dev.cas.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.Test;

/** Lints the chart with real helm and checks what {@code helm template} renders, object by object. */
class CasServerChartTest {

    @Test
    void lintsCleanInStrictMode() {
        LintResult result = new Helm(RenderedChart.CHART).lint().strict().call();
        assertThat(result.isFailed()).as(String.join("\n", result.getMessages())).isFalse();
    }

    @Test
    void rendersAStatefulSetItsServicesAndADisruptionBudgetByDefault() {
        RenderedChart chart = RenderedChart.render(Map.of());
        assertThat(chart.kinds()).containsExactly("PodDisruptionBudget", "Service", "Service", "StatefulSet");

        PodDisruptionBudget budget = chart.one(PodDisruptionBudget.class);
        assertThat(budget.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
        assertThat(budget.getSpec().getSelector().getMatchLabels())
                .isEqualTo(chart.one(StatefulSet.class).getSpec().getSelector().getMatchLabels());
    }

    @Test
    void theServerContainerExposesBothProtocolsAndIsProbedOnActuator() {
        RenderedChart chart = RenderedChart.render(Map.of());
        StatefulSet set = chart.one(StatefulSet.class);
        Container server = serverContainer(set);

        assertThat(server.getPorts()).extracting(ContainerPort::getName, ContainerPort::getContainerPort)
                .containsExactlyInAnyOrder(Tuple.tuple("http", 8080),
                        Tuple.tuple("grpc", 9092));
        assertProbe(server.getStartupProbe(), "/actuator/health/liveness");
        assertProbe(server.getLivenessProbe(), "/actuator/health/liveness");
        assertProbe(server.getReadinessProbe(), "/actuator/health/readiness");
        assertThat(set.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds())
                .as("longer than Spring's 30 s graceful shutdown").isGreaterThan(30);
        assertThat(set.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();
        assertThat(server.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();

        Service service = chart.all(Service.class).stream()
                .filter(s -> !"None".equals(s.getSpec().getClusterIP())).findFirst().orElseThrow();
        Map<String, String> containerPorts = server.getPorts().stream()
                .collect(Collectors.toMap(ContainerPort::getName, p -> String.valueOf(p.getContainerPort())));
        assertThat(service.getSpec().getPorts()).extracting(ServicePort::getName).containsExactly("http", "grpc");
        for (ServicePort port : service.getSpec().getPorts()) {
            assertThat(containerPorts).as("service port %s targets a named container port", port.getName())
                    .containsKey(port.getTargetPort().getStrVal());
        }
        assertThat(service.getSpec().getSelector())
                .isEqualTo(set.getSpec().getTemplate().getMetadata().getLabels().entrySet().stream()
                        .filter(e -> service.getSpec().getSelector().containsKey(e.getKey()))
                        .collect(Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
        assertThat(set.getSpec().getServiceName()).isEqualTo(chart.all(Service.class).stream()
                .filter(s -> "None".equals(s.getSpec().getClusterIP())).findFirst().orElseThrow()
                .getMetadata().getName());
    }

    @Test
    void rocksDbLivesOnTheClaimAndTheCacheLimitFollowsTheValues() {
        RenderedChart chart = RenderedChart.render(Map.of("storage.size", "200Gi", "cache.maxSize", "160GB",
                "storage.storageClassName", "fast-ssd", "resources.limits.memory", "3Gi"));
        StatefulSet set = chart.one(StatefulSet.class);
        Container server = serverContainer(set);

        PersistentVolumeClaim claim = set.getSpec().getVolumeClaimTemplates().get(0);
        assertThat(claim.getSpec().getResources().getRequests()).containsEntry("storage", new Quantity("200Gi"));
        assertThat(claim.getSpec().getStorageClassName()).isEqualTo("fast-ssd");
        assertThat(server.getVolumeMounts()).extracting(VolumeMount::getName, VolumeMount::getMountPath)
                .contains(Tuple.tuple(claim.getMetadata().getName(), "/data"));
        assertThat(env(server, "CAS_STORAGE_PATH")).hasValue("/data");
        assertThat(env(server, "CAS_STORAGE_MAX_SIZE")).hasValue("160GB");
        assertThat(server.getResources().getLimits()).containsEntry("memory", new Quantity("3Gi"));
    }

    @Test
    void tokenSecretsComeFromASecretAndNeverSitInThePodSpec() {
        RenderedChart chart = RenderedChart.render(command -> command
                .set("auth.tokens[0].name", "ci").set("auth.tokens[0].scope", "READ_WRITE")
                .set("auth.tokens[0].secret", "s3cret-for-ci")
                .set("auth.tokens[1].name", "developers").set("auth.tokens[1].secret", "s3cret-for-devs"));
        Secret secret = chart.one(Secret.class);
        assertThat(secret.getStringData()).containsEntry("ci", "s3cret-for-ci")
                .containsEntry("developers", "s3cret-for-devs");

        Container server = serverContainer(chart.one(StatefulSet.class));
        assertThat(env(server, "CAS_AUTH_TOKENS_0_NAME")).hasValue("ci");
        assertThat(env(server, "CAS_AUTH_TOKENS_0_SCOPE")).hasValue("READ_WRITE");
        assertThat(env(server, "CAS_AUTH_TOKENS_1_SCOPE")).as("a token's default scope").hasValue("READ_ONLY");
        EnvVar secretVar = envVar(server, "CAS_AUTH_TOKENS_1_SECRET");
        assertThat(secretVar.getValue()).isNull();
        assertThat(secretVar.getValueFrom().getSecretKeyRef().getName()).isEqualTo(secret.getMetadata().getName());
        assertThat(secretVar.getValueFrom().getSecretKeyRef().getKey()).isEqualTo("developers");
        assertThat(chart.yaml().split("(?m)^---")).filteredOn(doc -> doc.contains("kind: StatefulSet"))
                .noneMatch(doc -> doc.contains("s3cret"));
    }

    @Test
    void anExistingSecretIsUsedAsIsAndATokenWithoutASecretIsRefused() {
        RenderedChart chart = RenderedChart.render(command -> command.set("auth.existingSecret", "team-cache-tokens")
                .set("auth.tokens[0].name", "ci").set("auth.tokens[0].scope", "READ_WRITE"));
        assertThat(chart.all(Secret.class)).isEmpty();
        assertThat(envVar(serverContainer(chart.one(StatefulSet.class)), "CAS_AUTH_TOKENS_0_SECRET")
                .getValueFrom().getSecretKeyRef().getName()).isEqualTo("team-cache-tokens");

        assertThatThrownBy(() -> RenderedChart.render(Map.of("auth.tokens[0].name", "ci")))
                .hasMessageContaining("auth.tokens ci needs a secret");
    }

    @Test
    void theServiceMonitorIsOptionalAndScrapesPrometheusOnTheApiServiceOnly() {
        assertThat(RenderedChart.render(Map.of()).kinds()).doesNotContain("ServiceMonitor");

        RenderedChart chart = RenderedChart.render(Map.of("serviceMonitor.enabled", true,
                "serviceMonitor.labels.release", "prometheus"));
        GenericKubernetesResource monitor = chart.one(GenericKubernetesResource.class);
        assertThat(monitor.getKind()).isEqualTo("ServiceMonitor");
        assertThat(monitor.getApiVersion()).isEqualTo("monitoring.coreos.com/v1");
        assertThat(monitor.getMetadata().getLabels()).containsEntry("release", "prometheus");
        List<Map<String, Object>> endpoints = monitor.get("spec", "endpoints");
        assertThat(endpoints).singleElement().satisfies(endpoint -> {
            assertThat(endpoint).containsEntry("port", "http").containsEntry("path", "/actuator/prometheus");
        });
        Map<String, String> selector = monitor.get("spec", "selector", "matchLabels");
        assertThat(chart.all(Service.class)).filteredOn(s -> s.getMetadata().getLabels().entrySet()
                .containsAll(selector.entrySet())).as("one scrape per pod").hasSize(1);
    }

    @Test
    void aMinAvailableBudgetReplacesMaxUnavailableAndTheBudgetCanBeTurnedOff() {
        PodDisruptionBudget budget = RenderedChart.render(Map.of("podDisruptionBudget.minAvailable", 1))
                .one(PodDisruptionBudget.class);
        assertThat(budget.getSpec().getMinAvailable().getIntVal()).isEqualTo(1);
        assertThat(budget.getSpec().getMaxUnavailable()).isNull();
        assertThat(RenderedChart.render(Map.of("podDisruptionBudget.enabled", false)).kinds())
                .doesNotContain("PodDisruptionBudget");
    }

    private static Container serverContainer(StatefulSet set) {
        return set.getSpec().getTemplate().getSpec().getContainers().stream()
                .filter(c -> c.getName().equals("cas-server")).findFirst().orElseThrow();
    }

    private static void assertProbe(Probe probe, String path) {
        assertThat(probe).as("probe on %s", path).isNotNull();
        assertThat(probe.getHttpGet().getPath()).isEqualTo(path);
        assertThat(probe.getHttpGet().getPort().getStrVal()).isEqualTo("http");
    }

    private static EnvVar envVar(Container container, String name) {
        return container.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + name + " in " + container.getEnv()));
    }

    private static Optional<String> env(Container container, String name) {
        return Optional.ofNullable(envVar(container, name).getValue());
    }
}
