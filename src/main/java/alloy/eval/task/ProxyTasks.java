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

/**
 * Reads and writes proxy sets: a folder {@code <root>/<name>/} holding {@code manifest.json} and one JSONL
 * file per split (one JSON object per line). Reading is strict, since a typo in a data file otherwise turns
 * into a silently different score: unknown keys, missing keys, wrong types, repeated ids or contents, an
 * empty split and a choice index out of range are each refused in one line naming the file, the line and
 * the key ({@link TaskFormatException}). Blank lines are skipped but still counted, so that line numbers
 * match an editor's.
 *
 * <p>Writing gives the canonical form the shipped sets are in: the manifest indented by two spaces, items one
 * compact object per line with keys in {@link TaskKind#itemKeys()} order, a newline at the end of every line.
 */
public final class ProxyTasks {

    public static final String MANIFEST = "manifest.json";

    private static final List<String> COMMON_KEYS = List.of("name", "kind", "metric", "metrics", "description", "splits");
    private static final List<String> GENERATION_KEYS = List.of("max_tokens", "stop");

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
        Map<Split, List<Line<? extends TaskItem>>> splits = new EnumMap<>(Split.class);
        for (Split s : Split.values()) {
            Path file = dir.resolve(manifest.file(s));
            splits.put(s, readItems(file, manifest.kind()));
        }
        checkAcross(manifest.kind(), splits);
        try {
            return switch (manifest.kind()) {
                case RETRIEVAL -> new ProxyTask.Retrieval(manifest, items(splits, Split.SEARCH, RetrievalItem.class), items(splits, Split.HELDOUT, RetrievalItem.class));
                case PAIRS -> new ProxyTask.Pairs(manifest, items(splits, Split.SEARCH, PairItem.class), items(splits, Split.HELDOUT, PairItem.class));
                case CHOICE -> new ProxyTask.Choice(manifest, items(splits, Split.SEARCH, ChoiceItem.class), items(splits, Split.HELDOUT, ChoiceItem.class));
                case PERPLEXITY -> new ProxyTask.Perplexity(manifest, items(splits, Split.SEARCH, TextItem.class), items(splits, Split.HELDOUT, TextItem.class));
                case GENERATION -> new ProxyTask.Generation(manifest, maxTokens, stop,
                        items(splits, Split.SEARCH, GenerationItem.class), items(splits, Split.HELDOUT, GenerationItem.class));
            };
        } catch (TaskItemException e) {
            // Item-level problems were reported above with their lines; what is left belongs to the manifest.
            throw new TaskFormatException(manifestFile, 0, e.key(), e.problem());
        }
    }

    /** An item and the line it came from. */
    private record Line<T extends TaskItem>(Path file, int line, T item) {
        String where() { return file.getFileName() + ":" + line; }
    }

    private static <T extends TaskItem> List<T> items(Map<Split, List<Line<? extends TaskItem>>> splits, Split s, Class<T> type) {
        return splits.get(s).stream().map(l -> type.cast(l.item())).toList();
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
        checkKeys(file, 0, root, allowed);
        String name = text(file, 0, root, "name");
        if (!name.equals(folderName)) {
            throw new TaskFormatException(file, 0, "name", "\"" + name + "\" differs from the folder name \"" + folderName + "\"");
        }
        List<String> metrics = strings(file, 0, root, "metrics");
        JsonNode splitsNode = root.get("splits");
        if (!splitsNode.isObject()) throw new TaskFormatException(file, 0, "splits", "expected an object {\"search\": file, \"heldout\": file}");
        Map<Split, String> splits = new EnumMap<>(Split.class);
        for (Iterator<Map.Entry<String, JsonNode>> it = splitsNode.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Split s;
            try {
                s = Split.parse(e.getKey());
            } catch (IllegalArgumentException ex) {
                throw new TaskFormatException(file, 0, "splits", ex.getMessage());
            }
            if (!e.getValue().isTextual()) throw new TaskFormatException(file, 0, "splits", "file of split \"" + s + "\" must be a string");
            splits.put(s, e.getValue().asText());
        }
        try {
            return new TaskManifest(name, kind, text(file, 0, root, "metric"), metrics, text(file, 0, root, "description"), splits);
        } catch (TaskItemException e) {
            throw new TaskFormatException(file, 0, e.key(), e.problem());
        }
    }

    private static int maxTokens(Path file, JsonNode root) {
        JsonNode n = root.get("max_tokens");
        if (!n.isIntegralNumber() || !n.canConvertToInt()) throw new TaskFormatException(file, 0, "max_tokens", "expected an integer, found " + n);
        return n.intValue();
    }

    private static List<Line<? extends TaskItem>> readItems(Path file, TaskKind kind) {
        if (!Files.isRegularFile(file)) throw new TaskFormatException(file, 0, null, "missing: the manifest names it as a split");
        String[] lines = read(file).split("\n", -1);
        List<Line<? extends TaskItem>> out = new ArrayList<>();
        for (int i = 0; i < lines.length; i++) {
            String text = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            if (text.isBlank()) continue;
            int line = i + 1;
            JsonNode node = parse(file, line, text);
            if (!node.isObject()) throw new TaskFormatException(file, line, null, "expected a JSON object, found " + node.getNodeType());
            checkKeys(file, line, node, kind.itemKeys());
            try {
                out.add(new Line<>(file, line, item(file, line, node, kind)));
            } catch (TaskItemException e) {
                String id = node.path("id").isTextual() ? " (id \"" + node.get("id").asText() + "\")" : "";
                throw new TaskFormatException(file, line, e.key(), e.problem() + id);
            }
        }
        if (out.isEmpty()) throw new TaskFormatException(file, 0, null, "empty split: no items");
        return out;
    }

    private static TaskItem item(Path file, int line, JsonNode n, TaskKind kind) {
        String id = text(file, line, n, "id");
        return switch (kind) {
            case RETRIEVAL -> new RetrievalItem(id, text(file, line, n, "query"), text(file, line, n, "passage"));
            case PAIRS -> {
                JsonNode s = n.get("score");
                if (!s.isNumber()) throw new TaskFormatException(file, line, "score", "expected a number, found " + s + " (id \"" + id + "\")");
                yield new PairItem(id, text(file, line, n, "a"), text(file, line, n, "b"), s.doubleValue());
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
     * Repeated ids and contents over both files, and repeated passages within a retrieval split, reported at
     * the second occurrence with the first one's place.
     */
    private static void checkAcross(TaskKind kind, Map<Split, List<Line<? extends TaskItem>>> splits) {
        Map<String, Line<?>> ids = new HashMap<>(), contents = new HashMap<>();
        for (Split s : Split.values()) {
            Map<String, Line<?>> passages = new HashMap<>();
            for (Line<? extends TaskItem> l : splits.get(s)) {
                TaskItem item = l.item();
                Line<?> first = ids.putIfAbsent(item.id(), l);
                if (first != null) throw new TaskFormatException(l.file(), l.line(), "id", "duplicate id \"" + item.id() + "\", first at " + first.where());
                first = contents.putIfAbsent(item.content(), l);
                if (first != null) {
                    throw new TaskFormatException(l.file(), l.line(), ProxyTask.contentKey(kind),
                            "item \"" + item.id() + "\" repeats item \"" + first.item().id() + "\" at " + first.where());
                }
                if (item instanceof RetrievalItem r) {
                    first = passages.putIfAbsent(r.passage(), l);
                    if (first != null) {
                        throw new TaskFormatException(l.file(), l.line(), "passage", "item \"" + item.id() + "\" has the passage of item \""
                                + first.item().id() + "\" at " + first.where() + "; the relevant passage would be ambiguous");
                    }
                }
            }
        }
    }

    /** Exactly {@code keys}: an unknown key is most often a misspelt known one. */
    private static void checkKeys(Path file, int line, JsonNode n, List<String> keys) {
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!keys.contains(k)) throw new TaskFormatException(file, line, k, "unknown key; expected " + keys + idOf(n));
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
        ObjectNode root = JSON.createObjectNode();
        root.put("name", m.name());
        root.put("kind", m.kind().key());
        root.put("metric", m.metric());
        ArrayNode metrics = root.putArray("metrics");
        m.metrics().forEach(metrics::add);
        root.put("description", m.description());
        ObjectNode splits = root.putObject("splits");
        for (Split s : Split.values()) splits.put(s.key(), m.file(s));
        if (task instanceof ProxyTask.Generation g) {
            root.put("max_tokens", g.maxTokens());
            ArrayNode stop = root.putArray("stop");
            g.stop().forEach(stop::add);
        }
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(MANIFEST), pretty(root) + "\n", StandardCharsets.UTF_8);
            for (Split s : Split.values()) {
                StringBuilder sb = new StringBuilder();
                for (TaskItem item : task.items(s)) sb.append(JSON.writeValueAsString(json(item))).append('\n');
                Files.writeString(dir.resolve(m.file(s)), sb.toString(), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write proxy set " + m.name() + " to " + dir, e);
        }
    }

    /** One item as a JSON object with keys in {@link TaskKind#itemKeys()} order. */
    public static ObjectNode json(TaskItem item) {
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
