package dev.parley.server.k8s;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;

/**
 * The two custom resources k8s/ uses, which the fabric8 model does not know: KEDA's ScaledObject (keda.sh/v1alpha1)
 * and the Prometheus Operator's ServiceMonitor (monitoring.coreos.com/v1). Each is a subset of the real schema (the
 * fields in the CRDs' docs that a manifest here may use), bound strictly: a field not declared below, e.g. a typo,
 * fails the binding. A legitimate field missing here is added to the record.
 */
final class Crds {
    private Crds() {}

    private static final ObjectMapper STRICT = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    static <T> T bind(Map<String, Object> object, Class<T> type) {
        return STRICT.convertValue(object, type);
    }

    record Meta(String name, String namespace, Map<String, String> labels, Map<String, String> annotations) {}

    record LabelSelector(Map<String, String> matchLabels, List<Map<String, Object>> matchExpressions) {}

    // ---- keda.sh/v1alpha1 ScaledObject -------------------------------------------------------------------------
    record ScaledObject(String apiVersion, String kind, Meta metadata, ScaledObjectSpec spec) {}

    record ScaledObjectSpec(ScaleTargetRef scaleTargetRef, Integer pollingInterval, Integer cooldownPeriod,
                            Integer initialCooldownPeriod, Integer idleReplicaCount, Integer minReplicaCount,
                            Integer maxReplicaCount, Map<String, Object> fallback, Advanced advanced, List<Trigger> triggers) {}

    record ScaleTargetRef(String apiVersion, String kind, String name, String envSourceContainerName) {}

    /** {@code behavior} has the HPA's schema: ManifestTest binds it to the fabric8 model and checks it there. */
    record Advanced(Boolean restoreToOriginalReplicaCount, HpaConfig horizontalPodAutoscalerConfig,
                    Map<String, Object> scalingModifiers) {}

    record HpaConfig(String name, Map<String, Object> behavior) {}

    record Trigger(String type, String name, Map<String, String> metadata, Map<String, Object> authenticationRef,
                   String metricType, Boolean useCachedMetrics) {}

    // ---- monitoring.coreos.com/v1 ServiceMonitor ---------------------------------------------------------------
    record ServiceMonitor(String apiVersion, String kind, Meta metadata, ServiceMonitorSpec spec) {}

    record ServiceMonitorSpec(String jobLabel, List<String> targetLabels, List<String> podTargetLabels,
                              List<Endpoint> endpoints, LabelSelector selector, NamespaceSelector namespaceSelector,
                              Long sampleLimit) {}

    record Endpoint(String port, Object targetPort, String path, String scheme, String interval, String scrapeTimeout,
                    Boolean honorLabels, Map<String, List<String>> params) {}

    record NamespaceSelector(Boolean any, List<String> matchNames) {}
}
