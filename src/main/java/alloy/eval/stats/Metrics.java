package alloy.eval.stats;

import java.util.Arrays;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Metrics as per-item values, so that {@link Bootstrap} can put an interval on their mean and
 * {@link PairedTest} can compare two candidates item by item; and the whole-set statistics (Spearman,
 * corpus perplexity) as {@link Bootstrap.Statistic}s over item indices.
 *
 * <p>Retrieval works from the 0-based rank of each query's one relevant passage in the pool; a rank is
 * computed from a score array by {@link #rankOf(double[], int)}.
 */
public final class Metrics {

    private Metrics() {}

    // ---- retrieval -------------------------------------------------------------------------------------

    /**
     * 0-based rank of the relevant item among {@code scores}, higher score first. Every other item scoring
     * at least as high counts against it: a model that gives all passages the same score (a collapsed merge)
     * then ranks every relevant passage last instead of first.
     */
    public static int rankOf(double[] scores, int relevant) {
        checkRelevant(scores.length, relevant);
        double s = scores[relevant];
        if (Double.isNaN(s)) throw new IllegalArgumentException("score of the relevant item " + relevant + " is NaN");
        int rank = 0;
        for (int i = 0; i < scores.length; i++) {
            if (Double.isNaN(scores[i])) throw new IllegalArgumentException("score " + i + " of " + scores.length + " is NaN");
            if (i != relevant && scores[i] >= s) rank++;
        }
        return rank;
    }

    /** {@link #rankOf(double[], int)} for float scores (similarities as models produce them). */
    public static int rankOf(float[] scores, int relevant) {
        double[] d = new double[scores.length];
        for (int i = 0; i < d.length; i++) d[i] = scores[i];
        return rankOf(d, relevant);
    }

    /** Ranks of every query: {@code scores[q]} scores the pool for query q, whose relevant item is {@code relevant[q]}. */
    public static int[] relevantRanks(double[][] scores, int[] relevant) {
        if (scores.length != relevant.length) {
            throw new IllegalArgumentException(scores.length + " score rows but " + relevant.length + " relevant indices");
        }
        int[] r = new int[scores.length];
        for (int q = 0; q < r.length; q++) r[q] = rankOf(scores[q], relevant[q]);
        return r;
    }

    /** 1 when the relevant item is among the top {@code k}. */
    public static double recallAt(int rank, int k) {
        checkRank(rank);
        if (k <= 0) throw new IllegalArgumentException("k must be positive, got " + k);
        return rank < k ? 1 : 0;
    }

    /** 1 / (rank + 1); the mean over queries is MRR. */
    public static double reciprocalRank(int rank) {
        checkRank(rank);
        return 1.0 / (rank + 1);
    }

    /**
     * nDCG@k with one relevant item (binary relevance): DCG is 1 / log2(rank + 2) inside the cut-off and 0
     * beyond, and the ideal DCG (relevant item first) is 1.
     */
    public static double ndcgAt(int rank, int k) {
        checkRank(rank);
        if (k <= 0) throw new IllegalArgumentException("k must be positive, got " + k);
        return rank < k ? 1 / log2(rank + 2) : 0;
    }

    public static double[] recallAt(int[] ranks, int k) {
        double[] v = new double[ranks.length];
        for (int i = 0; i < v.length; i++) v[i] = recallAt(ranks[i], k);
        return v;
    }

    public static double[] reciprocalRanks(int[] ranks) {
        double[] v = new double[ranks.length];
        for (int i = 0; i < v.length; i++) v[i] = reciprocalRank(ranks[i]);
        return v;
    }

    public static double[] ndcgAt(int[] ranks, int k) {
        double[] v = new double[ranks.length];
        for (int i = 0; i < v.length; i++) v[i] = ndcgAt(ranks[i], k);
        return v;
    }

    // ---- classification and generation -----------------------------------------------------------------

    /** Index of the highest score, the first of equals; NaN scores are refused. */
    public static int argmax(double[] scores) {
        if (scores.length == 0) throw new IllegalArgumentException("argmax of no scores");
        int best = 0;
        for (int i = 0; i < scores.length; i++) {
            if (Double.isNaN(scores[i])) throw new IllegalArgumentException("score " + i + " of " + scores.length + " is NaN");
            if (scores[i] > scores[best]) best = i;
        }
        return best;
    }

    /** Per-item accuracy: 1 where {@code predicted[i] == gold[i]}. */
    public static double[] accuracy(int[] predicted, int[] gold) {
        if (predicted.length != gold.length) {
            throw new IllegalArgumentException(predicted.length + " predictions but " + gold.length + " gold labels");
        }
        double[] v = new double[gold.length];
        for (int i = 0; i < v.length; i++) v[i] = predicted[i] == gold[i] ? 1 : 0;
        return v;
    }

    /** Per-item exact match after trimming surrounding whitespace from both sides. */
    public static double[] exactMatch(List<String> outputs, List<String> answers) {
        if (outputs.size() != answers.size()) {
            throw new IllegalArgumentException(outputs.size() + " outputs but " + answers.size() + " answers");
        }
        double[] v = new double[answers.size()];
        for (int i = 0; i < v.length; i++) v[i] = outputs.get(i).strip().equals(answers.get(i).strip()) ? 1 : 0;
        return v;
    }

    // ---- correlation -----------------------------------------------------------------------------------

    /** Spearman's rho: the Pearson correlation of average ranks (ties share the mean of their positions). NaN for constant input. */
    public static double spearman(double[] a, double[] b) {
        if (a.length != b.length) throw new IllegalArgumentException("spearman needs paired values, got " + a.length + " and " + b.length);
        return pearson(ranks(a), ranks(b));
    }

    /** Pearson correlation; NaN when either side is constant (the correlation is undefined) or empty. */
    public static double pearson(double[] x, double[] y) {
        if (x.length != y.length) throw new IllegalArgumentException("pearson needs paired values, got " + x.length + " and " + y.length);
        int n = x.length;
        if (n == 0) return Double.NaN;
        double mx = mean(x), my = mean(y);
        double sxy = 0, sxx = 0, syy = 0;
        for (int i = 0; i < n; i++) {
            sxy += (x[i] - mx) * (y[i] - my);
            sxx += (x[i] - mx) * (x[i] - mx);
            syy += (y[i] - my) * (y[i] - my);
        }
        if (sxx == 0 || syy == 0) return Double.NaN;
        // Rounding can push |r| a hair past 1 for perfectly (anti)correlated data.
        return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
    }

    /** 1-based ranks, ties given the average of the positions they span. NaN is refused (it has no place in an order). */
    public static double[] ranks(double[] v) {
        Integer[] idx = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            if (Double.isNaN(v[i])) throw new IllegalArgumentException("value " + i + " of " + v.length + " is NaN and cannot be ranked");
            idx[i] = i;
        }
        Arrays.sort(idx, (p, q) -> Double.compare(v[p], v[q]));
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; ) {
            int j = i;
            while (j + 1 < v.length && v[idx[j + 1]] == v[idx[i]]) j++;
            double avg = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++) r[idx[k]] = avg;
            i = j + 1;
        }
        return r;
    }

    /** Spearman over the resampled pairs, for {@link Bootstrap#statistic} and paired comparisons of two models' similarities. */
    public static Bootstrap.Statistic spearmanOf(double[] predicted, double[] gold) {
        if (predicted.length != gold.length) {
            throw new IllegalArgumentException("spearman needs paired values, got " + predicted.length + " and " + gold.length);
        }
        double[] p = predicted.clone(), g = gold.clone();
        return sample -> {
            double[] ps = new double[sample.length], gs = new double[sample.length];
            for (int i = 0; i < sample.length; i++) {
                ps[i] = p[sample[i]];
                gs[i] = g[sample[i]];
            }
            return spearman(ps, gs);
        };
    }

    // ---- domain-balanced statistics --------------------------------------------------------------------

    /**
     * Group indices {@code 0..G-1} of labels (domains), in order of first appearance: {@code ["b", "a", "b"]}
     * gives {@code [0, 1, 0]}.
     */
    public static int[] groupIndices(List<String> labels) {
        Map<String, Integer> index = new LinkedHashMap<>();
        int[] out = new int[labels.size()];
        for (int i = 0; i < out.length; i++) out[i] = index.computeIfAbsent(labels.get(i), k -> index.size());
        return out;
    }

    /**
     * Per-item weights that turn a plain mean into the mean of group means: item i in group g of n_g items
     * (G groups, n items) weighs n / (G · n_g), so {@code mean(w · v)} equals the mean over groups of each
     * group's mean of v. All weights are 1 when every group has as many items.
     */
    public static double[] balanceWeights(int[] groups) {
        int g = groupCount(groups);
        int[] count = new int[g];
        for (int x : groups) count[x]++;
        int present = 0;
        for (int c : count) if (c > 0) present++;
        double[] w = new double[groups.length];
        for (int i = 0; i < w.length; i++) w[i] = (double) groups.length / (present * count[groups[i]]);
        return w;
    }

    /** The mean over groups of each group's mean of {@code values}, for the items a resample drew (groups it missed are left out). */
    public static Bootstrap.Statistic balancedMeanOf(double[] values, int[] groups) {
        if (values.length != groups.length) throw new IllegalArgumentException(values.length + " values but " + groups.length + " group labels");
        int g = groupCount(groups);
        double[] v = values.clone();
        int[] gr = groups.clone();
        return sample -> {
            double[] sum = new double[g];
            int[] count = new int[g];
            for (int i : sample) {
                sum[gr[i]] += v[i];
                count[gr[i]]++;
            }
            double total = 0;
            int present = 0;
            for (int k = 0; k < g; k++) {
                if (count[k] == 0) continue;
                total += sum[k] / count[k];
                present++;
            }
            return present == 0 ? Double.NaN : total / present;
        };
    }

    /**
     * The mean over groups of Spearman's rho within each group, for the pairs a resample drew; a group whose
     * rho is undefined in a resample (fewer than two distinct values) is left out of that resample's mean.
     */
    public static Bootstrap.Statistic balancedSpearmanOf(double[] predicted, double[] gold, int[] groups) {
        if (predicted.length != gold.length || gold.length != groups.length) {
            throw new IllegalArgumentException("balanced spearman needs paired values and groups, got " + predicted.length + ", "
                    + gold.length + " and " + groups.length);
        }
        int g = groupCount(groups);
        double[] p = predicted.clone(), y = gold.clone();
        int[] gr = groups.clone();
        return sample -> {
            int[] count = new int[g];
            for (int i : sample) count[gr[i]]++;
            double[][] ps = new double[g][], ys = new double[g][];
            for (int k = 0; k < g; k++) {
                ps[k] = new double[count[k]];
                ys[k] = new double[count[k]];
            }
            int[] at = new int[g];
            for (int i : sample) {
                int k = gr[i];
                ps[k][at[k]] = p[i];
                ys[k][at[k]++] = y[i];
            }
            double total = 0;
            int defined = 0;
            for (int k = 0; k < g; k++) {
                if (count[k] < 2) continue;
                double rho = spearman(ps[k], ys[k]);
                if (Double.isNaN(rho)) continue;
                total += rho;
                defined++;
            }
            return defined == 0 ? Double.NaN : total / defined;
        };
    }

    private static int groupCount(int[] groups) {
        int g = 0;
        for (int x : groups) {
            if (x < 0) throw new IllegalArgumentException("group index " + x + " is negative");
            g = Math.max(g, x + 1);
        }
        return g;
    }

    // ---- language modelling ----------------------------------------------------------------------------

    /**
     * Corpus perplexity exp(Σ nll / Σ tokens) over the resampled texts: texts of different lengths weigh by
     * their tokens, which a mean of per-text perplexities would not do.
     */
    public static Bootstrap.Statistic perplexityOf(double[] nll, int[] tokens) {
        if (nll.length != tokens.length) throw new IllegalArgumentException(nll.length + " log-likelihoods but " + tokens.length + " token counts");
        for (int i = 0; i < tokens.length; i++) {
            if (tokens[i] <= 0) throw new IllegalArgumentException("text " + i + " has " + tokens[i] + " tokens");
        }
        double[] l = nll.clone();
        int[] t = tokens.clone();
        return sample -> {
            double s = 0;
            long count = 0;
            for (int i : sample) {
                s += l[i];
                count += t[i];
            }
            return Math.exp(s / count);
        };
    }

    // ---- helpers ---------------------------------------------------------------------------------------

    /** Arithmetic mean; NaN for no values. */
    public static double mean(double[] v) {
        if (v.length == 0) return Double.NaN;
        double s = 0;
        for (double x : v) s += x;
        return s / v.length;
    }

    private static double log2(double x) { return Math.log(x) / Math.log(2); }

    private static void checkRank(int rank) {
        if (rank < 0) throw new IllegalArgumentException("rank must be >= 0 (0 = first), got " + rank);
    }

    private static void checkRelevant(int size, int relevant) {
        if (relevant < 0 || relevant >= size) {
            throw new IllegalArgumentException("relevant index " + relevant + " outside the " + size + " scored items");
        }
    }
}
