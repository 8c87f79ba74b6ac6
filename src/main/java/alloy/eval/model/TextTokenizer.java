package alloy.eval.model;

import alloy.io.CheckpointException;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;

/**
 * A Hugging Face tokenizer.json (through DJL's binding of the Rust tokenizers, offline) that turns texts
 * into model inputs: ids, attention mask and token type ids as {@code long[][]}, right-padded to the
 * longest text of a batch and truncated to a maximum length.
 *
 * <p>Encoders want the special tokens ({@code [CLS] ... [SEP]}); decoders usually add their own BOS and
 * want none, so that is an option. Whatever padding or truncation tokenizer.json itself configures is
 * replaced by this class's: texts are truncated to {@code maxLength} tokens (special tokens included)
 * and never padded by the tokenizer; {@link #pad} pads, with the tokenizer's pad id, so that texts
 * tokenized once can be batched again in any grouping.
 */
public final class TextTokenizer implements AutoCloseable {

    /**
     * @param maxLength most tokens per text, special tokens included; 0 means no truncation
     * @param specialTokens add the special tokens of the tokenizer's post-processor ([CLS] ... [SEP] for BERT)
     */
    public record Options(int maxLength, boolean specialTokens) {
        public Options {
            if (maxLength < 0) throw new IllegalArgumentException("max length: expected >= 0 (0: no truncation), found " + maxLength);
            if (specialTokens && maxLength == 1) throw new IllegalArgumentException("max length 1 leaves no room for special tokens");
        }

        /** Encoder inputs: special tokens, at most {@code maxLength} tokens. */
        public static Options encoder(int maxLength) { return new Options(maxLength, true); }

        /** Decoder inputs: no special tokens, no truncation. */
        public static Options decoder() { return new Options(0, false); }
    }

    /** One tokenized text: ids and token type ids of equal length, no padding. */
    public record Encoded(long[] ids, long[] typeIds) {
        public Encoded {
            if (ids.length != typeIds.length) {
                throw new IllegalArgumentException("ids (" + ids.length + ") and type ids (" + typeIds.length + ") differ in length");
            }
        }

        public int length() { return ids.length; }
    }

    /** Texts padded to a common length: {@code (size, length)} each; mask is 1 on tokens, 0 on padding. */
    public record Batch(long[][] ids, long[][] attentionMask, long[][] typeIds) {
        public Batch {
            if (ids.length != attentionMask.length || ids.length != typeIds.length) {
                throw new IllegalArgumentException("batch rows: ids " + ids.length + ", mask " + attentionMask.length + ", type ids " + typeIds.length);
            }
            int width = ids.length == 0 ? 0 : ids[0].length;
            for (int i = 0; i < ids.length; i++) {
                if (ids[i].length != width || attentionMask[i].length != width || typeIds[i].length != width) {
                    throw new IllegalArgumentException("batch row " + i + ": expected " + width + " columns in ids, mask and type ids, found "
                            + ids[i].length + ", " + attentionMask[i].length + ", " + typeIds[i].length);
                }
            }
        }

        public int size() { return ids.length; }

        /** Columns (the longest text's token count). */
        public int length() { return ids.length == 0 ? 0 : ids[0].length; }

        public long[] flatIds() { return flat(ids); }

        public long[] flatAttentionMask() { return flat(attentionMask); }

        public long[] flatTypeIds() { return flat(typeIds); }

        /** Real tokens of row {@code i}. */
        public int tokens(int i) {
            int n = 0;
            for (long m : attentionMask[i]) n += (int) m;
            return n;
        }

        private static long[] flat(long[][] rows) {
            int width = rows.length == 0 ? 0 : rows[0].length;
            long[] out = new long[rows.length * width];
            for (int i = 0; i < rows.length; i++) System.arraycopy(rows[i], 0, out, i * width, width);
            return out;
        }
    }

    private final Path file;
    private final Options options;
    private final HuggingFaceTokenizer tokenizer;
    private final long padId;

    private TextTokenizer(Path file, Options options, HuggingFaceTokenizer tokenizer, long padId) {
        this.file = file;
        this.options = options;
        this.tokenizer = tokenizer;
        this.padId = padId;
    }

    /** Loads {@code tokenizerJson}; nothing is downloaded. */
    public static TextTokenizer open(Path tokenizerJson, Options options) {
        DjlEngine.offline();
        if (!Files.isRegularFile(tokenizerJson)) throw new CheckpointException(tokenizerJson + ": no such tokenizer file");
        Map<String, String> settings = options.maxLength() > 0
                ? Map.of("addSpecialTokens", Boolean.toString(options.specialTokens()), "padding", "false",
                        "truncation", "true", "maxLength", Integer.toString(options.maxLength()))
                : Map.of("addSpecialTokens", Boolean.toString(options.specialTokens()), "padding", "false", "truncation", "false");
        HuggingFaceTokenizer t;
        try {
            t = HuggingFaceTokenizer.newInstance(tokenizerJson, settings);
        } catch (IOException | RuntimeException e) {
            throw new CheckpointException(tokenizerJson + ": cannot load tokenizer: " + e.getMessage(), e);
        }
        return new TextTokenizer(tokenizerJson, options, t, padId(t));
    }

    /** tokenizer.json in a model directory. */
    public static TextTokenizer forModel(Path modelDirectory, Options options) {
        Path f = modelDirectory.resolve("tokenizer.json");
        if (!Files.isRegularFile(f)) throw new CheckpointException(modelDirectory + ": no tokenizer.json in the model directory");
        return open(f, options);
    }

    /** The id of {@code [PAD]} or {@code <pad>} when the tokenizer has one as a single token, else 0. */
    private static long padId(HuggingFaceTokenizer t) {
        for (String token : new String[] {"[PAD]", "<pad>"}) {
            OptionalInt id = singleToken(t, token);
            if (id.isPresent()) return id.getAsInt();
        }
        return 0;
    }

    /** The id of {@code token} when the tokenizer knows it as one whole token (a special token such as {@code </s>}). */
    public OptionalInt singleToken(String token) { return singleToken(tokenizer, token); }

    private static OptionalInt singleToken(HuggingFaceTokenizer t, String token) {
        Encoding e = t.encode(token, false, false);
        return e.getIds().length == 1 && token.equals(e.getTokens()[0]) ? OptionalInt.of((int) e.getIds()[0]) : OptionalInt.empty();
    }

    public Path file() { return file; }

    public Options options() { return options; }

    public long padId() { return padId; }

    /** One text, truncated, unpadded. */
    public Encoded encode(String text) {
        Encoding e = tokenizer.encode(text);
        return new Encoded(e.getIds(), e.getTypeIds());
    }

    /** Many texts at once (the native tokenizer works on them in parallel), truncated, unpadded. */
    public List<Encoded> encodeAll(List<String> texts) {
        if (texts.isEmpty()) return List.of();
        Encoding[] es = tokenizer.batchEncode(texts);
        List<Encoded> out = new ArrayList<>(es.length);
        for (Encoding e : es) out.add(new Encoded(e.getIds(), e.getTypeIds()));
        return out;
    }

    /** Token ids of one text (the decoder's view: {@code Options.decoder()} adds nothing). */
    public long[] ids(String text) { return encode(text).ids(); }

    /** Texts tokenized and padded into one batch. */
    public Batch batch(List<String> texts) { return pad(encodeAll(texts)); }

    /** Right-pads {@code texts} to the longest of them with this tokenizer's pad id. */
    public Batch pad(List<Encoded> texts) { return pad(texts, padId); }

    /** Right-pads {@code texts} to the longest of them: {@code padId}, mask 0, type id 0. */
    public static Batch pad(List<Encoded> texts, long padId) {
        int width = 0;
        for (Encoded e : texts) width = Math.max(width, e.length());
        long[][] ids = new long[texts.size()][width];
        long[][] mask = new long[texts.size()][width];
        long[][] types = new long[texts.size()][width];
        for (int i = 0; i < texts.size(); i++) {
            Encoded e = texts.get(i);
            System.arraycopy(e.ids(), 0, ids[i], 0, e.length());
            System.arraycopy(e.typeIds(), 0, types[i], 0, e.length());
            Arrays.fill(ids[i], e.length(), width, padId);
            Arrays.fill(mask[i], 0, e.length(), 1L);
        }
        return new Batch(ids, mask, types);
    }

    /** Text of {@code ids}, special tokens skipped. */
    public String decode(long[] ids) { return tokenizer.decode(ids, true); }

    @Override public void close() { tokenizer.close(); }
}
