package alloy.eval.embed;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a sentence encoder is used, per its model card: how token states are pooled, whether the vector is
 * L2-normalized, which prefix goes in front of retrieval queries, retrieval passages and the two sides of a
 * symmetric pair (semantic similarity), and how many tokens a text keeps.
 *
 * <p>The profile belongs to the evaluation, not to a checkpoint: a merge of models that pool differently
 * (bge's CLS with e5's mean) is scored with whichever profile the user names. Known profiles:
 * <ul>
 *   <li>{@code bge}: CLS, normalized; queries get {@value #BGE_QUERY_INSTRUCTION}, passages and pairs nothing;
 *       512 tokens. The instruction is what the bge-small-en (v1) card prescribes for short-query retrieval.
 *       The v1.5 card calls it optional (v1.5 retrieves well without it, a little better with it), so one
 *       profile with the instruction serves v1, v1.5 and merges of the two alike;
 *       {@code bge-noinstruct} is the other choice.</li>
 *   <li>{@code e5}: mean pooling, normalized; {@code "query: "} and {@code "passage: "}; the e5 card asks
 *       for {@code "query: "} on both sides of symmetric tasks, so pairs get it too; 512 tokens.</li>
 *   <li>{@code minilm}: mean pooling, no prefixes, 256 tokens (the sentence-transformers limit of
 *       all-MiniLM-L6-v2). Normalized: the card's pipeline ends in a Normalize module (scoring uses
 *       cosine, which normalization does not change).</li>
 * </ul>
 * Anything else is spelled out: {@code pooling=cls,query_prefix=...,passage_prefix=...,pair_prefix=...,
 * normalize=true,max_length=512}, optionally after a known name whose settings it overrides
 * ({@code e5,max_length=128}). Values run to the next {@code ,key=}; a value in double quotes keeps
 * leading and trailing spaces.
 *
 * @param name how reports refer to it: the known name, or the spec it was parsed from
 * @param maxLength tokens per text, special tokens included
 */
public record EncoderProfile(String name, Pooling pooling, boolean normalize, String queryPrefix, String passagePrefix,
                             String pairPrefix, int maxLength) {

    public static final String BGE_QUERY_INSTRUCTION = "Represent this sentence for searching relevant passages: ";

    public static final EncoderProfile BGE = new EncoderProfile("bge", Pooling.CLS, true, BGE_QUERY_INSTRUCTION, "", "", 512);
    public static final EncoderProfile BGE_NO_INSTRUCTION = new EncoderProfile("bge-noinstruct", Pooling.CLS, true, "", "", "", 512);
    public static final EncoderProfile E5 = new EncoderProfile("e5", Pooling.MEAN, true, "query: ", "passage: ", "query: ", 512);
    public static final EncoderProfile MINILM = new EncoderProfile("minilm", Pooling.MEAN, true, "", "", "", 256);

    private static final Map<String, EncoderProfile> KNOWN = known();

    private static final String KEYS = "pooling|normalize|query_prefix|passage_prefix|pair_prefix|max_length";
    private static final Pattern SETTING = Pattern.compile("\\s*(" + KEYS + ")\\s*=(.*?)(?=,\\s*(?:" + KEYS + ")\\s*=|$)", Pattern.DOTALL);

    public EncoderProfile {
        Objects.requireNonNull(name, "profile name");
        Objects.requireNonNull(pooling, "pooling of profile " + name);
        Objects.requireNonNull(queryPrefix, "query prefix of profile " + name);
        Objects.requireNonNull(passagePrefix, "passage prefix of profile " + name);
        Objects.requireNonNull(pairPrefix, "pair prefix of profile " + name);
        if (name.isBlank()) throw new IllegalArgumentException("profile name is blank");
        if (maxLength < 2) throw new IllegalArgumentException("profile " + name + ": max length expected >= 2 ([CLS] and [SEP]), found " + maxLength);
    }

    private static Map<String, EncoderProfile> known() {
        Map<String, EncoderProfile> m = new LinkedHashMap<>();
        for (EncoderProfile p : new EncoderProfile[] {BGE, BGE_NO_INSTRUCTION, E5, MINILM}) m.put(p.name(), p);
        return Map.copyOf(m);
    }

    /** The named profiles: bge, bge-noinstruct, e5, minilm. */
    public static Map<String, EncoderProfile> knownProfiles() { return KNOWN; }

    /** A known name, or settings as described above (after an optional known name). */
    public static EncoderProfile parse(String spec) {
        String s = spec.strip();
        EncoderProfile known = KNOWN.get(s.toLowerCase(Locale.ROOT));
        if (known != null) return known;
        EncoderProfile base = null;
        String settings = s;
        int comma = s.indexOf(',');
        String head = (comma < 0 ? s : s.substring(0, comma)).strip();
        if (!head.contains("=")) {
            base = KNOWN.get(head.toLowerCase(Locale.ROOT));
            if (base == null) {
                throw new IllegalArgumentException("encoder profile '" + spec + "': '" + head + "' is not one of " + KNOWN.keySet()
                        + " and not a setting (" + KEYS.replace('|', ',') + ")");
            }
            settings = comma < 0 ? "" : s.substring(comma + 1);
        }
        Map<String, String> values = settings(spec, settings);
        if (base == null && !values.containsKey("pooling")) {
            throw new IllegalArgumentException("encoder profile '" + spec + "': needs pooling=cls or pooling=mean, or a known profile first "
                    + KNOWN.keySet());
        }
        Pooling pooling = values.containsKey("pooling") ? pooling(spec, values.get("pooling")) : base.pooling();
        boolean normalize = values.containsKey("normalize") ? bool(spec, values.get("normalize")) : base == null || base.normalize();
        String query = values.getOrDefault("query_prefix", base == null ? "" : base.queryPrefix());
        String passage = values.getOrDefault("passage_prefix", base == null ? "" : base.passagePrefix());
        String pair = values.getOrDefault("pair_prefix", base == null ? "" : base.pairPrefix());
        int maxLength = values.containsKey("max_length") ? integer(spec, values.get("max_length")) : base == null ? 512 : base.maxLength();
        return new EncoderProfile(s, pooling, normalize, query, passage, pair, maxLength);
    }

    private static Map<String, String> settings(String spec, String settings) {
        Map<String, String> out = new LinkedHashMap<>();
        if (settings.isBlank()) return out;
        Matcher m = SETTING.matcher(settings);
        int at = 0;
        while (at < settings.length() && m.find(at) && m.start() == at) {
            String key = m.group(1);
            if (out.containsKey(key)) throw new IllegalArgumentException("encoder profile '" + spec + "': " + key + " given twice");
            out.put(key, unquote(key.endsWith("prefix") ? m.group(2) : m.group(2).strip()));
            at = m.end();
            if (at < settings.length()) at++;   // the comma before the next key
        }
        if (at < settings.length()) {
            throw new IllegalArgumentException("encoder profile '" + spec + "': cannot read '" + settings.substring(at)
                    + "'; expected key=value with keys " + KEYS.replace('|', ','));
        }
        return out;
    }

    private static String unquote(String v) {
        String t = v.strip();
        return t.length() >= 2 && t.startsWith("\"") && t.endsWith("\"") ? t.substring(1, t.length() - 1) : v;
    }

    private static Pooling pooling(String spec, String v) {
        try {
            return Pooling.parse(v);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("encoder profile '" + spec + "': " + e.getMessage(), e);
        }
    }

    private static boolean bool(String spec, String v) {
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException("encoder profile '" + spec + "': normalize expected true or false, found '" + v + "'");
        };
    }

    private static int integer(String spec, String v) {
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("encoder profile '" + spec + "': max_length expected an integer, found '" + v + "'");
        }
    }

    /** The profile a model's card prescribes, guessed from its name (bge, e5, MiniLM); empty when none fits. */
    public static Optional<EncoderProfile> forModel(String modelName) {
        String n = modelName.toLowerCase(Locale.ROOT);
        if (n.contains("bge")) return Optional.of(BGE);
        if (n.matches(".*(^|[^a-z0-9])e5([^a-z0-9].*|$)")) return Optional.of(E5);
        if (n.contains("minilm")) return Optional.of(MINILM);
        return Optional.empty();
    }
}
