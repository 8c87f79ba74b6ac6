package alloy.lora;

import alloy.io.CheckpointException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;
import java.util.Locale;

/**
 * A PEFT {@code adapter_config.json} for a LoRA adapter: the fields that decide what B·A means, plus the whole
 * JSON tree so that a combined adapter can be written as a copy of its first source with a few keys changed
 * (as PEFT's add_weighted_adapter does with {@code dataclasses.replace}).
 *
 * <p>Absent keys take PEFT's LoraConfig defaults (r 8, lora_alpha 8, use_rslora and fan_in_fan_out false).
 * {@code rank_pattern} and {@code alpha_pattern} override r and lora_alpha per module: the first key (in file
 * order) that matches the module name as {@code (.*\.)?(KEY)$} wins, which is PEFT's get_pattern_key
 * (peft/utils/other.py) applied to the module's name inside the base model.
 *
 * @param file         where the JSON came from, for errors
 * @param json         the whole tree, kept for writing combined adapters
 * @param r            the rank of every module not matched by rankPattern
 * @param loraAlpha    alpha of every module not matched by alphaPattern (PEFT allows non-integer values)
 * @param useRslora    scale = alpha / sqrt(r) (rank-stabilised LoRA, Kalajdzievski 2023) instead of alpha / r
 * @param fanInFanOut  the base layer stores its weight as (in, out), as GPT-2's Conv1D does, so delta = (B·A)^T
 * @param baseModel    {@code base_model_name_or_path}, informative only
 */
public record LoraConfig(Path file, ObjectNode json, int r, double loraAlpha, boolean useRslora, boolean fanInFanOut,
                         Map<String, Integer> rankPattern, Map<String, Double> alphaPattern, Optional<String> baseModel) {

    public static final String FILE_NAME = "adapter_config.json";

    static final ObjectMapper JSON = new ObjectMapper();

    public LoraConfig {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(json, "json of " + file);
        Objects.requireNonNull(baseModel, "baseModel of " + file);
        if (r <= 0) throw bad(file, "r", "a positive integer", String.valueOf(r));
        if (!Double.isFinite(loraAlpha)) throw bad(file, "lora_alpha", "a finite number", String.valueOf(loraAlpha));
        rankPattern = Collections.unmodifiableMap(new LinkedHashMap<>(rankPattern));
        alphaPattern = Collections.unmodifiableMap(new LinkedHashMap<>(alphaPattern));
        rankPattern.forEach((k, v) -> {
            if (v <= 0) throw bad(file, "rank_pattern['" + k + "']", "a positive integer", String.valueOf(v));
        });
        alphaPattern.forEach((k, v) -> {
            if (!Double.isFinite(v)) throw bad(file, "alpha_pattern['" + k + "']", "a finite number", String.valueOf(v));
        });
        // compile once here so that a bad pattern fails when the adapter is opened, naming the file
        for (String k : rankPattern.keySet()) pattern(file, "rank_pattern", k);
        for (String k : alphaPattern.keySet()) pattern(file, "alpha_pattern", k);
    }

    /** Reads and checks {@code file}. */
    public static LoraConfig read(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new CheckpointException(file + ": unreadable " + FILE_NAME + ": " + e.getMessage().lines().findFirst().orElse(""), e);
        }
        if (!(root instanceof ObjectNode o)) throw new CheckpointException(file + ": " + FILE_NAME + " is not a JSON object");
        return parse(file, o);
    }

    /** Interprets an adapter_config.json tree; refuses adapters that are not plain LoRA. */
    public static LoraConfig parse(Path file, ObjectNode json) {
        JsonNode type = json.get("peft_type");
        if (type != null && !type.isNull() && !type.asText().equals("LORA")) {
            throw new CheckpointException(file + ": peft_type is '" + type.asText() + "', expected 'LORA' (Alloy reads LoRA adapters only)");
        }
        if (json.path("use_dora").asBoolean(false)) {
            throw new CheckpointException(file + ": use_dora is true; DoRA adapters carry a magnitude vector that Alloy does not fold or combine");
        }
        JsonNode params = json.get("target_parameters");
        if (params != null && params.isArray() && !params.isEmpty()) {
            throw new CheckpointException(file + ": target_parameters is set; LoRA on bare nn.Parameters is not supported (PEFT's add_weighted_adapter refuses it too)");
        }
        int r = intField(file, json, "r", 8);
        double alpha = numberField(file, json, "lora_alpha", 8);
        Map<String, Integer> ranks = new LinkedHashMap<>();
        for (var e : fields(file, json, "rank_pattern").entrySet()) {
            if (!e.getValue().canConvertToInt()) throw bad(file, "rank_pattern['" + e.getKey() + "']", "an integer", e.getValue().toString());
            ranks.put(e.getKey(), e.getValue().asInt());
        }
        Map<String, Double> alphas = new LinkedHashMap<>();
        for (var e : fields(file, json, "alpha_pattern").entrySet()) {
            if (!e.getValue().isNumber()) throw bad(file, "alpha_pattern['" + e.getKey() + "']", "a number", e.getValue().toString());
            alphas.put(e.getKey(), e.getValue().asDouble());
        }
        JsonNode base = json.get("base_model_name_or_path");
        return new LoraConfig(file, json, r, alpha, json.path("use_rslora").asBoolean(false), json.path("fan_in_fan_out").asBoolean(false),
                ranks, alphas, base == null || base.isNull() ? Optional.empty() : Optional.of(base.asText()));
    }

    /** The rank PEFT gives {@code module} (its name inside the base model, e.g. model.layers.0.self_attn.q_proj). */
    public int rankFor(String module) {
        return matching(rankPattern, "rank_pattern", module).map(rankPattern::get).orElse(r);
    }

    public double alphaFor(String module) {
        return matching(alphaPattern, "alpha_pattern", module).map(alphaPattern::get).orElse(loraAlpha);
    }

    /** PEFT's LoraLayer.update_layer: alpha / sqrt(r) with use_rslora, else alpha / r. */
    public double scaleFor(String module) {
        int rank = rankFor(module);
        double alpha = alphaFor(module);
        return useRslora ? alpha / Math.sqrt(rank) : alpha / rank;
    }

    /** The largest rank any module may have: what PEFT checks and sums in add_weighted_adapter. */
    public int maxRank() {
        int m = r;
        for (int v : rankPattern.values()) m = Math.max(m, v);
        return m;
    }

    private Optional<String> matching(Map<String, ?> patterns, String key, String module) {
        for (String k : patterns.keySet()) {
            if (matches(pattern(file, key, k), module, file, key, k)) return Optional.of(k);
        }
        return Optional.empty();
    }

    /**
     * Character reads one match may make. A module name is under a few hundred characters and a sane pattern
     * reads each a few times. The JDK's regex engine memoizes plain nested loops such as {@code (a+)+b}, but not
     * counted repeats: {@code (.*a){30}b} against a name ending in 40 a's makes over 2e9 reads (minutes), which
     * would hang the open of an adapter. java.util.regex has no timeout, but reads its input only
     * through CharSequence.charAt, so a counting CharSequence bounds the work.
     */
    static final long MATCH_BUDGET = 10_000_000;

    /** Thrown from inside the regex engine when a match has read {@link #MATCH_BUDGET} characters. */
    private static final class BudgetExhausted extends RuntimeException {
        BudgetExhausted() { super(null, null, false, false); }
    }

    /** A string whose characters can be read a bounded number of times in all. */
    private static final class Budgeted implements CharSequence {
        private final String s;
        private long left;

        Budgeted(String s, long budget) {
            this.s = s;
            this.left = budget;
        }

        @Override public int length() { return s.length(); }

        @Override public char charAt(int i) {
            if (--left < 0) throw new BudgetExhausted();
            return s.charAt(i);
        }

        @Override public CharSequence subSequence(int start, int end) { return s.subSequence(start, end); }

        @Override public String toString() { return s; }
    }

    private static boolean matches(Pattern p, String module, Path file, String key, String k) {
        try {
            return p.matcher(new Budgeted(module, MATCH_BUDGET)).matches();
        } catch (BudgetExhausted | StackOverflowError e) {
            throw new CheckpointException(file + ": " + key + " key '" + brief(k) + "' did not finish matching module '" + module
                    + "' within " + MATCH_BUDGET + " character reads (catastrophic backtracking); simplify the regular expression");
        }
    }

    /** Longest pattern key accepted: PEFT's keys are module names or short regular expressions. */
    static final int MAX_KEY_LENGTH = 1000;

    private static Pattern pattern(Path file, String key, String k) {
        if (k.length() > MAX_KEY_LENGTH) {
            throw new CheckpointException(file + ": " + key + " key '" + brief(k) + "' is " + k.length() + " characters long, over "
                    + MAX_KEY_LENGTH + "; keys are module names or short regular expressions");
        }
        try {
            // PEFT: re.match(rf"(.*\.)?({key})$", module); matches() anchors both ends, as re.match plus $ does.
            return Pattern.compile("(.*\\.)?(" + k + ")");
        } catch (PatternSyntaxException e) {
            throw new CheckpointException(file + ": " + key + " key '" + brief(k) + "' is not a valid regular expression: " + e.getDescription());
        } catch (StackOverflowError e) {
            // the compiler recurses once per nesting level; a thousand characters of '(' is enough on a small stack
            throw new CheckpointException(file + ": " + key + " key '" + brief(k) + "' nests too deeply to compile");
        }
    }

    private static String brief(String k) { return k.length() <= 80 ? k : k.substring(0, 77) + "..."; }

    private static Map<String, JsonNode> fields(Path file, ObjectNode json, String key) {
        JsonNode n = json.get(key);
        Map<String, JsonNode> out = new LinkedHashMap<>();
        if (n == null || n.isNull()) return out;
        if (!n.isObject()) throw bad(file, key, "an object", n.getNodeType().toString().toLowerCase(Locale.ROOT));
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            var e = it.next();
            out.put(e.getKey(), e.getValue());
        }
        return out;
    }

    private static int intField(Path file, ObjectNode json, String key, int fallback) {
        JsonNode n = json.get(key);
        if (n == null || n.isNull()) return fallback;
        if (!n.canConvertToInt() || (n.isFloatingPointNumber() && n.asDouble() != Math.rint(n.asDouble()))) {
            throw bad(file, key, "an integer", n.toString());
        }
        return n.asInt();
    }

    private static double numberField(Path file, ObjectNode json, String key, double fallback) {
        JsonNode n = json.get(key);
        if (n == null || n.isNull()) return fallback;
        if (!n.isNumber()) throw bad(file, key, "a number", n.toString());
        return n.asDouble();
    }

    private static CheckpointException bad(Path file, String key, String expected, String found) {
        return new CheckpointException(file + ": '" + key + "' must be " + expected + ", found " + found);
    }
}
