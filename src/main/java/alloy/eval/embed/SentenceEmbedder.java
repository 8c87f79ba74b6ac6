package alloy.eval.embed;

import alloy.eval.model.BertEncoder;
import alloy.eval.model.TextTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * One vector per text: a {@link BertEncoder} forward pass over batches of tokenized texts, pooled and
 * (when the profile says so) L2-normalized as the profile prescribes. Results are plain float arrays;
 * every NDArray made on the way lives in a per-batch sub-manager of the caller's and is freed with it.
 */
public final class SentenceEmbedder {

    public static final int DEFAULT_BATCH = 32;

    /** Padded tokens per batch allowed by default, per text of the batch size: 128 tokens a text. */
    public static final int DEFAULT_TOKENS_PER_TEXT = 128;

    private final EncoderProfile profile;
    private final int batchSize;
    private final int tokenBudget;

    /** Batches of at most {@code batchSize} texts and {@code batchSize} · 128 padded tokens. */
    public SentenceEmbedder(EncoderProfile profile, int batchSize) {
        this(profile, batchSize, batchSize * DEFAULT_TOKENS_PER_TEXT);
    }

    /**
     * @param batchSize most texts in one forward pass
     * @param tokenBudget most padded tokens (texts × longest) in one forward pass; long texts then go in
     *                    smaller batches, which bounds memory (attention grows with length squared) and
     *                    keeps short texts from being padded to a long one
     */
    public SentenceEmbedder(EncoderProfile profile, int batchSize, int tokenBudget) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size: expected >= 1, found " + batchSize);
        if (tokenBudget < 1) throw new IllegalArgumentException("token budget: expected >= 1, found " + tokenBudget);
        this.profile = Objects.requireNonNull(profile, "profile");
        this.batchSize = batchSize;
        this.tokenBudget = tokenBudget;
    }

    public EncoderProfile profile() { return profile; }

    public int batchSize() { return batchSize; }

    public int tokenBudget() { return tokenBudget; }

    /**
     * How {@code texts} are grouped into forward passes: indices into the texts, longest first; a batch
     * takes as many texts as the batch size and the token budget (at the width of its first, longest
     * text) allow, and at least one.
     */
    public List<int[]> plan(TokenizedTexts texts) {
        List<int[]> batches = new ArrayList<>();
        int[] order = texts.byLength();
        int start = 0;
        while (start < order.length) {
            int width = Math.max(1, texts.texts().get(order[start]).length());
            int rows = Math.max(1, Math.min(batchSize, tokenBudget / width));
            int end = Math.min(order.length, start + rows);
            batches.add(Arrays.copyOfRange(order, start, end));
            start = end;
        }
        return batches;
    }

    /** The texts of one planned batch, padded. */
    public static TextTokenizer.Batch batch(TokenizedTexts texts, int[] indices) {
        List<TextTokenizer.Encoded> rows = new ArrayList<>(indices.length);
        for (int i : indices) rows.add(texts.texts().get(i));
        return TextTokenizer.pad(rows, texts.padId());
    }

    /** Embeddings of {@code texts} in their own order, (texts, hidden). */
    public float[][] embed(BertEncoder encoder, TokenizedTexts texts, NDManager manager) {
        int hidden = encoder.config().hiddenSize();
        return embedPlanned(texts, batch -> {
            float[] flat = embedBatch(encoder, batch, manager);                                           // (rows, hidden)
            float[][] rows = new float[batch.size()][];
            for (int row = 0; row < rows.length; row++) rows[row] = Arrays.copyOfRange(flat, row * hidden, (row + 1) * hidden);
            return rows;
        });
    }

    /**
     * Embeddings of {@code texts} in their own order, each batch of the {@link #plan} padded and handed to
     * {@code batchRows}, which gives one pooled row per text of the batch, in the batch's order: what every
     * engine runs, whatever runs the forward pass.
     */
    public float[][] embedPlanned(TokenizedTexts texts, Function<TextTokenizer.Batch, float[][]> batchRows) {
        float[][] out = new float[texts.size()][];
        for (int[] indices : plan(texts)) {
            float[][] rows = batchRows.apply(batch(texts, indices));
            for (int row = 0; row < indices.length; row++) out[indices[row]] = rows[row];
        }
        return out;
    }

    /** One padded batch → (batch · hidden) floats, row-major. */
    public float[] embedBatch(BertEncoder encoder, TextTokenizer.Batch batch, NDManager manager) {
        try (NDManager scope = manager.newSubManager()) {
            NDArray hidden = encoder.forward(batch, scope);                                               // (batch, seq, hidden)
            NDArray mask = scope.create(batch.flatAttentionMask(), new Shape(batch.size(), batch.length()));     // (batch, seq)
            NDArray pooled = profile.pooling().pool(hidden, mask);                                        // (batch, hidden)
            if (profile.normalize()) pooled = Pooling.normalize(pooled);
            return pooled.toFloatArray();
        }
    }
}
