package alloy.eval.model;

import alloy.io.CheckpointException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * A decoder's tokenizer.json (through DJL's Hugging Face tokenizer) together with the special ids the
 * decoder needs: the beginning-of-sequence id put in front of every input, the end-of-sequence id that
 * ends generation, and an id to pad batches with (its value never matters, padded positions are masked).
 * Ids come from config.json, then generation_config.json, then the tokenizer's own {@code <s>}, {@code </s>}
 * and {@code <pad>} tokens.
 */
public final class DecoderTokenizer implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final TextTokenizer tokenizer;
    private final OptionalInt bos;
    private final OptionalInt eos;
    private final int pad;

    private DecoderTokenizer(TextTokenizer tokenizer, OptionalInt bos, OptionalInt eos, int pad) {
        this.tokenizer = tokenizer;
        this.bos = bos;
        this.eos = eos;
        this.pad = pad;
    }

    /** Opens tokenizer.json in {@code modelDir} (through {@link TextTokenizer}, adding no special tokens); nothing is downloaded. */
    public static DecoderTokenizer open(Path modelDir) {
        TextTokenizer t = TextTokenizer.forModel(modelDir, TextTokenizer.Options.decoder());
        try {
            JsonNode config = readJson(modelDir.resolve("config.json"));
            JsonNode generation = readJson(modelDir.resolve("generation_config.json"));
            OptionalInt bos = id(config, generation, "bos_token_id");
            OptionalInt eos = id(config, generation, "eos_token_id");
            if (bos.isEmpty()) bos = t.singleToken("<s>");
            if (eos.isEmpty()) eos = t.singleToken("</s>");
            OptionalInt pad = id(config, generation, "pad_token_id");
            if (pad.isEmpty()) pad = t.singleToken("<pad>");
            return new DecoderTokenizer(t, bos, eos, pad.orElse(eos.orElse(0)));
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
    }

    private static JsonNode readJson(Path f) {
        if (!Files.isRegularFile(f)) return JSON.createObjectNode();
        try {
            return JSON.readTree(f.toFile());
        } catch (IOException e) {
            throw new CheckpointException(f + ": unreadable JSON: " + e.getMessage(), e);
        }
    }

    private static OptionalInt id(JsonNode config, JsonNode generation, String key) {
        for (JsonNode j : new JsonNode[] {config, generation}) {
            JsonNode n = j.get(key);
            if (n != null && n.isArray() && !n.isEmpty()) n = n.get(0);
            if (n != null && n.canConvertToInt()) return OptionalInt.of(n.asInt());
        }
        return OptionalInt.empty();
    }

    /** Token ids of {@code text}, no special tokens added. */
    public long[] encode(String text) { return tokenizer.ids(text); }

    /** {@code text} as the model reads it: BOS (when the model has one) and then the tokens. */
    public long[] encodeWithBos(String text) {
        long[] ids = encode(text);
        if (bos.isEmpty()) return ids;
        long[] out = new long[ids.length + 1];
        out[0] = bos.getAsInt();
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    /** Text of {@code ids}, special tokens skipped. */
    public String decode(long[] ids) { return tokenizer.decode(ids); }

    public OptionalInt bos() { return bos; }

    public OptionalInt eos() { return eos; }

    public int pad() { return pad; }

    @Override public void close() { tokenizer.close(); }
}
