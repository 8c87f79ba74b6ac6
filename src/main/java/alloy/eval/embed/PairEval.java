package alloy.eval.embed;

import alloy.eval.model.BertEncoder;
import alloy.eval.model.TextTokenizer;
import alloy.eval.stats.Bootstrap;
import alloy.eval.stats.Metrics;
import alloy.eval.stats.Score;
import alloy.eval.task.PairItem;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * Semantic similarity of text pairs: the cosine of each pair's two embeddings, and Spearman's rho between
 * those cosines and the human judgements over the split. Both sides get the profile's pair prefix (the
 * task is symmetric).
 */
public final class PairEval {

    public static final List<String> METRICS = List.of("spearman");

    private PairEval() {}

    /** A split tokenized for one profile: first sides, then second sides; and the judgements. */
    public record Prepared(TokenizedTexts texts, double[] gold) {
        public Prepared {
            if (gold.length < 1 || texts.size() != 2 * gold.length) {
                throw new IllegalArgumentException("expected " + gold.length + " pairs (" + 2 * gold.length + " texts), found " + texts.size() + " texts");
            }
            gold = gold.clone();
        }

        @Override public double[] gold() { return gold.clone(); }

        public int pairs() { return gold.length; }
    }

    public static Prepared prepare(TextTokenizer tokenizer, EncoderProfile profile, List<PairItem> items) {
        if (items.isEmpty()) throw new IllegalArgumentException("pair set with no items");
        List<String> texts = new ArrayList<>(2 * items.size());
        for (PairItem p : items) texts.add(profile.pairPrefix() + p.a());
        for (PairItem p : items) texts.add(profile.pairPrefix() + p.b());
        return new Prepared(TokenizedTexts.of(tokenizer, texts, ""), items.stream().mapToDouble(PairItem::score).toArray());
    }

    /** Per-pair cosines beside the judgements. */
    public record Outcome(double[] cosines, double[] gold) {
        public Outcome {
            if (cosines.length != gold.length) throw new IllegalArgumentException(cosines.length + " cosines for " + gold.length + " judgements");
            cosines = cosines.clone();
            gold = gold.clone();
        }

        @Override public double[] cosines() { return cosines.clone(); }

        @Override public double[] gold() { return gold.clone(); }

        /** Spearman's rho over the split with its bootstrap interval (a whole-set statistic: no per-item values). */
        public Score spearman(Bootstrap bootstrap) {
            return bootstrap.statistic("spearman", cosines.length, Metrics.spearmanOf(cosines, gold));
        }
    }

    public static Outcome score(BertEncoder encoder, SentenceEmbedder embedder, Prepared split, NDManager manager) {
        return score(embedder.embed(encoder, split.texts(), manager), split);
    }

    /** Pair cosines from the split's embeddings, (2 · pairs, hidden), whichever engine made them. */
    public static Outcome score(float[][] all, Prepared split) {
        int n = split.pairs();
        double[] cos = new double[n];
        for (int i = 0; i < n; i++) cos[i] = Similarity.cosine(all[i], all[n + i]);
        return new Outcome(cos, split.gold());
    }
}
