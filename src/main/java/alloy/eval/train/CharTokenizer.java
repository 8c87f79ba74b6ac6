package alloy.eval.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import com.fasterxml.jackson.core.JsonProcessingException;

/**
 * The character-level vocabulary of the trained decoder family, written as a Hugging Face tokenizer.json
 * that DJL's tokenizer (and the Python {@code tokenizers} library) loads: a pre-tokenizer that isolates
 * every character, a WordLevel model over single characters, and a Fuse decoder so that decoding joins
 * the characters back without separators. Encoding then decoding gives the text back exactly for every
 * string over {@link #CHARACTERS}.
 */
public final class CharTokenizer {

    public static final String PAD = "<pad>";
    public static final String BOS = "<s>";
    public static final String EOS = "</s>";
    public static final String UNK = "<unk>";

    public static final int PAD_ID = 0;
    public static final int BOS_ID = 1;
    public static final int EOS_ID = 2;
    public static final int UNK_ID = 3;

    /** Ordinary characters in id order after the four special tokens. */
    public static final String CHARACTERS = "abcdefghijklmnopqrstuvwxyz0123456789 +=><:?!.,-|\n";

    private CharTokenizer() {}

    /** Token → id, specials first. */
    public static Map<String, Integer> vocabulary() {
        Map<String, Integer> v = new LinkedHashMap<>();
        for (String s : List.of(PAD, BOS, EOS, UNK)) v.put(s, v.size());
        CHARACTERS.codePoints().forEach(cp -> v.put(Character.toString(cp), v.size()));
        return v;
    }

    public static int vocabularySize() { return vocabulary().size(); }

    /** True when every character of {@code text} has its own id (no {@code <unk>} on encoding). */
    public static boolean covers(String text) {
        return text.codePoints().allMatch(cp -> CHARACTERS.indexOf(cp) >= 0);
    }

    /**
     * Ids of {@code text} without special tokens, the same as DJL's tokenizer gives for the file this
     * class writes; a character outside the vocabulary is an error naming it, since training on
     * {@code <unk>} would hide a gap in {@link #CHARACTERS}.
     */
    public static int[] encode(String text) {
        return text.codePoints().map(cp -> {
            int i = CHARACTERS.indexOf(cp);
            if (i < 0) {
                throw new IllegalArgumentException("character '" + Character.toString(cp) + "' (U+" + Integer.toHexString(cp)
                        + ") of \"" + text + "\" is not in the decoder vocabulary");
            }
            return i + 4;
        }).toArray();
    }

    /** The tokenizer.json document. */
    public static ObjectNode json() {
        ObjectMapper m = new ObjectMapper();
        ObjectNode root = m.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        Map<String, Integer> vocab = vocabulary();
        ArrayNode added = root.putArray("added_tokens");
        for (String s : List.of(PAD, BOS, EOS, UNK)) {
            ObjectNode t = added.addObject();
            t.put("id", vocab.get(s));
            t.put("content", s);
            t.put("single_word", false);
            t.put("lstrip", false);
            t.put("rstrip", false);
            t.put("normalized", false);
            t.put("special", true);
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Split");
        pre.putObject("pattern").put("Regex", "[\\s\\S]");     // every character, newline included, is its own piece
        pre.put("behavior", "Isolated");
        pre.put("invert", false);
        ObjectNode post = root.putObject("post_processor");    // "<s> A" when special tokens are requested
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", BOS).put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", BOS).put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode bos = post.putObject("special_tokens").putObject(BOS);
        bos.put("id", BOS);
        bos.putArray("ids").add(BOS_ID);
        bos.putArray("tokens").add(BOS);
        root.putObject("decoder").put("type", "Fuse");
        ObjectNode model = root.putObject("model");
        model.put("type", "WordLevel");
        ObjectNode v = model.putObject("vocab");
        vocab.forEach(v::put);
        model.put("unk_token", UNK);
        return root;
    }

    /** tokenizer.json bytes, pretty-printed so that the committed file diffs well. */
    public static byte[] bytes() {
        try {
            return new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(json());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise tokenizer.json", e);
        }
    }

    /** tokenizer_config.json for transformers' AutoTokenizer. */
    public static byte[] configBytes(int maxLength) {
        ObjectMapper m = new ObjectMapper();
        ObjectNode c = m.createObjectNode();
        c.put("tokenizer_class", "PreTrainedTokenizerFast");
        c.put("bos_token", BOS);
        c.put("eos_token", EOS);
        c.put("pad_token", PAD);
        c.put("unk_token", UNK);
        c.put("model_max_length", maxLength);
        c.put("clean_up_tokenization_spaces", false);
        try {
            return m.writerWithDefaultPrettyPrinter().writeValueAsBytes(c);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise tokenizer_config.json", e);
        }
    }
}
