package alloy.eval.task;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.EnumSet;
import java.util.Set;

/**
 * Reads and writes proxy sets: a folder {@code <root>/<name>/} holding {@code manifest.json} and one JSONL
 * file per split (one JSON object per line): search and heldout, and validation when the manifest names one.
 * Retrieval and pairs lines may name their {@code domain}; a retrieval line with a {@code passage} and no
 * {@code query} is a pool-only passage ({@link PoolPassage}). Reading is strict, since a typo in a data file
 * otherwise turns into a silently different score: unknown keys, missing keys, wrong types, repeated ids or
 * contents, a passage twice in one split, an empty split, a domain the manifest does not declare, a stated size
 * the files contradict and a choice index out of range are each refused in one line naming the file, the line and
 * the key ({@link TaskFormatException}). Blank lines are skipped but still counted, so that line numbers
 * match an editor's.
 *
 * <p>Writing gives the canonical form: the manifest indented by two spaces with the sizes it holds, items one
 * compact object per line with keys in {@link TaskKind#itemKeys()} order (then the domain, when the set has
 * several), a retrieval split's pool-only passages after its items, a newline at the end of every line.
 */
public final class ProxyTasks {

    public static final String MANIFEST = "manifest.json";

    private static final List<String> COMMON_KEYS = List.of("name", "kind", "metric", "metrics", "description", "splits");
    private static final List<String> GENERATION_KEYS = List.of("max_tokens", "stop");
    private static final List<String> OPTIONAL_KEYS = List.of("domains", "weighting", "provenance", "size");
    /** A retrieval line without a query: a pool-only passage. */
    private static final List<String> POOL_KEYS = List.of("id", "passage");
    /** Kinds whose lines may name a domain. */
    private static final Set<TaskKind> DOMAIN_KINDS = EnumSet.of(TaskKind.RETRIEVAL, TaskKind.PAIRS);

    // Duplicate keys in one object and trailing text after it are mistakes in hand-edited data, not variants.
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private ProxyTasks() {}

    // ---- reading ---------------------------------------------------------------------------------------

    /** Every set under {@code root}, by name; each non-hidden sub-folder must be a set. */
    public static List<ProxyTask> loadAll(Path root) {
        if (!Files.isDirectory(root)) throw new TaskFormatException(root, 0, null, "proxy-task root is not a folder");
        List<Path> dirs;
        try (Stream<Path> s = Files.list(root)) {
            dirs = s.filter(Files::isDirectory).filter(p -> !p.getFileName().toString().startsWith(".")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list " + root, e);
        }
        List<ProxyTask> tasks = new ArrayList<>();
        for (Path d : dirs) tasks.add(load(d));
        return tasks;
    }

    /** The set in folder {@code dir}, whose name must be the folder's. */
    public static ProxyTask load(Path dir) {
        Path manifestFile = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(manifestFile)) throw new TaskFormatException(manifestFile, 0, null, "missing: every set folder needs a manifest");
        JsonNode root = parse(manifestFile, 0, read(manifestFile));
        TaskManifest manifest = manifest(manifestFile, root, dir.getFileName().toString());
        boolean generation = manifest.kind() == TaskKind.GENERATION;
        int maxTokens = generation ? maxTokens(manifestFile, root) : 0;
        List<String> stop = generation ? strings(manifestFile, 0, root, "stop") : List.of();
        Map<Split, List<Line>> splits = new EnumMap<>(Split.class);
        for (Split s : manifest.splitList()) {
            Path file = dir.resolve(manifest.file(s));
            splits.put(s, readItems(file, manifest));
        }
        checkAcross(manifest, splits);
        checkSizes(manifestFile, manifest, splits);
        try {
            return switch (manifest.kind()) {
                case RETRIEVAL -> {
                    Map<Split, List<PoolPassage>> pools = new EnumMap<>(Split.class);
                    for (Split s : splits.keySet()) pools.put(s, splits.get(s).stream().filter(l -> l.item() instanceof PoolPassage).map(l -> (PoolPassage) l.item()).toList());
                    yield new ProxyTask.Retrieval(manifest, items(splits, RetrievalItem.class), pools);
                }
                case PAIRS -> new ProxyTask.Pairs(manifest, items(splits, PairItem.class));
                case CHOICE -> new ProxyTask.Choice(manifest, items(splits, ChoiceItem.class));
                case PERPLEXITY -> new ProxyTask.Perplexity(manifest, items(splits, TextItem.class));
                case GENERATION -> new ProxyTask.Generation(manifest, maxTokens, stop, items(splits, GenerationItem.class));
            };
        } catch (TaskItemException e) {
            // Item-level problems were reported above with their lines; what is left belongs to the manifest.
            throw new TaskFormatException(manifestFile, 0, e.key(), e.problem());
        }
    }

    /** An item (or a retrieval pool passage) and the line it came from. */
    private record Line(Path file, int line, Object item) {
        String where() { return file.getFileName() + ":" + line; }

        String id() { return item instanceof TaskItem t ? t.id() : ((PoolPassage) item).id(); }

        String domain() { return item instanceof TaskItem t ? t.domain() : ((PoolPassage) item).domain(); }
    }

    private static <T extends TaskItem> Map<Split, List<T>> items(Map<Split, List<Line>> splits, Class<T> type) {
        Map<Split, List<T>> out = new EnumMap<>(Split.class);
        for (Map.Entry<Split, List<Line>> e : splits.entrySet()) {
            out.put(e.getKey(), e.getValue().stream().filter(l -> type.isInstance(l.item())).map(l -> type.cast(l.item())).toList());
        }
        return out;
    }

    /** Stated sizes that disagree with the files, named in the manifest. */
    private static void checkSizes(Path file, TaskManifest m, Map<Split, List<Line>> splits) {
        for (Split s : splits.keySet()) {
            long items = splits.get(s).stream().filter(l -> l.item() instanceof TaskItem).count();
            long pool = splits.get(s).size();
            if (!m.sizes().isEmpty() && m.sizes().get(s) != items) {
                throw new TaskFormatException(file, 0, "size", s + ": states " + m.sizes().get(s) + " items but " + m.file(s) + " has " + items);
            }
            if (!m.pools().isEmpty() && m.pools().get(s) != pool) {
                throw new TaskFormatException(file, 0, "pool", s + ": states " + m.pools().get(s) + " passages but " + m.file(s) + " has " + pool);
            }
        }
    }

    private static TaskManifest manifest(Path file, JsonNode root, String folderName) {
        if (!root.isObject()) throw new TaskFormatException(file, 0, null, "expected a JSON object, found " + root.getNodeType());
        String kindKey = text(file, 0, root, "kind");
        TaskKind kind;
        try {
            kind = TaskKind.parse(kindKey);
        } catch (IllegalArgumentException e) {
            throw new TaskFormatException(file, 0, "kind", e.getMessage());
        }
        List<String> allowed = new ArrayList<>(COMMON_KEYS);
        if (kind == TaskKind.GENERATION) allowed.addAll(GENERATION_KEYS);
        List<String> optional = new ArrayList<>(OPTIONAL_KEYS);
        if (kind == TaskKind.RETRIEVAL) optional.add("pool");
        checkKeys(file, 0, root, allowed, optional);
        String name = text(file, 0, root, "name");
        if (!name.equals(folderName)) {
            throw new TaskFormatException(file, 0, "name", "\"" + name + "\" differs from the folder name \"" + folderName + "\"");
        }
        List<String> metrics = strings(file, 0, root, "metrics");
        JsonNode splitsNode = root.get("splits");
        if (!splitsNode.isObject()) {
            throw new TaskFormatException(file, 0, "splits", "expected an object {\"search\": file, \"validation\": file, \"heldout\": file}");
        }
        Map<Split, String> splits = new EnumMap<>(Split.class);
        for (Iterator<Map.Entry<String, JsonNode>> it = splitsNode.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Split s = split(file, "splits", e.getKey());
            if (!e.getValue().isTextual()) throw new TaskFormatException(file, 0, "splits", "file of split \"" + s + "\" must be a string");
            splits.put(s, e.getValue().asText());
        }
        List<String> domains = root.has("domains") ? strings(file, 0, root, "domains") : List.of();
        Weighting weighting = Weighting.ITEMS;
        if (root.has("weighting")) {
            try {
                weighting = Weighting.parse(text(file, 0, root, "weighting"));
            } catch (IllegalArgumentException e) {
                throw new TaskFormatException(file, 0, "weighting", e.getMessage());
            }
        }
        String provenance = root.has("provenance") ? text(file, 0, root, "provenance") : "";
        try {
            return new TaskManifest(name, kind, text(file, 0, root, "metric"), metrics, text(file, 0, root, "description"), splits,
                    domains, weighting, provenance, counts(file, root, "size"), counts(file, root, "pool"));
        } catch (TaskItemException e) {
            throw new TaskFormatException(file, 0, e.key(), e.problem());
        }
    }

    private static Split split(Path file, String key, String name) {
        try {
            return Split.parse(name);
        } catch (IllegalArgumentException ex) {
            throw new TaskFormatException(file, 0, key, ex.getMessage());
        }
    }

    /** {@code "size": {"search": 160, ...}}, or empty when the key is absent. */
    private static Map<Split, Integer> counts(Path file, JsonNode root, String key) {
        JsonNode n = root.get(key);
        if (n == null) return Map.of();
        if (!n.isObject()) throw new TaskFormatException(file, 0, key, "expected an object {\"search\": count, ...}");
        Map<Split, Integer> out = new EnumMap<>(Split.class);
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Split s = split(file, key, e.getKey());
            if (!e.getValue().isIntegralNumber() || !e.getValue().canConvertToInt()) {
                throw new TaskFormatException(file, 0, key, s + ": expected an integer count, found " + e.getValue());
            }
            out.put(s, e.getValue().intValue());
        }
        return out;
    }

    private static int maxTokens(Path file, JsonNode root) {
        JsonNode n = root.get("max_tokens");
        if (!n.isIntegralNumber() || !n.canConvertToInt()) throw new TaskFormatException(file, 0, "max_tokens", "expected an integer, found " + n);
        return n.intValue();
    }

    private static List<Line> readItems(Path file, TaskManifest manifest) {
        if (!Files.isRegularFile(file)) throw new TaskFormatException(file, 0, null, "missing: the manifest names it as a split");
        TaskKind kind = manifest.kind();
        String[] lines = read(file).split("\n", -1);
        List<Line> out = new ArrayList<>();
        boolean anyItem = false;
        for (int i = 0; i < lines.length; i++) {
            String text = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            if (text.isBlank()) continue;
            int line = i + 1;
            JsonNode node = parse(file, line, text);
            if (!node.isObject()) throw new TaskFormatException(file, line, null, "expected a JSON object, found " + node.getNodeType());
            boolean pool = kind == TaskKind.RETRIEVAL && !node.has("query");
            if (pool) checkKeys(file, line, node, POOL_KEYS, List.of("domain"));
            else checkKeys(file, line, node, kind.itemKeys(), DOMAIN_KINDS.contains(kind) ? List.of("domain") : List.of());
            try {
                Object item = pool ? new PoolPassage(text(file, line, node, "id"), text(file, line, node, "passage"), domain(file, line, node))
                        : item(file, line, node, kind);
                out.add(new Line(file, line, item));
                anyItem |= !pool;
            } catch (TaskItemException e) {
                String id = node.path("id").isTextual() ? " (id \"" + node.get("id").asText() + "\")" : "";
                throw new TaskFormatException(file, line, e.key(), e.problem() + id);
            }
        }
        if (out.isEmpty()) throw new TaskFormatException(file, 0, null, "empty split: no items");
        if (!anyItem) throw new TaskFormatException(file, 0, null, "no queries: every line is a pool passage (a line with a query is an item)");
        return out;
    }

    private static String domain(Path file, int line, JsonNode n) {
        return n.has("domain") ? text(file, line, n, "domain") : "";
    }

    private static TaskItem item(Path file, int line, JsonNode n, TaskKind kind) {
        String id = text(file, line, n, "id");
        return switch (kind) {
            case RETRIEVAL -> new RetrievalItem(id, text(file, line, n, "query"), text(file, line, n, "passage"), domain(file, line, n));
            case PAIRS -> {
                JsonNode s = n.get("score");
                if (!s.isNumber()) throw new TaskFormatException(file, line, "score", "expected a number, found " + s + " (id \"" + id + "\")");
                yield new PairItem(id, text(file, line, n, "a"), text(file, line, n, "b"), s.doubleValue(), domain(file, line, n));
            }
            case CHOICE -> {
                JsonNode a = n.get("answer");
                if (!a.isIntegralNumber() || !a.canConvertToInt()) {
                    throw new TaskFormatException(file, line, "answer", "expected the index of the right choice, found " + a + " (id \"" + id + "\")");
                }
                yield new ChoiceItem(id, text(file, line, n, "context"), strings(file, line, n, "choices"), a.intValue());
            }
            case GENERATION -> new GenerationItem(id, text(file, line, n, "prompt"), text(file, line, n, "answer"));
            case PERPLEXITY -> new TextItem(id, text(file, line, n, "text"));
        };
    }

    /**
     * Repeated ids and contents over every file, repeated passages within a retrieval split (its items' and
     * its pool's), and domains the manifest does not declare, reported at the second occurrence with the
     * first one's place.
     */
    private static void checkAcross(TaskManifest manifest, Map<Split, List<Line>> splits) {
        TaskKind kind = manifest.kind();
        List<String> domains = manifest.domains();
        Map<String, Line> ids = new HashMap<>(), contents = new HashMap<>();
        for (Split s : splits.keySet()) {
            Map<String, Line> passages = new HashMap<>();
            for (Line l : splits.get(s)) {
                Line first = ids.putIfAbsent(l.id(), l);
                if (first != null) throw new TaskFormatException(l.file(), l.line(), "id", "duplicate id \"" + l.id() + "\", first at " + first.where());
                String d = l.domain();
                if (!d.isEmpty() && !domains.contains(d)) {
                    throw new TaskFormatException(l.file(), l.line(), "domain", "\"" + d + "\" is not declared in the manifest's domains "
                            + domains + " (id \"" + l.id() + "\")");
                }
                if (d.isEmpty() && domains.size() > 1) {
                    throw new TaskFormatException(l.file(), l.line(), "domain", "missing: the set has several domains " + domains + " (id \"" + l.id() + "\")");
                }
                String passage = null;
                if (l.item() instanceof TaskItem item) {
                    first = contents.putIfAbsent(item.content(), l);
                    if (first != null) {
                        throw new TaskFormatException(l.file(), l.line(), ProxyTask.contentKey(kind),
                                "item \"" + item.id() + "\" repeats item \"" + first.id() + "\" at " + first.where());
                    }
                    if (item instanceof RetrievalItem r) passage = r.passage();
                } else {
                    passage = ((PoolPassage) l.item()).passage();
                }
                if (passage != null) {
                    first = passages.putIfAbsent(passage, l);
                    if (first != null) {
                        throw new TaskFormatException(l.file(), l.line(), "passage", "\"" + l.id() + "\" has the passage of \""
                                + first.id() + "\" at " + first.where() + "; the relevant passage would be ambiguous");
                    }
                }
            }
        }
    }

    /** Exactly {@code keys}, and some of {@code optional}: an unknown key is most often a misspelt known one. */
    private static void checkKeys(Path file, int line, JsonNode n, List<String> keys, List<String> optional) {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!keys.contains(k) && !optional.contains(k)) {
                String expected = optional.isEmpty() ? keys.toString() : keys + " and optionally " + optional;
                throw new TaskFormatException(file, line, k, "unknown key; expected " + expected + idOf(n));
            }
        }
        for (String k : keys) if (!n.has(k) || n.get(k).isNull()) throw new TaskFormatException(file, line, k, "missing" + idOf(n));
    }

    private static String idOf(JsonNode n) {
        return n.path("id").isTextual() ? " (id \"" + n.get("id").asText() + "\")" : "";
    }

    private static String text(Path file, int line, JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (v == null || v.isNull()) throw new TaskFormatException(file, line, key, "missing" + idOf(n));
        if (!v.isTextual()) throw new TaskFormatException(file, line, key, "expected a string, found " + v.getNodeType() + idOf(n));
        return v.asText();
    }

    private static List<String> strings(Path file, int line, JsonNode n, String key) {
        JsonNode v = n.get(key);
        if (v == null || !v.isArray()) throw new TaskFormatException(file, line, key, "expected an array of strings" + idOf(n));
        List<String> out = new ArrayList<>();
        for (JsonNode e : v) {
            if (!e.isTextual()) throw new TaskFormatException(file, line, key, "expected strings, found " + e + idOf(n));
            out.add(e.asText());
        }
        return out;
    }

    private static JsonNode parse(Path file, int line, String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new TaskFormatException(file, line, null, "not valid JSON: " + e.getOriginalMessage().lines().findFirst().orElse(""));
        }
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (CharacterCodingException e) {
            throw new TaskFormatException(file, 0, null, "not UTF-8 text");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    // ---- writing ---------------------------------------------------------------------------------------

    /** Writes {@code task} into folder {@code dir} (created if needed) in the canonical form. */
    public static void write(Path dir, ProxyTask task) {
        TaskManifest m = task.manifest();
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(MANIFEST), manifestJson(task) + "\n", StandardCharsets.UTF_8);
            boolean domains = m.domains().size() > 1;
            for (Split s : task.splits()) {
                StringBuilder sb = new StringBuilder();
                for (TaskItem item : task.items(s)) sb.append(JSON.writeValueAsString(json(item, domains))).append('\n');
                if (task instanceof ProxyTask.Retrieval r) {
                    for (PoolPassage p : r.pool(s)) sb.append(JSON.writeValueAsString(json(p, domains))).append('\n');
                }
                Files.writeString(dir.resolve(m.file(s)), sb.toString(), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write proxy set " + m.name() + " to " + dir, e);
        }
    }

    /**
     * The manifest as written: name, kind, metric, metrics, description, domains (when declared), weighting
     * (when not items), provenance (when said), splits, size, pool (retrieval), then the generation limits.
     */
    public static String manifestJson(ProxyTask task) {
        TaskManifest m = task.manifest();
        ObjectNode root = JSON.createObjectNode();
        root.put("name", m.name());
        root.put("kind", m.kind().key());
        root.put("metric", m.metric());
        ArrayNode metrics = root.putArray("metrics");
        m.metrics().forEach(metrics::add);
        root.put("description", m.description());
        if (!m.domains().isEmpty()) {
            ArrayNode domains = root.putArray("domains");
            m.domains().forEach(domains::add);
        }
        if (m.weighting() != Weighting.ITEMS) root.put("weighting", m.weighting().key());
        if (!m.provenance().isEmpty()) root.put("provenance", m.provenance());
        ObjectNode splits = root.putObject("splits");
        for (Split s : task.splits()) splits.put(s.key(), m.file(s));
        ObjectNode size = root.putObject("size");
        for (Split s : task.splits()) size.put(s.key(), task.items(s).size());
        if (task instanceof ProxyTask.Retrieval r) {
            ObjectNode pool = root.putObject("pool");
            for (Split s : task.splits()) pool.put(s.key(), r.passages(s).size());
        }
        if (task instanceof ProxyTask.Generation g) {
            root.put("max_tokens", g.maxTokens());
            ArrayNode stop = root.putArray("stop");
            g.stop().forEach(stop::add);
        }
        try {
            return pretty(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One item as a JSON object with keys in {@link TaskKind#itemKeys()} order, without its domain. */
    public static ObjectNode json(TaskItem item) { return json(item, false); }

    /** One item as a JSON object with keys in {@link TaskKind#itemKeys()} order, then its domain when asked and set. */
    public static ObjectNode json(TaskItem item, boolean withDomain) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", item.id());
        switch (item) {
            case RetrievalItem r -> o.put("query", r.query()).put("passage", r.passage());
            case PairItem p -> o.put("a", p.a()).put("b", p.b()).put("score", p.score());
            case ChoiceItem c -> {
                o.put("context", c.context());
                ArrayNode a = o.putArray("choices");
                c.choices().forEach(a::add);
                o.put("answer", c.answer());
            }
            case GenerationItem g -> o.put("prompt", g.prompt()).put("answer", g.answer());
            case TextItem t -> o.put("text", t.text());
        }
        if (withDomain && !item.domain().isEmpty()) o.put("domain", item.domain());
        return o;
    }

    /** A pool passage: {@code {"id", "passage"}} and its domain when asked and set. */
    public static ObjectNode json(PoolPassage p, boolean withDomain) {
        ObjectNode o = JSON.createObjectNode();
        o.put("id", p.id()).put("passage", p.passage());
        if (withDomain && !p.domain().isEmpty()) o.put("domain", p.domain());
        return o;
    }

    /** Two-space indentation, one array element per line, {@code "key": value}. */
    private static String pretty(JsonNode n) throws JsonProcessingException {
        DefaultIndenter indent = new DefaultIndenter("  ", "\n");
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
                .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER));
        printer.indentObjectsWith(indent);
        printer.indentArraysWith(indent);
        return JSON.writer(printer).writeValueAsString(n);
    }
}
