package dev.parley.server.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.parley.server.ParleyServer;
import dev.parley.server.config.ServerConfig;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBehavior;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBackend;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.Option;

/**
 * Validates k8s/ offline: every manifest parses with the fabric8 Kubernetes model (or a strict schema for the two
 * custom resources) with no unknown field, and each overlay, rendered like kustomize would, is cross-checked
 * against itself and against the server: references resolve, selectors select, and ports, probe paths, flags,
 * environment variables, the drain timeout and the autoscaling metric are the ones the server actually has.
 *
 * <p>Server facts come from the server itself: the options, their PARLEY_* variables and defaults are read from
 * {@code ServeCommand}'s picocli annotations, and the HTTP paths (health, metrics) and metric names from a real
 * {@link ParleyServer} started on loopback without a model (the state a pod is in while it loads one).
 */
class ManifestTest {
    static final Path K8S = locateK8s();
    static final KubernetesSerialization SER = new KubernetesSerialization();
    /** Variables the manifests set ahead of the server reading them. Remove an entry once ServeCommand reads it. */
    static final Map<String, String> NOT_READ_YET = Map.of();
    /** JVM + runtime overhead in the sizing rule (metaspace, thread stacks, code cache, Netty buffers): README. */
    static final long OVERHEAD_BYTES = 512L << 20;

    static ServeOptions serve;
    static Vertx vertx;
    static ParleyServer server;
    static int port;
    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void startServerWithoutModel() {
        serve = ServeOptions.read();
        vertx = Vertx.vertx();
        server = new ParleyServer(vertx, ServerConfig.forTests());
        port = server.listen().await();
    }

    @AfterAll
    static void stop() {
        if (server != null) server.shutdown();
        if (vertx != null) vertx.close().await();
    }

    // ---- every file on its own ---------------------------------------------------------------------------------

    @Test
    void everyManifestFileParsesWithoutUnknownFields() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.walk(K8S)) {
            files = s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
        }
        assertTrue(files.size() > 10, "expected the manifests under " + K8S + ", found " + files);
        List<String> problems = new ArrayList<>();
        for (Path f : files) {
            if (f.getFileName().toString().equals("kustomization.yaml")) continue; // checked by the renderer
            List<Map<String, Object>> docs = Kustomize.readAll(f);
            assertFalse(docs.isEmpty(), f + " has no document");
            // Patches are partial objects: they bind the same way, so a typo in a patch is caught too.
            for (Map<String, Object> doc : docs) problems.addAll(strictProblems(doc, K8S.relativize(f).toString()));
        }
        assertEquals(List.of(), problems);
    }

    @Test
    void theStrictParseCatchesTypos() {
        Map<String, Object> deployment = Kustomize.readAll(K8S.resolve("base/deployment.yaml")).getFirst();
        @SuppressWarnings("unchecked")
        var container = ((List<Map<String, Object>>) at(deployment, "spec", "template", "spec", "containers")).getFirst();
        container.put("imagee", "typo");
        @SuppressWarnings("unchecked")
        var probe = (Map<String, Object>) container.remove("readinessProbe");
        container.put("readinesProbe", probe);
        List<String> problems = strictProblems(deployment, "typo");
        assertTrue(problems.stream().anyMatch(p -> p.endsWith(".imagee")), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.endsWith(".readinesProbe")), problems.toString());

        Map<String, Object> scaled = Kustomize.readAll(K8S.resolve("components/autoscale-keda/scaledobject.yaml")).getFirst();
        @SuppressWarnings("unchecked")
        var spec = (Map<String, Object>) scaled.get("spec");
        spec.put("minReplicas", 2); // the HPA spelling, not KEDA's minReplicaCount
        assertFalse(strictProblems(scaled, "typo").isEmpty());
    }

    // ---- each overlay, rendered --------------------------------------------------------------------------------

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void overlayIsConsistentAndMatchesTheServer(String overlay) throws Exception {
        List<Map<String, Object>> raw = Kustomize.render(K8S.resolve("overlays").resolve(overlay));
        List<String> problems = new ArrayList<>();
        for (Map<String, Object> o : raw) problems.addAll(strictProblems(o, overlay));
        assertEquals(List.of(), problems, "unknown or mistyped fields in the rendered " + overlay + " overlay");
        new OverlayCheck(overlay, raw).run();
    }

    /** kustomize is the reference: where kubectl is installed, its rendering must equal the test's own. */
    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void renderingMatchesKubectlKustomize(String overlay) throws Exception {
        Path dir = K8S.resolve("overlays").resolve(overlay);
        Assumptions.assumeTrue(onPath("kubectl"), "kubectl is not installed: the test's own renderer is not cross-checked");
        Process p = new ProcessBuilder("kubectl", "kustomize", dir.toString()).redirectErrorStream(false).start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "kubectl kustomize failed: " + err);
        Path tmp = Files.createTempFile("kustomize-" + overlay, ".yaml");
        try {
            Files.write(tmp, out);
            assertEquals(byKey(Kustomize.readAll(tmp)), byKey(Kustomize.render(dir)));
        } finally {
            Files.delete(tmp);
        }
    }

    @Test
    void dockerfileRunsTheServerAsTheUserTheDeploymentExpects() throws IOException {
        String dockerfile = Files.readString(K8S.resolve("Dockerfile"));
        Deployment d = (Deployment) SER.unmarshal(Files.readString(K8S.resolve("base/deployment.yaml")), HasMetadata.class);
        long uid = d.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsUser();
        assertTrue(dockerfile.contains("\nUSER " + uid + ":"), "the image's USER must be the Deployment's runAsUser " + uid);
        for (String flag : List.of("\"--add-modules\", \"jdk.incubator.vector\"", "\"--enable-native-access=ALL-UNNAMED\"",
                "\"" + dev.parley.server.cli.ServerMain.class.getName() + "\"")) {
            assertTrue(dockerfile.contains(flag), "the ENTRYPOINT lacks " + flag);
        }
        assertTrue(dockerfile.contains("jlink") && dockerfile.contains("jdk.incubator.vector,"), "jlink must add jdk.incubator.vector");
    }

    // ---- the cross-checks ----------------------------------------------------------------------------------------

    /** One rendered overlay, parsed. */
    static final class OverlayCheck {
        final String overlay;
        final String namespace;
        final List<HasMetadata> objects = new ArrayList<>();
        final List<Crds.ScaledObject> scaledObjects = new ArrayList<>();
        final List<Crds.ServiceMonitor> serviceMonitors = new ArrayList<>();

        OverlayCheck(String overlay, List<Map<String, Object>> raw) {
            this.overlay = overlay;
            Set<String> keys = new HashSet<>();
            String ns = null;
            for (Map<String, Object> o : raw) {
                String key = o.get("kind") + "/" + Kustomize.meta(o).get("name");
                assertTrue(keys.add(key), overlay + ": " + key + " is defined twice");
                Object objectNs = Kustomize.meta(o).get("namespace");
                assertNotNull(objectNs, overlay + ": " + key + " has no namespace");
                if (ns == null) ns = (String) objectNs;
                assertEquals(ns, objectNs, overlay + ": objects in different namespaces");
                switch ((String) o.get("kind")) {
                    case "ScaledObject" -> scaledObjects.add(Crds.bind(o, Crds.ScaledObject.class));
                    case "ServiceMonitor" -> serviceMonitors.add(Crds.bind(o, Crds.ServiceMonitor.class));
                    default -> objects.add(SER.convertValue(o, HasMetadata.class));
                }
            }
            this.namespace = ns;
        }

        <T extends HasMetadata> List<T> all(Class<T> type) {
            return objects.stream().filter(type::isInstance).map(type::cast).toList();
        }

        <T extends HasMetadata> T named(Class<T> type, String name) {
            return all(type).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst()
                    .orElseThrow(() -> new AssertionError(overlay + ": no " + type.getSimpleName() + " named " + name));
        }

        /** Pod templates of the workloads, by "Kind/name". */
        Map<String, PodTemplateSpec> podTemplates() {
            Map<String, PodTemplateSpec> t = new LinkedHashMap<>();
            for (Deployment d : all(Deployment.class)) t.put("Deployment/" + d.getMetadata().getName(), d.getSpec().getTemplate());
            for (StatefulSet s : all(StatefulSet.class)) t.put("StatefulSet/" + s.getMetadata().getName(), s.getSpec().getTemplate());
            return t;
        }

        List<PodTemplateSpec> selected(Map<String, String> selector, String what) {
            assertNotNull(selector, overlay + ": " + what + " has no selector");
            assertFalse(selector.isEmpty(), overlay + ": " + what + " has an empty selector (it would select everything)");
            List<PodTemplateSpec> pods = podTemplates().values().stream()
                    .filter(t -> t.getMetadata().getLabels().entrySet().containsAll(selector.entrySet())).toList();
            assertFalse(pods.isEmpty(), overlay + ": " + what + " selects no pod template (selector " + selector + ")");
            return pods;
        }

        void run() throws Exception {
            workloads();
            services();
            ingresses();
            policies();
            autoscalers();
            serviceMonitors();
            parleyContainer();
        }

        void workloads() throws Exception {
            Map<String, PodTemplateSpec> templates = podTemplates();
            assertTrue(templates.containsKey("Deployment/parley"), overlay + ": no Deployment parley");
            for (var e : templates.entrySet()) {
                String what = overlay + ": " + e.getKey();
                String name = e.getKey().split("/")[1];
                LabelSelector sel = e.getKey().startsWith("Deployment/") ? named(Deployment.class, name).getSpec().getSelector()
                        : named(StatefulSet.class, name).getSpec().getSelector();
                assertTrue(e.getValue().getMetadata().getLabels().entrySet().containsAll(sel.getMatchLabels().entrySet()),
                        what + ": selector " + sel.getMatchLabels() + " does not match the pod labels");
                PodSpec pod = e.getValue().getSpec();
                assertEquals(Boolean.TRUE, pod.getSecurityContext().getRunAsNonRoot(), what + ": runAsNonRoot");
                assertEquals(Boolean.FALSE, pod.getEnableServiceLinks(), what + ": enableServiceLinks must be false");
                assertEquals(Boolean.FALSE, pod.getAutomountServiceAccountToken(), what + ": no service account token needed");
                for (Container c : pod.getContainers()) {
                    var sc = c.getSecurityContext();
                    assertNotNull(sc, what + "/" + c.getName() + ": no securityContext");
                    assertEquals(Boolean.FALSE, sc.getAllowPrivilegeEscalation(), what + "/" + c.getName() + ": allowPrivilegeEscalation");
                    assertEquals(Boolean.TRUE, sc.getReadOnlyRootFilesystem(), what + "/" + c.getName() + ": readOnlyRootFilesystem");
                    assertEquals(List.of("ALL"), sc.getCapabilities().getDrop(), what + "/" + c.getName() + ": capabilities.drop");
                    assertNotNull(c.getResources().getLimits().get("memory"), what + "/" + c.getName() + ": no memory limit");
                    Set<String> volumes = new HashSet<>();
                    for (Volume v : pod.getVolumes()) volumes.add(v.getName());
                    for (VolumeMount m : c.getVolumeMounts())
                        assertTrue(volumes.contains(m.getName()), what + ": mount of unknown volume " + m.getName());
                    for (EnvFromSource ef : c.getEnvFrom()) {
                        if (ef.getConfigMapRef() != null) named(ConfigMap.class, ef.getConfigMapRef().getName());
                        if (ef.getSecretRef() != null) named(Secret.class, ef.getSecretRef().getName());
                    }
                }
                for (Volume v : pod.getVolumes()) {
                    if (v.getPersistentVolumeClaim() != null) named(PersistentVolumeClaim.class, v.getPersistentVolumeClaim().getClaimName());
                    if (v.getSecret() != null) named(Secret.class, v.getSecret().getSecretName());
                    if (v.getConfigMap() != null) named(ConfigMap.class, v.getConfigMap().getName());
                }
            }
            for (StatefulSet s : all(StatefulSet.class)) {
                Service governing = named(Service.class, s.getSpec().getServiceName());
                assertEquals("None", governing.getSpec().getClusterIP(), overlay + ": a StatefulSet's governing Service is headless");
            }
        }

        void services() throws Exception {
            for (Service s : all(Service.class)) {
                String what = overlay + ": Service " + s.getMetadata().getName();
                if ("ExternalName".equals(s.getSpec().getType())) {
                    assertNotNull(s.getSpec().getExternalName(), what + ": externalName");
                    continue;
                }
                List<PodTemplateSpec> pods = selected(s.getSpec().getSelector(), what);
                for (ServicePort p : s.getSpec().getPorts()) {
                    for (PodTemplateSpec pod : pods) assertPodPort(pod, p.getTargetPort(), what + " port " + p.getName());
                }
            }
        }

        void ingresses() throws Exception {
            List<Ingress> ingresses = all(Ingress.class);
            for (Ingress i : ingresses) {
                for (var rule : i.getSpec().getRules()) {
                    for (var path : rule.getHttp().getPaths()) {
                        assertServicePort(path.getBackend(), overlay + ": Ingress " + i.getMetadata().getName() + " " + path.getPath());
                    }
                }
            }
            // The WebSocket path: the one that serves /v1/chat/ws is hashed on the session, with long timeouts.
            Ingress ws = ingresses.stream().filter(i -> i.getSpec().getRules().stream().flatMap(r -> r.getHttp().getPaths().stream())
                    .anyMatch(p -> p.getPath().equals("/v1/chat/ws"))).findFirst()
                    .orElseThrow(() -> new AssertionError(overlay + ": no Ingress path for /v1/chat/ws"));
            Map<String, String> a = ws.getMetadata().getAnnotations();
            assertEquals("$arg_session", a.get("nginx.ingress.kubernetes.io/upstream-hash-by"), overlay + ": WebSocket affinity");
            assertTrue(Integer.parseInt(a.get("nginx.ingress.kubernetes.io/proxy-read-timeout")) >= 600, overlay + ": WebSocket read timeout");
            assertTrue(served("/v1/chat/ws") != 404, "the server does not serve /v1/chat/ws");
        }

        void assertServicePort(IngressBackend b, String what) {
            Service s = named(Service.class, b.getService().getName());
            var port = b.getService().getPort();
            boolean found = s.getSpec().getPorts().stream().anyMatch(p -> port.getName() != null
                    ? port.getName().equals(p.getName()) : Objects.equals(port.getNumber(), p.getPort()));
            assertTrue(found, what + ": Service " + s.getMetadata().getName() + " has no port " + port);
        }

        void policies() throws Exception {
            for (PodDisruptionBudget pdb : all(PodDisruptionBudget.class)) {
                selected(pdb.getSpec().getSelector().getMatchLabels(), overlay + ": PDB " + pdb.getMetadata().getName());
            }
            for (NetworkPolicy np : all(NetworkPolicy.class)) {
                String what = overlay + ": NetworkPolicy " + np.getMetadata().getName();
                List<PodTemplateSpec> pods = selected(np.getSpec().getPodSelector().getMatchLabels(), what);
                for (var rule : np.getSpec().getIngress()) {
                    for (NetworkPolicyPort p : rule.getPorts()) for (PodTemplateSpec pod : pods) assertPodPort(pod, p.getPort(), what);
                }
            }
            assertTrue(all(PodDisruptionBudget.class).stream().anyMatch(p -> matches(p.getSpec().getSelector(), "Deployment/parley")),
                    overlay + ": no PodDisruptionBudget covers the parley pods");
            assertTrue(all(NetworkPolicy.class).stream().anyMatch(p -> matches(p.getSpec().getPodSelector(), "Deployment/parley")),
                    overlay + ": no NetworkPolicy covers the parley pods");
        }

        boolean matches(LabelSelector sel, String workload) {
            return podTemplates().get(workload).getMetadata().getLabels().entrySet().containsAll(sel.getMatchLabels().entrySet());
        }

        void autoscalers() throws Exception {
            Map<String, List<String>> byTarget = new HashMap<>();
            Set<String> scraped = scrapedNames();
            for (HorizontalPodAutoscaler h : all(HorizontalPodAutoscaler.class)) {
                var ref = h.getSpec().getScaleTargetRef();
                named(Deployment.class, ref.getName());
                assertEquals("Deployment", ref.getKind());
                byTarget.computeIfAbsent(ref.getName(), k -> new ArrayList<>()).add("HPA " + h.getMetadata().getName());
                for (var m : h.getSpec().getMetrics()) {
                    assertEquals("Pods", m.getType(), overlay + ": the HPA scales on a per-pod custom metric");
                    String metric = m.getPods().getMetric().getName();
                    assertTrue(scraped.contains(metric), overlay + ": the HPA's metric " + metric + " is not exported by the server");
                }
                assertTrue(h.getSpec().getMinReplicas() <= h.getSpec().getMaxReplicas());
            }
            for (Crds.ScaledObject so : scaledObjects) {
                var ref = so.spec().scaleTargetRef();
                named(Deployment.class, ref.name());
                assertEquals("Deployment", ref.kind());
                byTarget.computeIfAbsent(ref.name(), k -> new ArrayList<>()).add("ScaledObject " + so.metadata().name());
                assertTrue(so.spec().minReplicaCount() >= 1, overlay + ": scaling to zero would unload the model");
                assertTrue(so.spec().minReplicaCount() <= so.spec().maxReplicaCount());
                List<String> problems = new ArrayList<>();
                var behavior = SER.convertValue(so.spec().advanced().horizontalPodAutoscalerConfig().behavior(), HorizontalPodAutoscalerBehavior.class);
                UnknownFields.collect(behavior, overlay + ": ScaledObject behavior", problems);
                assertEquals(List.of(), problems);
                for (Crds.Trigger t : so.spec().triggers()) {
                    assertEquals("prometheus", t.type());
                    String query = t.metadata().get("query");
                    new BigDecimal(t.metadata().get("threshold"));
                    Matcher m = Pattern.compile("\\bparley_\\w+").matcher(query);
                    int metrics = 0;
                    while (m.find()) {
                        metrics++;
                        assertTrue(scraped.contains(m.group()), overlay + ": the query's metric " + m.group() + " is not exported by the server");
                    }
                    assertTrue(metrics > 0, overlay + ": the query reads no parley_ metric: " + query);
                    Matcher ns = Pattern.compile("namespace=\"([^\"]*)\"").matcher(query);
                    while (ns.find()) assertEquals(namespace, ns.group(1), overlay + ": the query filters another namespace");
                    Matcher svc = Pattern.compile("service=\"([^\"]*)\"").matcher(query);
                    while (svc.find()) {
                        Service s = named(Service.class, svc.group(1));
                        assertTrue(serviceMonitors.stream().anyMatch(sm -> selects(sm.spec().selector().matchLabels(), s)),
                                overlay + ": the query reads Service " + svc.group(1) + ", which no ServiceMonitor scrapes");
                    }
                }
            }
            assertEquals(1, byTarget.getOrDefault("parley", List.of()).size(),
                    overlay + ": the parley Deployment needs exactly one autoscaler (KEDA or HPA, not both): " + byTarget);
        }

        static boolean selects(Map<String, String> selector, Service s) {
            return s.getMetadata().getLabels() != null && s.getMetadata().getLabels().entrySet().containsAll(selector.entrySet());
        }

        void serviceMonitors() throws Exception {
            assertFalse(serviceMonitors.isEmpty(), overlay + ": no ServiceMonitor");
            for (Crds.ServiceMonitor sm : serviceMonitors) {
                String what = overlay + ": ServiceMonitor " + sm.metadata().name();
                List<Service> targets = all(Service.class).stream().filter(s -> selects(sm.spec().selector().matchLabels(), s)).toList();
                assertEquals(1, targets.size(), what + " must select exactly one Service (several over the same pods double every series): "
                        + targets.stream().map(s -> s.getMetadata().getName()).toList());
                for (Crds.Endpoint e : sm.spec().endpoints()) {
                    assertTrue(targets.getFirst().getSpec().getPorts().stream().anyMatch(p -> e.port().equals(p.getName())),
                            what + ": the Service has no port named " + e.port());
                    assertEquals(200, served(e.path()), what + ": the server does not serve " + e.path());
                }
            }
        }

        /** The Parley container against the server's options, endpoints and shutdown behaviour. */
        void parleyContainer() throws Exception {
            Deployment d = named(Deployment.class, "parley");
            PodSpec pod = d.getSpec().getTemplate().getSpec();
            Container c = pod.getContainers().stream().filter(x -> x.getName().equals("parley")).findFirst()
                    .orElseThrow(() -> new AssertionError(overlay + ": no container named parley"));
            assertFalse(c.getImage().equals("parley"), overlay + ": the overlay must pin the image (images: in kustomization.yaml)");

            // The configuration the server will see: flags > explicit env > envFrom ConfigMaps > ServeCommand defaults.
            Map<String, String> env = new LinkedHashMap<>();
            for (EnvFromSource ef : c.getEnvFrom()) {
                if (ef.getConfigMapRef() != null) env.putAll(named(ConfigMap.class, ef.getConfigMapRef().getName()).getData());
            }
            for (EnvVar v : c.getEnv()) env.put(v.getName(), v.getValue());
            for (String name : env.keySet()) {
                if (name.startsWith("PARLEY_"))
                    assertTrue(serve.byEnv.containsKey(name) || NOT_READ_YET.containsKey(name),
                            overlay + ": " + name + " is not a variable `parley serve` reads (" + serve.byEnv.keySet() + ")");
            }
            Map<String, String> flags = serve.parseArgs(c.getArgs(), overlay);
            Settings s = new Settings(flags, env);

            assertEquals("0.0.0.0", s.get("--host"), overlay + ": the server must listen on every interface, not loopback");
            int serverPort = Integer.parseInt(s.get("--port"));
            ContainerPort http = c.getPorts().stream().filter(p -> p.getContainerPort() == serverPort).findFirst()
                    .orElseThrow(() -> new AssertionError(overlay + ": no containerPort " + serverPort + " (the port the server listens on)"));

            // Probes: the readiness-type ones must be 503 while the model loads, liveness 200 at once.
            for (Probe p : List.of(c.getStartupProbe(), c.getReadinessProbe())) {
                HTTPGetAction get = p.getHttpGet();
                assertProbePort(get, http);
                assertEquals(503, served(get.getPath()), overlay + ": " + get.getPath() + " must be 503 while no model is loaded");
            }
            assertProbePort(c.getLivenessProbe().getHttpGet(), http);
            assertEquals(200, served(c.getLivenessProbe().getHttpGet().getPath()), overlay + ": liveness must answer while loading");
            long startupBudget = (long) c.getStartupProbe().getPeriodSeconds() * c.getStartupProbe().getFailureThreshold();
            assertTrue(startupBudget >= 120, overlay + ": the startup probe allows only " + startupBudget + " s to load the model");

            // Shutdown: preStop sleep, then SIGTERM and the drain; all within the grace period.
            var preStop = c.getLifecycle().getPreStop();
            long sleep = preStop.getSleep() != null ? preStop.getSleep().getSeconds()
                    : Long.parseLong(preStop.getExec().getCommand().get(1));
            if (preStop.getExec() != null) assertEquals("sleep", preStop.getExec().getCommand().getFirst());
            assertTrue(sleep >= 5, overlay + ": the preStop sleep must let endpoints drop the pod first");
            long drain = Long.parseLong(s.get("--drain-timeout"));
            long delay = Long.parseLong(s.get("--shutdown-delay")); // readiness 503 but still serving, before the drain
            long grace = pod.getTerminationGracePeriodSeconds();
            assertTrue(grace > sleep + delay + drain, overlay + ": terminationGracePeriodSeconds " + grace
                    + " must exceed the preStop sleep " + sleep + " + shutdown delay " + delay + " + drain timeout " + drain);

            // Files the server reads: the model under a mounted volume, the API keys in a mounted Secret key.
            assertMountedFile(pod, c, s.get("--model"), false);
            assertMountedFile(pod, c, s.get("--api-key-file"), true);
            assertTrue(c.getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals("/tmp")),
                    overlay + ": read-only root fs needs a writable /tmp (Netty unpacks its native library there)");

            // Resources by the sizing rule (README): model + KV budget + heap + overhead <= limit; Guaranteed QoS.
            var res = c.getResources();
            assertEquals(res.getRequests(), res.getLimits(), overlay + ": requests must equal limits (Guaranteed QoS)");
            Map<String, String> ann = d.getMetadata().getAnnotations();
            long model = Quantity.getAmountInBytes(new Quantity(ann.get("parley.dev/model-size"))).longValueExact();
            long kv = Long.parseLong(s.get("--max-running")) * Long.parseLong(ann.get("parley.dev/context-length"))
                    * Long.parseLong(ann.get("parley.dev/kv-bytes-per-token"));
            long heap = xmx(env.get("JDK_JAVA_OPTIONS"));
            long need = model + kv + heap + OVERHEAD_BYTES;
            long limit = Quantity.getAmountInBytes(res.getLimits().get("memory")).longValueExact();
            assertTrue(limit >= need, String.format(Locale.ROOT, "%s: memory limit %d MiB < model %d + KV %d + heap %d + overhead %d MiB",
                    overlay, limit >> 20, model >> 20, kv >> 20, heap >> 20, OVERHEAD_BYTES >> 20));
        }

        void assertProbePort(HTTPGetAction get, ContainerPort http) {
            IntOrString p = get.getPort();
            assertTrue(p.getStrVal() != null ? p.getStrVal().equals(http.getName()) : p.getIntVal().equals(http.getContainerPort()),
                    overlay + ": probe port " + p + " is not the server's port");
        }

        void assertMountedFile(PodSpec pod, Container c, String file, boolean secretKey) {
            assertNotNull(file, overlay + ": not configured");
            Path f = Path.of(file);
            VolumeMount m = c.getVolumeMounts().stream().filter(v -> f.startsWith(v.getMountPath())).findFirst()
                    .orElseThrow(() -> new AssertionError(overlay + ": " + file + " is on no mounted volume"));
            Volume v = pod.getVolumes().stream().filter(x -> x.getName().equals(m.getName())).findFirst().orElseThrow();
            if (secretKey) {
                assertNotNull(v.getSecret(), overlay + ": " + file + " should come from a Secret");
                assertTrue(v.getSecret().getItems().isEmpty(), "items remapping not expected");
                assertEquals(0440, v.getSecret().getDefaultMode(), overlay + ": key file mode");
                Secret secret = named(Secret.class, v.getSecret().getSecretName());
                String key = Path.of(m.getMountPath()).relativize(f).toString();
                boolean has = (secret.getStringData() != null && secret.getStringData().containsKey(key))
                        || (secret.getData() != null && secret.getData().containsKey(key));
                assertTrue(has, overlay + ": Secret " + secret.getMetadata().getName() + " has no key " + key);
            }
        }

        static void assertPodPort(PodTemplateSpec pod, IntOrString port, String what) {
            boolean found = pod.getSpec().getContainers().stream().flatMap(c -> c.getPorts().stream())
                    .anyMatch(p -> port.getStrVal() != null ? port.getStrVal().equals(p.getName()) : port.getIntVal().equals(p.getContainerPort()));
            assertTrue(found, what + ": no container port " + (port.getStrVal() != null ? port.getStrVal() : port.getIntVal()));
        }
    }

    /** Effective `parley serve` settings: flags, then the environment, then the defaults in the annotations. */
    record Settings(Map<String, String> flags, Map<String, String> env) {
        String get(String flag) {
            if (flags.containsKey(flag)) return flags.get(flag);
            ServeOptions.Opt o = serve.byFlag.get(flag);
            assertNotNull(o, "`parley serve` has no option " + flag);
            if (o.env() != null && env.containsKey(o.env())) return env.get(o.env());
            return o.defaultValue();
        }
    }

    /** {@code parley serve}'s options as its picocli annotations declare them. */
    static final class ServeOptions {
        record Opt(String flag, String env, String defaultValue) {}

        final Map<String, Opt> byFlag = new TreeMap<>();
        final Map<String, Opt> byEnv = new TreeMap<>();

        static ServeOptions read() {
            ServeOptions s = new ServeOptions();
            Pattern p = Pattern.compile("^\\$\\{(\\w+)(?::-(.*))?}$");
            try {
                for (var field : Class.forName("dev.parley.server.cli.ServeCommand").getDeclaredFields()) {
                    Option o = field.getAnnotation(Option.class);
                    if (o == null) continue;
                    Matcher m = p.matcher(o.defaultValue());
                    Opt opt = m.matches() ? new Opt(o.names()[0], m.group(1), m.group(2)) : new Opt(o.names()[0], null, null);
                    s.byFlag.put(opt.flag(), opt);
                    if (opt.env() != null) s.byEnv.put(opt.env(), opt);
                }
            } catch (ClassNotFoundException e) {
                throw new AssertionError(e);
            }
            assertTrue(s.byFlag.containsKey("--drain-timeout") && s.byEnv.containsKey("PARLEY_PORT"), "ServeCommand options: " + s.byFlag);
            return s;
        }

        /** {@code serve --flag value ...} (also {@code --flag=value}). */
        Map<String, String> parseArgs(List<String> args, String where) {
            assertFalse(args.isEmpty(), where + ": no args");
            assertEquals("serve", args.getFirst(), where + ": the container must run `serve`");
            Map<String, String> flags = new HashMap<>();
            for (int i = 1; i < args.size(); i++) {
                String a = args.get(i), value;
                if (a.contains("=")) {
                    value = a.substring(a.indexOf('=') + 1);
                    a = a.substring(0, a.indexOf('='));
                } else {
                    assertTrue(i + 1 < args.size(), where + ": " + a + " has no value");
                    value = args.get(++i);
                }
                assertTrue(byFlag.containsKey(a), where + ": `parley serve` has no option " + a);
                flags.put(a, value);
            }
            return flags;
        }
    }

    // ---- helpers -----------------------------------------------------------------------------------------------

    /** Unknown or mistyped fields of one object (a whole resource or a patch). */
    static List<String> strictProblems(Map<String, Object> doc, String where) {
        String kind = (String) doc.get("kind"), apiVersion = (String) doc.get("apiVersion");
        String what = where + " " + kind + "/" + Kustomize.meta(doc).get("name");
        List<String> problems = new ArrayList<>();
        try {
            switch (kind) {
                case "ScaledObject" -> {
                    assertEquals("keda.sh/v1alpha1", apiVersion);
                    Crds.bind(doc, Crds.ScaledObject.class);
                }
                case "ServiceMonitor" -> {
                    assertEquals("monitoring.coreos.com/v1", apiVersion);
                    Crds.bind(doc, Crds.ServiceMonitor.class);
                }
                default -> {
                    HasMetadata parsed = SER.convertValue(doc, HasMetadata.class);
                    if (parsed instanceof GenericKubernetesResource)
                        problems.add(what + ": " + apiVersion + " " + kind + " is not a known Kubernetes kind");
                    else UnknownFields.collect(parsed, what, problems);
                }
            }
        } catch (RuntimeException e) {
            problems.add(what + ": " + e.getMessage().lines().findFirst().orElse(""));
        }
        return problems;
    }

    /** Objects keyed by kind/name, for an order-insensitive comparison. */
    static Map<String, Map<String, Object>> byKey(List<Map<String, Object>> objects) {
        Map<String, Map<String, Object>> m = new TreeMap<>();
        for (var o : objects) m.put(o.get("kind") + "/" + Kustomize.meta(o).get("name"), o);
        return m;
    }

    static Set<String> scrapedNames() throws Exception {
        HttpResponse<String> r = get("/metrics");
        assertEquals(200, r.statusCode());
        Set<String> names = new TreeSet<>();
        for (String line : r.body().lines().toList()) {
            if (line.startsWith("# TYPE ")) names.add(line.split(" ")[2]);
            else if (!line.startsWith("#") && !line.isBlank()) names.add(line.split("[{ ]")[0]);
        }
        return names;
    }

    static int served(String path) throws Exception {
        return get(path).statusCode();
    }

    static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).GET().timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static long xmx(String javaOptions) {
        assertNotNull(javaOptions, "JDK_JAVA_OPTIONS must set -Xmx (the heap is part of the sizing rule)");
        Matcher m = Pattern.compile("-Xmx(\\d+)([kKmMgG]?)").matcher(javaOptions);
        assertTrue(m.find(), "no -Xmx in " + javaOptions);
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> n << 10;
            case "m" -> n << 20;
            case "g" -> n << 30;
            default -> n;
        };
    }

    @SuppressWarnings("unchecked")
    static Object at(Map<String, Object> o, String... path) {
        Object cur = o;
        for (String p : path) cur = ((Map<String, Object>) cur).get(p);
        return cur;
    }

    static boolean onPath(String exe) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, exe))) return true;
        }
        return false;
    }

    private static Path locateK8s() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("k8s/base/kustomization.yaml"))) return p.resolve("k8s");
        }
        return fail("k8s/ not found above " + Path.of("").toAbsolutePath());
    }
}
