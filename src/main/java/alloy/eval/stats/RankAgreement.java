package alloy.eval.stats;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.IntStream;

/**
 * Whether the splits of a proxy set agree on how a set of candidates rank, and how small a difference a split
 * can resolve: the numbers that say if a proxy is fit to drive a search.
 *
 * <p>Each candidate's score on a split is its objective there: the mean over the split's tasks of each task's
 * primary statistic (negated where lower is better), as {@code Scorer.objective} computes it. From the
 * candidates' scores on two splits come Spearman's rho and Kendall's tau-b between the two rankings. Their
 * intervals come from a bootstrap over items: every replicate resamples the items of every (split, task)
 * independently, the same item indices for all candidates (so candidates stay paired), recomputes every
 * objective and then the two correlations. The intervals are percentile intervals and lean low: a replicate's
 * scores carry the resampling noise on top of the item noise already in the observed scores, so replicate
 * rankings agree less than the observed ones (with 21 grid merges, a Spearman of 0.955 came with [0.62, 0.98]).
 * Read the lower end as a conservative bound.
 *
 * <p>Resolution: for each pair of candidates adjacent in a split's ranking, the half-width of the paired
 * bootstrap interval of their difference on that split; the split resolves differences about as large as the
 * median of these half-widths. A split "separates candidates delta apart" when that median is at most delta.
 *
 * <p>Everything is computed from one matrix of replicate objectives, kept in the result, so that agreement
 * among a subset of the candidates (the best few, where a search makes its decisions) costs no new scoring.
 */
public final class RankAgreement {

    private RankAgreement() {}

    /**
     * One task of a split: its primary statistic for every candidate, in candidate order, all over the same
     * items.
     */
    public record TaskScores(String task, boolean higherIsBetter, List<ItemStatistic> candidates) {
        public TaskScores {
            Objects.requireNonNull(task, "task");
            candidates = List.copyOf(candidates);
            if (candidates.isEmpty()) throw new IllegalArgumentException(task + ": no candidates");
            int n = candidates.getFirst().n();
            for (ItemStatistic s : candidates) {
                if (s.n() != n) throw new IllegalArgumentException(task + ": candidates scored on " + n + " and " + s.n() + " items; they must share the items");
            }
        }

        /** The task's items. */
        public int n() { return candidates.getFirst().n(); }

        /**
         * From scores that keep their per-item values (means: recall, MRR, accuracy, exact match), each
         * resampled as the mean of its items.
         *
         * @throws IllegalArgumentException for a whole-set statistic (Spearman over pairs), whose items cannot
         *                                  be resampled from the score; give its {@link ItemStatistic} instead
         */
        public static TaskScores ofMeans(String task, boolean higherIsBetter, List<Score> candidates) {
            List<ItemStatistic> stats = new ArrayList<>();
            for (Score s : candidates) {
                if (!s.hasItems()) {
                    throw new IllegalArgumentException(task + ": " + s.metric() + " keeps no per-item values (a whole-set statistic); "
                            + "pass an ItemStatistic that recomputes it on resampled items");
                }
                stats.add(ItemStatistic.mean(s.items()));
            }
            return new TaskScores(task, higherIsBetter, stats);
        }
    }

    /** One split: its name and its tasks, each scored for every candidate. */
    public record SplitScores(String split, List<TaskScores> tasks) {
        public SplitScores {
            Objects.requireNonNull(split, "split");
            tasks = List.copyOf(tasks);
            if (tasks.isEmpty()) throw new IllegalArgumentException(split + ": no tasks");
            int c = tasks.getFirst().candidates().size();
            for (TaskScores t : tasks) {
                if (t.candidates().size() != c) {
                    throw new IllegalArgumentException(split + ": task " + t.task() + " scores " + t.candidates().size() + " candidates, another " + c);
                }
            }
        }

        /** Items over all tasks of the split. */
        public int items() { return tasks.stream().mapToInt(TaskScores::n).sum(); }

        int candidates() { return tasks.getFirst().candidates().size(); }
    }

    /** A correlation with its percentile bootstrap interval (NaN bounds when no replicate defined it). */
    public record Estimate(double value, double lower, double upper) {
        public double halfWidth() { return (upper - lower) / 2; }

        @Override public String toString() {
            return String.format(Locale.ROOT, "%.3f [%.3f, %.3f]", value, lower, upper);
        }
    }

    /** How two splits agree on the ranking. */
    public record Agreement(String a, String b, Estimate spearman, Estimate kendall) {}

    /**
     * How finely one split tells candidates apart.
     *
     * @param items              items over the split's tasks
     * @param medianHalfWidth    median over adjacent pairs of the half-width of the paired difference interval:
     *                           the smallest difference the split resolves. Pairs that score the same on every
     *                           item (identical merges, a saturated split) are left out, since a zero-width
     *                           interval says nothing about noise; NaN when no pair is left.
     * @param maxHalfWidth       the widest of those half-widths
     * @param separatedAdjacent  adjacent pairs whose paired interval excludes 0
     * @param identicalAdjacent  adjacent pairs with the same value on every item, left out of the median
     * @param adjacentPairs      candidates - 1
     */
    public record Resolution(String split, int items, double medianHalfWidth, double maxHalfWidth, int separatedAdjacent,
                             int identicalAdjacent, int adjacentPairs) {

        /** Whether the split separates candidates {@code delta} apart: its median half-width is at most delta. */
        public boolean separates(double delta) { return medianHalfWidth <= delta; }

        /** {@code "separates candidates 0.010 mrr apart (resolves 0.006)"}, or that it cannot. */
        public String verdict(double delta, String unit) {
            if (Double.isNaN(medianHalfWidth)) {
                return "cannot tell: neighbouring candidates score the same on every item, so the noise is not measured";
            }
            return separates(delta)
                    ? String.format(Locale.ROOT, "separates candidates %.3f %s apart (resolves %.3f)", delta, unit, medianHalfWidth)
                    : String.format(Locale.ROOT, "cannot separate candidates %.3f %s apart (resolves %.3f)", delta, unit, medianHalfWidth);
        }
    }

    /**
     * The whole answer.
     *
     * @param candidates  candidate names, in the order given
     * @param splits      split names, in the order given
     * @param scores      objective of each candidate on each split, [split][candidate]
     * @param intervals   each score's percentile interval, [split][candidate] as {lower, upper}
     * @param agreements  every pair of splits, in order (0-1, 0-2, 1-2, ...)
     * @param resolutions each split
     */
    public record Result(List<String> candidates, List<String> splits, double[][] scores, double[][][] intervals,
                         List<Agreement> agreements, List<Resolution> resolutions, Replicates replicates) {

        /** Agreement between two named splits. */
        public Agreement agreement(String a, String b) {
            for (Agreement g : agreements) {
                if (g.a().equals(a) && g.b().equals(b) || g.a().equals(b) && g.b().equals(a)) return g;
            }
            throw new IllegalArgumentException("no splits " + a + " and " + b + " among " + splits);
        }

        public Resolution resolution(String split) {
            for (Resolution r : resolutions) if (r.split().equals(split)) return r;
            throw new IllegalArgumentException("no split " + split + " among " + splits);
        }

        /** Candidate indices, best first, by their score on {@code split}. */
        public int[] ranking(String split) {
            double[] s = scores[splits.indexOf(split)];
            return IntStream.range(0, s.length).boxed().sorted(Comparator.comparingDouble((Integer c) -> -s[c])).mapToInt(Integer::intValue).toArray();
        }

        /** The same statistics among some of the candidates only (say, the best k on the search split). */
        public Result among(int[] subset) {
            return compute(candidates, splits, replicates, subset);
        }

        /** The {@code k} best candidates on {@code split}, as indices for {@link #among}. */
        public int[] top(String split, int k) {
            int[] r = ranking(split);
            return Arrays.copyOf(r, Math.min(k, r.length));
        }
    }

    /**
     * Replicate objectives: {@code point[s][c]} on the items as they are, {@code boot[b][s][c]} on replicate b,
     * and the items per split.
     */
    public record Replicates(double[][] point, double[][][] boot, int[] items, double confidence) {}

    /**
     * Scores every candidate on every split, resamples, and measures agreement and resolution.
     *
     * @param candidates names, one per candidate in the order the {@link TaskScores} list them
     * @param splits     at least two
     */
    public static Result of(List<String> candidates, List<SplitScores> splits, Bootstrap bootstrap) {
        if (splits.size() < 2) throw new IllegalArgumentException("rank agreement needs at least two splits, got " + splits.size());
        int c = candidates.size();
        if (c < 3) throw new IllegalArgumentException("rank agreement needs at least three candidates, got " + c);
        for (SplitScores s : splits) {
            if (s.candidates() != c) throw new IllegalArgumentException(s.split() + " scores " + s.candidates() + " candidates, " + c + " are named");
        }
        int groups = splits.stream().mapToInt(s -> s.tasks().size()).sum();
        int[] sizes = new int[groups];
        int g = 0;
        for (SplitScores s : splits) for (TaskScores t : s.tasks()) sizes[g++] = t.n();
        double[][] point = new double[splits.size()][c];
        for (int si = 0; si < splits.size(); si++) {
            for (int k = 0; k < c; k++) point[si][k] = objective(splits.get(si), k, null, 0);
        }
        double[][][] boot = new double[bootstrap.resamples()][splits.size()][c];
        bootstrap.resample(sizes, (b, samples) -> {
            int first = 0;
            for (int si = 0; si < splits.size(); si++) {
                SplitScores s = splits.get(si);
                for (int k = 0; k < c; k++) boot[b][si][k] = objective(s, k, samples, first);
                first += s.tasks().size();
            }
        });
        int[] items = splits.stream().mapToInt(SplitScores::items).toArray();
        Replicates r = new Replicates(point, boot, items, bootstrap.confidence());
        return compute(List.copyOf(candidates), splits.stream().map(SplitScores::split).toList(), r, IntStream.range(0, c).toArray());
    }

    /** Mean over the split's tasks of the candidate's statistic (sign-adjusted), on the samples from {@code first} on, or on all items. */
    private static double objective(SplitScores s, int candidate, int[][] samples, int first) {
        double sum = 0;
        for (int t = 0; t < s.tasks().size(); t++) {
            TaskScores task = s.tasks().get(t);
            ItemStatistic stat = task.candidates().get(candidate);
            double v = samples == null ? stat.value() : stat.of(samples[first + t]);
            sum += task.higherIsBetter() ? v : -v;
        }
        return sum / s.tasks().size();
    }

    private static Result compute(List<String> allNames, List<String> splits, Replicates r, int[] subset) {
        if (subset.length < 3) throw new IllegalArgumentException("rank agreement needs at least three candidates, got " + subset.length);
        int s = splits.size(), c = subset.length, boots = r.boot().length;
        double tail = (1 - r.confidence()) / 2;
        double[][] scores = new double[s][c];
        double[][][] intervals = new double[s][c][];
        for (int si = 0; si < s; si++) {
            for (int k = 0; k < c; k++) {
                scores[si][k] = r.point()[si][subset[k]];
                double[] d = new double[boots];
                for (int b = 0; b < boots; b++) d[b] = r.boot()[b][si][subset[k]];
                intervals[si][k] = percentiles(d, tail);
            }
        }
        List<Agreement> agreements = new ArrayList<>();
        for (int a = 0; a < s; a++) {
            for (int b2 = a + 1; b2 < s; b2++) {
                double[] rho = new double[boots], tau = new double[boots];
                for (int b = 0; b < boots; b++) {
                    double[] x = pick(r.boot()[b][a], subset), y = pick(r.boot()[b][b2], subset);
                    rho[b] = Metrics.spearman(x, y);
                    tau[b] = kendallTauB(x, y);
                }
                double[] rhoCi = percentiles(rho, tail), tauCi = percentiles(tau, tail);
                double rho0 = Metrics.spearman(scores[a], scores[b2]), tau0 = kendallTauB(scores[a], scores[b2]);
                agreements.add(new Agreement(splits.get(a), splits.get(b2), new Estimate(rho0, rhoCi[0], rhoCi[1]), new Estimate(tau0, tauCi[0], tauCi[1])));
            }
        }
        List<Resolution> resolutions = new ArrayList<>();
        for (int si = 0; si < s; si++) {
            final double[] sc = scores[si];
            int[] order = IntStream.range(0, c).boxed().sorted(Comparator.comparingDouble((Integer k) -> -sc[k])).mapToInt(Integer::intValue).toArray();
            List<Double> half = new ArrayList<>();
            int separated = 0, identical = 0;
            for (int p = 0; p + 1 < c; p++) {
                int hi = subset[order[p]], lo = subset[order[p + 1]];
                double[] d = new double[boots];
                boolean same = r.point()[si][hi] == r.point()[si][lo];
                for (int b = 0; b < boots; b++) {
                    d[b] = r.boot()[b][si][hi] - r.boot()[b][si][lo];
                    same &= d[b] == 0;
                }
                if (same) {
                    identical++;
                    continue;
                }
                double[] ci = percentiles(d, tail);
                half.add((ci[1] - ci[0]) / 2);
                if (ci[0] > 0 || ci[1] < 0) separated++;
            }
            double[] sorted = half.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            double max = sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1];
            resolutions.add(new Resolution(splits.get(si), r.items()[si], Bootstrap.quantile(sorted, 0.5), max, separated, identical, c - 1));
        }
        List<String> names = new ArrayList<>();
        for (int k : subset) names.add(allNames.get(k));
        Replicates kept = subset.length == allNames.size() && isIdentity(subset) ? r : restrict(r, subset);
        return new Result(List.copyOf(names), List.copyOf(splits), scores, intervals, List.copyOf(agreements), List.copyOf(resolutions), kept);
    }

    private static boolean isIdentity(int[] subset) {
        for (int i = 0; i < subset.length; i++) if (subset[i] != i) return false;
        return true;
    }

    private static Replicates restrict(Replicates r, int[] subset) {
        double[][] point = new double[r.point().length][];
        for (int s = 0; s < point.length; s++) point[s] = pick(r.point()[s], subset);
        double[][][] boot = new double[r.boot().length][r.point().length][];
        for (int b = 0; b < boot.length; b++) for (int s = 0; s < point.length; s++) boot[b][s] = pick(r.boot()[b][s], subset);
        return new Replicates(point, boot, r.items(), r.confidence());
    }

    private static double[] pick(double[] v, int[] subset) {
        double[] out = new double[subset.length];
        for (int i = 0; i < subset.length; i++) out[i] = v[subset[i]];
        return out;
    }

    /** Lower and upper percentile of the non-NaN values; NaN bounds when none is a number. */
    private static double[] percentiles(double[] values, double tail) {
        double[] d = Arrays.stream(values).filter(v -> !Double.isNaN(v)).sorted().toArray();
        return new double[] {Bootstrap.quantile(d, tail), Bootstrap.quantile(d, 1 - tail)};
    }

    /**
     * The numbers as a plain-text report: each candidate's score on each split (best first on the first split),
     * the agreement of every pair of splits, each split's resolution, and a verdict per split on whether it
     * separates candidates {@code delta} apart. {@code unit} names the objective (mrr, or objective for a mix
     * of sets).
     */
    public static String report(Result r, double delta, String unit) {
        StringBuilder sb = new StringBuilder();
        int width = Math.min(56, Math.max(9, r.candidates().stream().mapToInt(String::length).max().orElse(9)));
        sb.append(String.format(Locale.ROOT, "%-" + width + "s", "candidate"));
        for (String s : r.splits()) sb.append(String.format(Locale.ROOT, "  %-24s", s + " " + unit));
        sb.append('\n');
        for (int c : r.ranking(r.splits().getFirst())) {
            String name = r.candidates().get(c);
            if (name.length() > width) name = "..." + name.substring(name.length() - width + 3);
            sb.append(String.format(Locale.ROOT, "%-" + width + "s", name));
            for (int s = 0; s < r.splits().size(); s++) {
                sb.append(String.format(Locale.ROOT, "  %.4f [%.4f, %.4f]", r.scores()[s][c], r.intervals()[s][c][0], r.intervals()[s][c][1]));
            }
            sb.append('\n');
        }
        int pct = (int) Math.round(r.replicates().confidence() * 100);
        sb.append(String.format(Locale.ROOT, "agreement between split rankings of %d candidates (%d%% percentile bootstrap over items; "
                + "resampling adds noise to both splits, so the intervals lean low):%n", r.candidates().size(), pct));
        for (Agreement g : r.agreements()) {
            sb.append(String.format(Locale.ROOT, "  %-24s Spearman %s   Kendall tau-b %s%n", g.a() + " vs " + g.b(), g.spearman(), g.kendall()));
        }
        sb.append(String.format(Locale.ROOT, "resolution (half-width of the paired %d%% interval between candidates adjacent in a split's ranking):%n", pct));
        for (Resolution res : r.resolutions()) {
            sb.append(String.format(Locale.ROOT, "  %-11s %4d items  median %.4f, widest %.4f; %d of %d adjacent pairs apart%s%n", res.split(), res.items(),
                    res.medianHalfWidth(), res.maxHalfWidth(), res.separatedAdjacent(), res.adjacentPairs(),
                    res.identicalAdjacent() == 0 ? "" : String.format(Locale.ROOT, ", %d identical on every item (left out)", res.identicalAdjacent())));
        }
        sb.append("verdict:\n");
        for (Resolution res : r.resolutions()) {
            sb.append(String.format(Locale.ROOT, "  %-11s this split %s%n", res.split(), res.verdict(delta, unit)));
        }
        return sb.toString();
    }

    /**
     * Kendall's tau-b: (concordant - discordant) / sqrt((n0 - tx)(n0 - ty)), with n0 = n(n-1)/2 pairs and tx,
     * ty the pairs tied in x and in y; a pair tied in both counts in neither. NaN when either side is constant.
     */
    public static double kendallTauB(double[] x, double[] y) {
        if (x.length != y.length) throw new IllegalArgumentException("kendall needs paired values, got " + x.length + " and " + y.length);
        int n = x.length;
        long concordant = 0, discordant = 0, tiesX = 0, tiesY = 0;
        for (int i = 0; i < n; i++) {
            for (int j = i + 1; j < n; j++) {
                double dx = x[i] - x[j], dy = y[i] - y[j];
                if (Double.isNaN(dx) || Double.isNaN(dy)) throw new IllegalArgumentException("kendall of NaN values");
                if (dx == 0) tiesX++;
                if (dy == 0) tiesY++;
                if (dx == 0 || dy == 0) continue;
                if (dx * dy > 0) concordant++;
                else discordant++;
            }
        }
        long n0 = (long) n * (n - 1) / 2;
        double denominator = Math.sqrt((double) (n0 - tiesX) * (n0 - tiesY));
        return denominator == 0 ? Double.NaN : (concordant - discordant) / denominator;
    }
}
