package alloy.eval.gen;

import alloy.eval.model.DjlEngine;
import alloy.eval.model.DecoderTokenizer;
import alloy.eval.model.LlamaDecoder;
import alloy.eval.model.LlamaKvCache;
import alloy.io.Checkpoint;
import alloy.io.CheckpointException;
import alloy.io.resolve.Checkpoints;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A decoder with its tokenizer, at the level evaluation talks: greedy generation with a KV cache,
 * log-likelihood of a continuation, and per-text negative log-likelihood (perplexity). Inputs always
 * start with the model's beginning-of-sequence token. Every call runs its NDArrays in scopes, so
 * nothing but the weights stays allocated between calls.
 */
public final class CausalLm implements AutoCloseable {

    private final LlamaDecoder decoder;
    private final DecoderTokenizer tokenizer;
    private final NDManager manager;
    private final String label;

    /** {@code manager} holds the decoder's weights and is closed with this object. */
    public CausalLm(String label, LlamaDecoder decoder, DecoderTokenizer tokenizer, NDManager manager) {
        this.label = label;
        this.decoder = decoder;
        this.tokenizer = tokenizer;
        this.manager = manager;
    }

    /**
     * Loads {@code checkpoint} (a directory on disk or a merge in memory) into a sub-manager of
     * {@code parent}; config.json and tokenizer.json come from the checkpoint's model directory.
     */
    public static CausalLm open(Checkpoint checkpoint, NDManager parent) {
        Path dir = checkpoint.modelDirectory().orElseThrow(() -> new CheckpointException(checkpoint.label()
                + ": no model directory, so no config.json or tokenizer.json for a decoder"));
        NDManager m = parent.newSubManager();
        try {
            LlamaDecoder decoder = LlamaDecoder.load(checkpoint, m);
            return new CausalLm(checkpoint.label(), decoder, DecoderTokenizer.open(dir), m);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Opens a model directory with its own manager. */
    public static CausalLm open(Path modelDir) {
        try (Checkpoint ckpt = Checkpoints.open(modelDir)) {
            return open(ckpt, DjlEngine.newManager());
        }
    }

    public String label() { return label; }

    public LlamaDecoder decoder() { return decoder; }

    public DecoderTokenizer tokenizer() { return tokenizer; }

    /**
     * Greedy continuations of {@code prompts}, in order. Rows of a batch are left-padded so that they all
     * continue at the last column; a row stops at end-of-sequence, at a stop string (cut from the
     * text), after {@code maxNewTokens}, or when the context window is full.
     */
    public List<String> generate(List<String> prompts, GenerationSettings settings) {
        List<String> out = new ArrayList<>(prompts.size());
        for (int from = 0; from < prompts.size(); from += settings.batchSize()) {
            out.addAll(generateBatch(prompts.subList(from, Math.min(prompts.size(), from + settings.batchSize())), settings));
        }
        return out;
    }

    private List<String> generateBatch(List<String> prompts, GenerationSettings settings) {
        int rows = prompts.size();
        long[][] encoded = new long[rows][];
        int width = 0;
        for (int i = 0; i < rows; i++) {
            encoded[i] = tokenizer.encodeWithBos(prompts.get(i));
            if (encoded[i].length >= decoder.config().maxPositions()) {
                throw new IllegalArgumentException(label + ": prompt \"" + prompts.get(i) + "\" takes " + encoded[i].length
                        + " tokens, leaving no room to generate in " + decoder.config().maxPositions() + " positions");
            }
            width = Math.max(width, encoded[i].length);
        }
        int budget = Math.min(settings.maxNewTokens(), decoder.config().maxPositions() - width);
        long[] ids = new long[rows * width];
        long[] mask = new long[rows * (width + budget)];
        Arrays.fill(ids, tokenizer.pad());
        for (int i = 0; i < rows; i++) {
            int offset = width - encoded[i].length;
            for (int t = 0; t < encoded[i].length; t++) {
                ids[i * width + offset + t] = encoded[i][t];
                mask[i * (width + budget) + offset + t] = 1;
            }
        }
        List<List<Long>> generated = new ArrayList<>();
        String[] text = new String[rows];
        boolean[] done = new boolean[rows];
        for (int i = 0; i < rows; i++) {
            generated.add(new ArrayList<>());
            text[i] = "";
        }
        int eos = tokenizer.eos().orElse(-1);
        try (LlamaKvCache cache = decoder.newCache()) {
            int seen = 0;                                                                             // positions in the cache
            long[] step = ids;
            int stepWidth = width;
            for (int n = 0; n < budget; n++) {
                long[] next;
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    int total = seen + stepWidth;
                    long[] maskNow = new long[rows * total];
                    for (int i = 0; i < rows; i++) {
                        System.arraycopy(mask, i * (width + budget), maskNow, i * total, total);
                    }
                    NDArray attention = manager.create(maskNow, new Shape(rows, total));              // (batch, past + seq)
                    NDArray input = manager.create(step, new Shape(rows, stepWidth));                 // (batch, seq)
                    NDArray logits = decoder.forward(input, attention, cache);                        // (batch, seq, vocab)
                    next = logits.get(new NDIndex(":, -1, :")).argMax(1).toLongArray();               // (batch)
                }
                seen += stepWidth;
                boolean all = true;
                for (int i = 0; i < rows; i++) {
                    mask[i * (width + budget) + seen] = 1;
                    if (done[i]) continue;
                    if (next[i] == eos) {
                        done[i] = true;
                        continue;
                    }
                    generated.get(i).add(next[i]);
                    text[i] = tokenizer.decode(generated.get(i).stream().mapToLong(Long::longValue).toArray());
                    int cut = firstStop(text[i], settings.stopStrings());
                    if (cut >= 0) {
                        text[i] = text[i].substring(0, cut);
                        done[i] = true;
                    }
                    all &= done[i];
                }
                if (all) break;
                step = next;
                stepWidth = 1;
            }
        }
        return Arrays.asList(text);
    }

    private static int firstStop(String text, List<String> stops) {
        int cut = -1;
        for (String s : stops) {
            int i = text.indexOf(s);
            if (i >= 0 && (cut < 0 || i < cut)) cut = i;
        }
        return cut;
    }

    /**
     * log P(continuation | context) for each request. Context and continuation are encoded separately
     * and joined; when the whole does not fit the context window, the oldest context tokens are dropped.
     */
    public List<Loglikelihood> logLikelihood(List<LoglikelihoodRequest> requests, int batchSize) {
        List<Scored> scored = new ArrayList<>(requests.size());
        for (LoglikelihoodRequest r : requests) {
            long[] context = tokenizer.encodeWithBos(r.context());
            long[] continuation = tokenizer.encode(r.continuation());
            if (continuation.length == 0) {
                throw new IllegalArgumentException(label + ": continuation \"" + r.continuation() + "\" encodes to no tokens");
            }
            long[] all = new long[context.length + continuation.length];
            System.arraycopy(context, 0, all, 0, context.length);
            System.arraycopy(continuation, 0, all, context.length, continuation.length);
            scored.add(Scored.of(all, context.length, decoder.config().maxPositions()));
        }
        return score(scored, batchSize);
    }

    /**
     * The log-likelihood of every token of each text after BOS (perplexity = exp(−logProb / tokens)).
     * Texts longer than the context window are scored in consecutive windows, each starting fresh from
     * the token before it.
     */
    public List<Loglikelihood> textLikelihood(List<String> texts, int batchSize) {
        int window = decoder.config().maxPositions();
        List<Scored> scored = new ArrayList<>();
        List<Integer> owner = new ArrayList<>();
        for (int t = 0; t < texts.size(); t++) {
            long[] all = tokenizer.encodeWithBos(texts.get(t));
            if (all.length < 2) throw new IllegalArgumentException(label + ": text \"" + texts.get(t) + "\" has no token to score");
            for (int start = 1; start < all.length; start += window) {
                int end = Math.min(all.length, start + window);            // targets [start, end)
                scored.add(new Scored(Arrays.copyOfRange(all, start - 1, end), 1));
                owner.add(t);
            }
        }
        List<Loglikelihood> parts = score(scored, batchSize);
        double[] logProb = new double[texts.size()];
        int[] tokens = new int[texts.size()];
        boolean[] greedy = new boolean[texts.size()];
        Arrays.fill(greedy, true);
        for (int i = 0; i < parts.size(); i++) {
            int t = owner.get(i);
            logProb[t] += parts.get(i).logProb();
            tokens[t] += parts.get(i).tokens();
            greedy[t] &= parts.get(i).greedy();
        }
        List<Loglikelihood> out = new ArrayList<>();
        for (int t = 0; t < texts.size(); t++) out.add(new Loglikelihood(logProb[t], tokens[t], greedy[t]));
        return out;
    }

    /** Tokens of one row; the tokens from index {@code firstTarget} on are scored. */
    private record Scored(long[] tokens, int firstTarget) {
        static Scored of(long[] all, int firstTarget, int maxPositions) {
            int drop = Math.max(0, all.length - 1 - maxPositions);
            if (firstTarget - drop < 1) {
                throw new IllegalArgumentException("continuation of " + (all.length - firstTarget) + " tokens does not fit "
                        + maxPositions + " positions with any context");
            }
            return new Scored(Arrays.copyOfRange(all, drop, all.length), firstTarget - drop);
        }
    }

    private List<Loglikelihood> score(List<Scored> rows, int batchSize) {
        List<Loglikelihood> out = new ArrayList<>(rows.size());
        for (int from = 0; from < rows.size(); from += batchSize) {
            List<Scored> batch = rows.subList(from, Math.min(rows.size(), from + batchSize));
            int n = batch.size();
            int width = 0;
            for (Scored s : batch) width = Math.max(width, s.tokens().length - 1);
            long[] ids = new long[n * width];
            long[] mask = new long[n * width];
            long[] targets = new long[n * width];
            Arrays.fill(ids, tokenizer.pad());
            for (int i = 0; i < n; i++) {
                long[] t = batch.get(i).tokens();
                for (int j = 0; j < t.length - 1; j++) {                  // right padded: position j predicts token j + 1
                    ids[i * width + j] = t[j];
                    mask[i * width + j] = 1;
                    targets[i * width + j] = t[j + 1];
                }
            }
            float[] logProbs;
            long[] best;
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray input = manager.create(ids, new Shape(n, width));                                // (batch, seq)
                NDArray attention = manager.create(mask, new Shape(n, width));                           // (batch, seq)
                NDArray target = manager.create(targets, new Shape(n, width, 1));                        // (batch, seq, 1)
                NDArray logits = decoder.forward(input, attention);                                      // (batch, seq, vocab)
                logProbs = logits.logSoftmax(-1).gather(target, 2).toFloatArray();                       // (batch, seq, 1)
                best = logits.argMax(2).toLongArray();                                                   // (batch, seq)
            }
            for (int i = 0; i < n; i++) {
                Scored s = batch.get(i);
                double sum = 0;
                boolean greedy = true;
                for (int j = s.firstTarget() - 1; j < s.tokens().length - 1; j++) {
                    sum += logProbs[i * width + j];
                    greedy &= best[i * width + j] == targets[i * width + j];
                }
                out.add(new Loglikelihood(Math.min(0, sum), s.tokens().length - s.firstTarget(), greedy));
            }
        }
        return out;
    }

    @Override public void close() {
        tokenizer.close();
        manager.close();
    }
}
