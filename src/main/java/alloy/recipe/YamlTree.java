package alloy.recipe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.math.BigInteger;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;

/**
 * A recipe's YAML read into a Jackson tree the way YAML, and so mergekit (PyYAML's safe_load), reads it.
 * Jackson's own YAML tree reader gets three things wrong for recipes: it reports an alias as a string holding
 * the anchor's name ({@code filter: *attn} read as the literal "attn"; scalar anchors are not even recorded),
 * it keeps the last of two equal keys silently, and it ignores {@code <<} merge keys. So the document is
 * composed by SnakeYAML (the parser under Jackson's) into a node graph, where an alias is the anchored node
 * itself, and converted here:
 * <ul>
 *   <li>aliases share the anchored value; the values they stand for count towards {@link #MAX_VALUES}, so a
 *       "billion laughs" document is refused instead of expanded, and an alias inside its own anchor is refused;</li>
 *   <li>a key written twice in one mapping is refused naming both lines (YAML 1.2, 3.2.1.1: keys are unique);</li>
 *   <li>{@code <<: *anchor} (YAML 1.1 merge key) copies the anchored mapping's entries the mapping does not give;</li>
 *   <li>scalars are typed by YAML 1.1's rules, as PyYAML types them ({@code yes} is true, {@code 1_000} is 1000).</li>
 * </ul>
 */
public final class YamlTree {

    /** Scalars, lists and mappings a recipe may expand to through aliases; real recipes have a few hundred. */
    static final long MAX_VALUES = 100_000;

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final String label;
    private final Scalars scalars = new Scalars();
    /** Converted nodes by identity: an alias is the same Node object as its anchor. */
    private final Map<Node, Converted> done = new IdentityHashMap<>();
    private final Map<Node, Boolean> inProgress = new IdentityHashMap<>();
    private long values;

    private record Converted(JsonNode node, long size) {}

    /** SafeConstructor's YAML 1.1 scalar typing (int forms, floats with .inf / .nan, booleans), nothing else. */
    private static final class Scalars extends SafeConstructor {
        Scalars() { super(new LoaderOptions()); }

        Object of(ScalarNode n) { return constructObject(n); }
    }

    private YamlTree(String label) { this.label = label; }

    /**
     * Every document of {@code text}, in order (mergekit's multi-document recipes); empty documents are
     * left out. Each document is checked as {@link #read} checks one.
     */
    static List<JsonNode> readAll(String text, String label) {
        List<Node> roots = new ArrayList<>();
        try {
            for (Node n : new Yaml(new LoaderOptions()).composeAll(new StringReader(text))) if (n != null) roots.add(n);
        } catch (RuntimeException e) {
            throw new RecipeException(label + ": not valid YAML: " + oneLine(e), e);
        }
        List<JsonNode> out = new ArrayList<>();
        for (int i = 0; i < roots.size(); i++) {
            String where = roots.size() == 1 ? label : label + " (document " + (i + 1) + ")";
            YamlTree t = new YamlTree(where);
            try {
                out.add(t.convert(roots.get(i), ""));
            } catch (RecipeException e) {
                throw e;
            } catch (RuntimeException e) {
                throw new RecipeException(where + ": not valid YAML: " + oneLine(e), e);
            }
        }
        return out;
    }

    /** The single document of {@code text}; null when the text holds none. */
    static JsonNode read(String text, String label) {
        Node root;
        try {
            LoaderOptions opts = new LoaderOptions();
            root = new Yaml(opts).compose(new StringReader(text));
        } catch (RuntimeException e) {
            // SnakeYAML's YAMLException and its subclasses carry the line and column in the message
            throw new RecipeException(label + ": not valid YAML: " + oneLine(e), e);
        }
        if (root == null) return null;
        YamlTree t = new YamlTree(label);
        try {
            return t.convert(root, "");
        } catch (RecipeException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new RecipeException(label + ": not valid YAML: " + oneLine(e), e);
        }
    }

    /**
     * The one YAML mapping of a configuration file other than a recipe (a search, a learning run), read as
     * recipes are (anchors and merge keys as PyYAML reads them, a key written twice refused with both lines),
     * refusing any top-level key outside {@code keys}; {@code what} says what the file is in the error.
     */
    public static JsonNode mapping(String text, String label, String what, Set<String> keys) {
        return mapping(read(text, label), label, what, keys);
    }

    /** {@code root} (a document already read; null for none) checked as {@link #mapping(String, String, String, Set)} checks a file's one document. */
    public static JsonNode mapping(JsonNode root, String label, String what, Set<String> keys) {
        if (root == null || !root.isObject()) throw new RecipeException(label + ": " + what);
        for (var it = root.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!keys.contains(k)) throw new RecipeException(label + ": unknown key '" + k + "' (known: " + String.join(", ", keys.stream().sorted().toList()) + ")");
        }
        return root;
    }

    /** A configuration key's list of strings, or one string as a list of one (e.g. filters); absent: empty. */
    public static List<String> strings(JsonNode n, String key, String label) {
        if (n == null) return List.of();
        if (n.isTextual()) return List.of(n.asText());
        if (!n.isArray()) throw new RecipeException(label + ": '" + key + "' is a list of strings, found " + n);
        List<String> out = new ArrayList<>();
        for (JsonNode e : n) {
            if (!e.isTextual()) throw new RecipeException(label + ": '" + key + "' is a list of strings, found " + e);
            out.add(e.asText());
        }
        return out;
    }

    /** The text of a configuration file; an unreadable file is a one-line error naming it. */
    public static String text(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new RecipeException(file + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static String oneLine(Exception e) {
        String m = e.getMessage();
        if (m == null) return e.getClass().getSimpleName();
        return String.join(" ", m.lines().map(String::strip).filter(s -> !s.isEmpty() && !s.startsWith("^")).limit(3).toList());
    }

    private static int line(Node n) { return n.getStartMark() == null ? 0 : n.getStartMark().getLine() + 1; }

    private static String where(String path) { return path.isEmpty() ? "the document" : "'" + path + "'"; }

    private JsonNode convert(Node n, String path) {
        Converted c = done.get(n);
        if (c != null) {
            count(c.size(), n, path);
            return c.node();
        }
        if (inProgress.put(n, Boolean.TRUE) != null) {
            throw new RecipeException(label + ": alias at line " + line(n) + " (" + where(path) + ") refers to a value that contains it");
        }
        long before = values;
        JsonNode out = switch (n) {
            case MappingNode m -> mapping(m, path);
            case SequenceNode s -> sequence(s, path);
            case ScalarNode s -> scalar(s, path);
            default -> throw new RecipeException(label + ": unsupported YAML node at line " + line(n) + " (" + where(path) + ")");
        };
        count(1, n, path);
        inProgress.remove(n);
        done.put(n, new Converted(out, values - before));
        return out;
    }

    private void count(long n, Node at, String path) {
        values += n;
        if (values > MAX_VALUES) {
            throw new RecipeException(label + ": more than " + MAX_VALUES + " values once aliases are expanded (at line " + line(at) + ", "
                    + where(path) + "); a recipe this large is malformed");
        }
    }

    private JsonNode scalar(ScalarNode s, String path) {
        Object v;
        try {
            v = scalars.of(s);
        } catch (RuntimeException e) {
            throw new RecipeException(label + ": value at line " + line(s) + " (" + where(path) + ") cannot be read: " + oneLine(e), e);
        }
        return switch (v) {
            case null -> NODES.nullNode();
            case Boolean b -> NODES.booleanNode(b);
            case Integer i -> NODES.numberNode(i);
            case Long l -> NODES.numberNode(l);
            case BigInteger b -> NODES.numberNode(b);
            case Double d -> NODES.numberNode(d);
            case Float f -> NODES.numberNode(f.doubleValue());
            case String str -> NODES.textNode(str);
            default -> NODES.textNode(s.getValue());   // timestamps, binary: their text as written
        };
    }

    private ObjectNode mapping(MappingNode m, String path) {
        ObjectNode obj = NODES.objectNode();
        Map<String, Integer> lines = new LinkedHashMap<>();
        ObjectNode merged = NODES.objectNode();
        for (NodeTuple t : m.getValue()) {
            Node k = t.getKeyNode();
            if (!(k instanceof ScalarNode ks)) {
                throw new RecipeException(label + ": key at line " + line(k) + " in " + where(path) + " is a list or mapping; keys are text");
            }
            String key = ks.getValue();
            int at = line(k);
            Integer first = lines.putIfAbsent(key, at);
            if (first != null) {
                throw new RecipeException(label + ": key '" + key + "' appears twice in " + where(path) + " (lines " + first + " and " + at + ")");
            }
            String child = path.isEmpty() ? key : path + "." + key;
            JsonNode v = convert(t.getValueNode(), child);
            if (ks.getTag().equals(Tag.MERGE)) mergeInto(merged, v, child, at);
            else obj.set(key, v);
        }
        // YAML 1.1 merge: the mapping's own keys win over merged ones, wherever the << stands
        for (Iterator<Map.Entry<String, JsonNode>> it = merged.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!obj.has(e.getKey())) obj.set(e.getKey(), e.getValue());
        }
        return obj;
    }

    /** What a merge key brings in: one mapping, or a list of mappings where earlier ones win. */
    private void mergeInto(ObjectNode into, JsonNode v, String path, int at) {
        for (JsonNode m : v.isArray() ? v : NODES.arrayNode().add(v)) {
            if (!m.isObject()) {
                throw new RecipeException(label + ": merge key '<<' at line " + at + " (" + where(path) + ") must be a mapping or a list of mappings");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext(); ) {
                var e = it.next();
                if (!into.has(e.getKey())) into.set(e.getKey(), e.getValue());
            }
        }
    }

    private ArrayNode sequence(SequenceNode s, String path) {
        ArrayNode arr = NODES.arrayNode();
        int i = 0;
        for (Node e : s.getValue()) arr.add(convert(e, path + "[" + i++ + "]"));
        return arr;
    }
}
