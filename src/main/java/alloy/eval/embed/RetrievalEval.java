package alloy.eval.embed;

import alloy.eval.model.BertEncoder;
import alloy.eval.model.TextTokenizer;
import alloy.eval.stats.Bootstrap;
import alloy.eval.stats.Metrics;
import alloy.eval.stats.Score;
import alloy.eval.task.RetrievalItem;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Query-to-passage retrieval with a sentence encoder: every query of a split against every passage of the
 * same split (the pool: the items' passages and the split's pool-only passages, such as near misses), ranked by
 * cosine similarity; item {@code q}'s own passage is the one right answer.
 * Per query: the 0-based rank of the right passage (ties count against it, see {@link Metrics#rankOf}),
 * and from it recall@1, reciprocal rank and nDCG@10.
 */
public final class RetrievalEval {

    public static final List<String> METRICS = List.of("recall@1", "mrr", "ndcg@10");

    private RetrievalEval() {}

    /**
     * A split tokenized for one profile, kept across candidates: queries with the query prefix, then
     * passages with the passage prefix (each query's own passage in query order, then the pool-only
     * passages), in one list so that they share batches.
     *
     * @param queries  queries of the split; query q's relevant passage is passage q
     * @param passages passages in the pool, at least one per query
     */
    public record Prepared(int queries, int passages, TokenizedTexts texts) {
        public Prepared {
            if (queries < 1 || passages < queries || texts.size() != queries + passages) {
                throw new IllegalArgumentException("expected " + queries + " queries and at least as many passages (" + passages
                        + " said), found " + texts.size() + " texts");
            }
        }

        /** A split whose pool is exactly its queries' passages. */
        public Prepared(int queries, TokenizedTexts texts) { this(queries, texts.size() - queries, texts); }
    }

    /** A split whose pool is its items' passages. */
    public static Prepared prepare(TextTokenizer tokenizer, EncoderProfile profile, List<RetrievalItem> items) {
        return prepare(tokenizer, profile, items, List.of());
    }

    /** A split whose pool is its items' passages and then {@code pool} (near misses and other distractors). */
    public static Prepared prepare(TextTokenizer tokenizer, EncoderProfile profile, List<RetrievalItem> items, List<String> pool) {
        if (items.isEmpty()) throw new IllegalArgumentException("retrieval set with no items");
        List<String> texts = new ArrayList<>(2 * items.size() + pool.size());
        for (RetrievalItem i : items) texts.add(profile.queryPrefix() + i.query());
        for (RetrievalItem i : items) texts.add(profile.passagePrefix() + i.passage());
        for (String p : pool) texts.add(profile.passagePrefix() + p);
        return new Prepared(items.size(), items.size() + pool.size(), TokenizedTexts.of(tokenizer, texts, ""));
    }

    /**
     * Per-query results.
     *
     * @param ranks 0-based rank of each query's passage in the pool
     */
    public record Outcome(int[] ranks, double[] recallAt1, double[] reciprocalRank, double[] ndcgAt10) {

        public static Outcome of(int[] ranks) {
            return new Outcome(ranks.clone(), Metrics.recallAt(ranks, 1), Metrics.reciprocalRanks(ranks), Metrics.ndcgAt(ranks, 10));
        }

        public int size() { return ranks.length; }

        /** recall@1, mrr and ndcg@10 as means over queries with bootstrap intervals, per-item values kept. */
        public Map<String, Score> scores(Bootstrap bootstrap) {
            Map<String, Score> m = new LinkedHashMap<>();
            m.put("recall@1", bootstrap.mean("recall@1", recallAt1));
            m.put("mrr", bootstrap.mean("mrr", reciprocalRank));
            m.put("ndcg@10", bootstrap.mean("ndcg@10", ndcgAt10));
            return m;
        }

        /**
         * The same metrics as means of per-domain means ({@code groups[q]} is query q's domain index), so that
         * every domain weighs the same; see {@link Bootstrap#balancedMean}.
         */
        public Map<String, Score> balancedScores(Bootstrap bootstrap, int[] groups) {
            if (groups.length != ranks.length) throw new IllegalArgumentException(groups.length + " domain labels for " + ranks.length + " queries");
            Map<String, Score> m = new LinkedHashMap<>();
            m.put("recall@1", bootstrap.balancedMean("recall@1", recallAt1, groups));
            m.put("mrr", bootstrap.balancedMean("mrr", reciprocalRank, groups));
            m.put("ndcg@10", bootstrap.balancedMean("ndcg@10", ndcgAt10, groups));
            return m;
        }
    }

    /** Embeds the split with {@code encoder} and ranks every query's pool. */
    public static Outcome score(BertEncoder encoder, SentenceEmbedder embedder, Prepared split, NDManager manager) {
        return score(embedder.embed(encoder, split.texts(), manager), split);
    }

    /** Ranks every query's pool from the split's embeddings, (queries + passages, hidden), whichever engine made them. */
    public static Outcome score(float[][] all, Prepared split) {
        int n = split.queries();
        return Outcome.of(ranks(Arrays.copyOfRange(all, 0, n), Arrays.copyOfRange(all, n, n + split.passages())));
    }

    /** Ranks when query {@code q}'s right passage is passage {@code q}; passages beyond the queries' are distractors. */
    public static int[] ranks(float[][] queries, float[][] passages) {
        if (passages.length < queries.length) {
            throw new IllegalArgumentException(queries.length + " queries but " + passages.length + " passages; each query has its own passage");
        }
        double[][] sims = Similarity.cosines(queries, passages);                                          // (queries, passages)
        int[] relevant = new int[queries.length];
        Arrays.setAll(relevant, q -> q);
        return Metrics.relevantRanks(sims, relevant);
    }
}
