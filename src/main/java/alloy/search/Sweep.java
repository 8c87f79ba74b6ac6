package alloy.search;

import alloy.eval.Scorer;
import alloy.eval.TaskResult;
import alloy.eval.stats.Bootstrap;
import alloy.eval.stats.PairedComparison;
import alloy.eval.stats.PairedTest;
import alloy.eval.stats.QuadraticFit;
import alloy.eval.task.Split;
import alloy.recipe.Recipe;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * A one-parameter sweep as practitioners run it by hand, done properly: every point is merged in memory and
 * scored on the search split; a quadratic is fitted to the objective; its vertex (clamped to the range) is
 * proposed when the fit is concave and good, else the best sampled point; a proposal between samples is
 * merged and scored to confirm it. The winner and the sweep's two ends are then scored on the held-out
 * split, and the winner is compared with each end item by item, so that a gain can be told from noise.
 */
public final class Sweep {

    /** Told as points are scored: how many are done out of how many planned. */
    public interface Listener {
        void pointDone(Point p, int done, int planned);

        Listener NONE = (p, d, n) -> {};
    }

    public enum Role { SAMPLE, PROPOSAL, HELDOUT }

    public record Point(double x, Role role, Split split, List<TaskResult> results) {
        public double objective() { return Scorer.objective(results); }
    }

    public record Comparison(String task, double against, Split split, PairedComparison test) {}

    public record Result(Recipe recipe, ParamTarget target, Optional<ParamTarget> complement, List<Point> points,
                         QuadraticFit fit, QuadraticFit.Proposal proposal, double winner, Recipe winningRecipe,
                         List<Comparison> comparisons) {}

    /** Minimum R² for the vertex of a concave fit to be trusted over the best sampled point. */
    public static final double MIN_R2 = 0.5;

    private final Recipe recipe;
    private final ParamTarget target;
    private final Optional<ParamTarget> complement;
    private final Bootstrap bootstrap;

    public Sweep(Recipe recipe, ParamTarget target, Optional<ParamTarget> complement, Bootstrap bootstrap) {
        this.recipe = recipe;
        this.target = target;
        this.complement = complement;
        this.bootstrap = bootstrap;
    }

    public Recipe at(double x) {
        Recipe r = target.apply(recipe, x);
        return complement.map(c -> c.apply(r, 1 - x)).orElse(r);
    }

    public Result run(double[] values, CandidateScorer scorer, Listener listener) {
        if (values.length < 3) throw new IllegalArgumentException("a sweep needs at least 3 values to fit a quadratic, got " + values.length);
        double[] xs = values.clone();
        Arrays.sort(xs);
        int planned = xs.length + 1 + 3;
        List<Point> points = new ArrayList<>();
        double[] ys = new double[xs.length];
        for (int i = 0; i < xs.length; i++) {
            Point p = score(xs[i], Role.SAMPLE, Split.SEARCH, scorer, i + 1 < xs.length ? OptionalDouble.of(xs[i + 1]) : OptionalDouble.empty());
            points.add(p);
            ys[i] = p.objective();
            listener.pointDone(p, points.size(), planned);
        }
        QuadraticFit fit = QuadraticFit.fit(xs, ys);
        QuadraticFit.Proposal proposal = fit.proposal(xs[0], xs[xs.length - 1], MIN_R2);
        Point best = points.stream().max((a, b) -> Double.compare(a.objective(), b.objective())).orElseThrow();
        double winner = best.x();
        if (Arrays.stream(xs).noneMatch(x -> Math.abs(x - proposal.x()) < 1e-9)) {
            Point confirm = score(proposal.x(), Role.PROPOSAL, Split.SEARCH, scorer);
            points.add(confirm);
            listener.pointDone(confirm, points.size(), planned);
            if (confirm.objective() >= best.objective()) winner = confirm.x();
        }
        List<Comparison> comparisons = new ArrayList<>();
        Point win = score(winner, Role.HELDOUT, Split.HELDOUT, scorer);
        points.add(win);
        listener.pointDone(win, points.size(), planned);
        for (double end : new double[] {xs[0], xs[xs.length - 1]}) {
            if (Math.abs(end - winner) < 1e-9) continue;
            Point e = score(end, Role.HELDOUT, Split.HELDOUT, scorer);
            points.add(e);
            listener.pointDone(e, points.size(), planned);
            comparisons.addAll(compare(e, win));
            Point searchEnd = find(points, end, Split.SEARCH), searchWin = find(points, winner, Split.SEARCH);
            comparisons.addAll(compare(searchEnd, searchWin));
        }
        return new Result(recipe, target, complement, points, fit, proposal, winner, at(winner), comparisons);
    }

    private static Point find(List<Point> points, double x, Split split) {
        return points.stream().filter(p -> p.split() == split && Math.abs(p.x() - x) < 1e-9).findFirst().orElseThrow();
    }

    private List<Comparison> compare(Point against, Point winner) {
        List<Comparison> out = new ArrayList<>();
        for (int t = 0; t < winner.results().size(); t++) {
            TaskResult a = against.results().get(t), b = winner.results().get(t);
            // Whole-set statistics (Spearman) have no per-item values to pair; their intervals still show.
            if (!a.primary().hasItems() || !b.primary().hasItems()) continue;
            out.add(new Comparison(b.task(), against.x(), winner.split(),
                    PairedTest.compare(b.primary().metric(), a.primary().items(), b.primary().items(), bootstrap)));
        }
        return out;
    }

    private Point score(double x, Role role, Split split, CandidateScorer scorer) {
        return score(x, role, split, scorer, OptionalDouble.empty());
    }

    /** The point at {@code x}; the point at {@code next} is built meanwhile when given. */
    private Point score(double x, Role role, Split split, CandidateScorer scorer, OptionalDouble next) {
        Optional<Candidate> ahead = next.isPresent() ? Optional.of(candidate(next.getAsDouble())) : Optional.empty();
        return new Point(x, role, split, scorer.score(candidate(x), split, ahead).results());
    }

    private Candidate candidate(double x) { return new Candidate.Merge(target + "=" + x, at(x)); }
}
