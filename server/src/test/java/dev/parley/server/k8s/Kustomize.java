package dev.parley.server.k8s;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A tiny kustomize, just enough for what {@code k8s/} uses (there is no kustomize binary in CI): {@code resources}
 * (files and directories), {@code components}, {@code patches} by {@code path} (strategic-merge style, matched by
 * kind and name), {@code namespace} and {@code images}. Anything else in a kustomization.yaml is an error, so the
 * renderer cannot silently ignore a feature the manifests start to rely on.
 *
 * <p>The merge follows a strategic merge patch for the shapes used here: maps merge recursively, a null deletes,
 * lists whose items all carry a {@code name} merge item by item (containers, env, volumes, ports), any other list is
 * replaced whole (like kustomize does for rules, tls, and for every list of a custom resource). When kubectl is on
 * the PATH, ManifestTest compares this rendering with {@code kubectl kustomize}.
 */
final class Kustomize {
    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION));

    private static final Set<String> KUSTOMIZATION_KEYS =
            Set.of("apiVersion", "kind", "namespace", "resources", "components", "images", "patches");

    private Kustomize() {}

    /** The objects {@code kubectl kustomize dir} would print (in file order, not kustomize's kind order). */
    static List<Map<String, Object>> render(Path dir) {
        return build(dir, false);
    }

    /** Every YAML document of a file; comment-only documents are skipped. */
    static List<Map<String, Object>> readAll(Path file) {
        try (MappingIterator<Map<String, Object>> it = YAML.readerForMapOf(Object.class).readValues(file.toFile())) {
            List<Map<String, Object>> docs = new ArrayList<>();
            while (it.hasNextValue()) {
                Map<String, Object> doc = it.nextValue();
                if (doc != null && !doc.isEmpty()) docs.add(doc);
            }
            return docs;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> build(Path dir, boolean component) {
        Path file = dir.resolve("kustomization.yaml");
        if (!Files.isRegularFile(file)) throw new IllegalArgumentException("no kustomization.yaml in " + dir);
        List<Map<String, Object>> docs = readAll(file);
        if (docs.size() != 1) throw new IllegalArgumentException(file + ": expected one document");
        Map<String, Object> k = docs.getFirst();
        for (String key : k.keySet()) {
            if (!KUSTOMIZATION_KEYS.contains(key))
                throw new IllegalArgumentException(file + ": field '" + key + "' is not supported by this renderer");
        }
        String expectedKind = component ? "Component" : "Kustomization";
        if (!expectedKind.equals(k.get("kind"))) throw new IllegalArgumentException(file + ": kind must be " + expectedKind);

        List<Map<String, Object>> out = new ArrayList<>();
        for (String r : (List<String>) k.getOrDefault("resources", List.of())) {
            Path p = dir.resolve(r).normalize();
            if (Files.isDirectory(p)) out.addAll(build(p, false));
            else out.addAll(readAll(p));
        }
        // Components come after the resources and before this kustomization's own patches and transformers.
        for (String c : (List<String>) k.getOrDefault("components", List.of())) {
            List<Map<String, Object>> added = build(dir.resolve(c).normalize(), true);
            out.addAll(added);
        }
        for (Map<String, Object> patch : (List<Map<String, Object>>) k.getOrDefault("patches", List.of())) {
            if (!Set.of("path").containsAll(patch.keySet()))
                throw new IllegalArgumentException(file + ": only `patches: - path:` is supported, got " + patch.keySet());
            for (Map<String, Object> p : readAll(dir.resolve((String) patch.get("path")))) apply(out, p, file);
        }
        if (k.get("namespace") instanceof String ns) {
            for (Map<String, Object> o : out) meta(o).put("namespace", ns);
        }
        for (Map<String, Object> image : (List<Map<String, Object>>) k.getOrDefault("images", List.of())) {
            setImage(out, image, file);
        }
        return out;
    }

    private static void apply(List<Map<String, Object>> objects, Map<String, Object> patch, Path from) {
        String kind = (String) patch.get("kind"), name = (String) meta(patch).get("name");
        for (Map<String, Object> o : objects) {
            if (Objects.equals(o.get("kind"), kind) && Objects.equals(meta(o).get("name"), name)) {
                merge(o, patch);
                return;
            }
        }
        throw new IllegalArgumentException(from + ": patch for " + kind + "/" + name + " matches no resource");
    }

    @SuppressWarnings("unchecked")
    static void merge(Map<String, Object> target, Map<String, Object> patch) {
        for (var e : patch.entrySet()) {
            Object p = e.getValue(), t = target.get(e.getKey());
            if (p == null) target.remove(e.getKey());
            else if (p instanceof Map<?, ?> pm && t instanceof Map<?, ?> tm) merge((Map<String, Object>) tm, (Map<String, Object>) pm);
            else if (p instanceof List<?> pl && t instanceof List<?> tl && byName(pl) && byName(tl))
                target.put(e.getKey(), mergeByName((List<Map<String, Object>>) tl, (List<Map<String, Object>>) pl));
            else target.put(e.getKey(), p);
        }
    }

    private static boolean byName(List<?> list) {
        return !list.isEmpty() && list.stream().allMatch(i -> i instanceof Map<?, ?> m && m.get("name") instanceof String);
    }

    private static List<Map<String, Object>> mergeByName(List<Map<String, Object>> target, List<Map<String, Object>> patch) {
        List<Map<String, Object>> out = new ArrayList<>(target);
        for (Map<String, Object> p : patch) {
            Map<String, Object> match = out.stream().filter(t -> t.get("name").equals(p.get("name"))).findFirst().orElse(null);
            if (match != null) merge(match, p);
            else out.add(new LinkedHashMap<>(p));
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static void setImage(List<Map<String, Object>> objects, Map<String, Object> image, Path from) {
        String name = (String) image.get("name");
        String newName = (String) image.getOrDefault("newName", name);
        String tag = (String) image.get("newTag");
        boolean used = false;
        for (Map<String, Object> o : objects) {
            if (!(o.get("spec") instanceof Map<?, ?> spec) || !(spec.get("template") instanceof Map<?, ?> tpl)
                    || !(tpl.get("spec") instanceof Map<?, ?> podSpec)) continue;
            for (String list : List.of("initContainers", "containers")) {
                Object containers = podSpec.get(list);
                if (containers == null) continue;
                for (Map<String, Object> c : (List<Map<String, Object>>) containers) {
                    String current = (String) c.get("image");
                    String bare = current.replaceFirst("[:@].*$", "");
                    if (bare.equals(name)) {
                        c.put("image", tag == null ? newName : newName + ":" + tag);
                        used = true;
                    }
                }
            }
        }
        if (!used) throw new IllegalArgumentException(from + ": image '" + name + "' is used by no container");
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> meta(Map<String, Object> o) {
        return (Map<String, Object>) o.computeIfAbsent("metadata", x -> new LinkedHashMap<>());
    }
}
