package alloy.eval.learn;

import alloy.eval.model.DjlEngine;
import alloy.eval.train.AdamW;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Adam on the merge coefficients of a {@link MergedWeights}, and nothing else: each step merges the weights
 * from the current coefficients inside a gradient collector, runs the loss on a batch of the training part of
 * the search split, and moves the coefficients. Every {@code evalEvery} steps the loss on the stopping slice
 * is measured; the coefficients of the best such check are kept, and learning stops when {@code patience}
 * checks in a row have not improved on it, at {@code maxSteps}, or when the wall-time budget is spent.
 */
public final class CoefficientLearner {

    /**
     * @param learningRate Adam's step size on the coefficients (λ or softmax logits)
     * @param clipNorm     the coefficients' gradient is scaled down to this norm when larger; 0 disables
     * @param threads      PyTorch intra-op threads while learning (1: a seed repeats a run exactly)
     */
    public record Settings(int maxSteps, double learningRate, int evalEvery, int patience, double clipNorm, long seed,
                           Optional<Duration> budget, int threads) {
        public Settings {
            if (maxSteps < 1) throw new IllegalArgumentException("steps: expected >= 1, found " + maxSteps);
            if (!(learningRate > 0) || !Double.isFinite(learningRate)) throw new IllegalArgumentException("learning rate must be positive, found " + learningRate);
            if (evalEvery < 1) throw new IllegalArgumentException("eval_every: expected >= 1, found " + evalEvery);
            if (patience < 1) throw new IllegalArgumentException("patience: expected >= 1, found " + patience);
            if (!(clipNorm >= 0)) throw new IllegalArgumentException("clip norm must be >= 0, found " + clipNorm);
            Objects.requireNonNull(budget, "budget");
            if (budget.isPresent() && (budget.get().isNegative() || budget.get().isZero())) throw new IllegalArgumentException("budget must be positive, found " + budget.get());
            if (threads < 1) throw new IllegalArgumentException("threads: expected >= 1, found " + threads);
        }
    }

    /** One training step: its loss and the coefficients' gradient norm. */
    public record Step(int step, double loss, double gradientNorm, double seconds) {}

    /** One early-stopping check after {@code step} steps. */
    public record Check(int step, double loss, boolean best, Map<String, Double> bySet) {
        public Check {
            bySet = Collections.unmodifiableMap(new LinkedHashMap<>(bySet));
        }
    }

    /** Why learning ended. */
    public enum Ending { PATIENCE, MAX_STEPS, BUDGET }

    /**
     * @param best      the coefficients kept (those of the best check), as {@link MergedWeights#values()}
     * @param bestCheck the check they come from
     */
    public record Result(double[][] best, Check bestCheck, List<Step> steps, List<Check> checks, Ending ending, double seconds) {
        public Result {
            steps = List.copyOf(steps);
            checks = List.copyOf(checks);
        }
    }

    /** Told after each step and each check. */
    public interface Listener {
        void step(Step s);

        void check(Check c);
    }

    private CoefficientLearner() {}

    /** Learns {@code weights}' coefficients on {@code loss}; on return they hold the best check's values. */
    public static Result learn(MergedWeights weights, LearnLoss loss, Settings settings, Listener listener) {
        return DjlEngine.withThreads(settings.threads(), () -> run(weights, loss, settings, listener));
    }

    private static Result run(MergedWeights weights, LearnLoss loss, Settings settings, Listener listener) {
        long t0 = System.nanoTime();
        NDArray p = weights.parameter();
        Map<String, NDArray> params = Map.of("coefficients", p);
        p.setRequiresGradient(true);
        AdamW adam = new AdamW(new AdamW.Settings(0.9, 0.999, 1e-8, 0), params, Set.of(), p.getManager());
        Random random = new Random(settings.seed());
        List<Step> steps = new ArrayList<>();
        List<Check> checks = new ArrayList<>();
        Check best = check(weights, loss, 0, null);
        checks.add(best);
        listener.check(best);
        double[][] bestValues = weights.values();
        int sinceBest = 0;
        Ending ending = Ending.MAX_STEPS;
        try {
            for (int step = 1; step <= settings.maxSteps(); step++) {
                if (settings.budget().isPresent() && System.nanoTime() - t0 > settings.budget().get().toNanos()) {
                    ending = Ending.BUDGET;
                    break;
                }
                long s0 = System.nanoTime();
                double value, norm;
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    try (GradientCollector collector = Engine.getEngine(DjlEngine.ENGINE).newGradientCollector()) {
                        NDArray l = loss.training(weights.weights(), random);
                        collector.backward(l);
                        value = l.getFloat();
                    }
                    norm = AdamW.gradientNorm(params);
                    double scale = settings.clipNorm() > 0 && norm > settings.clipNorm() ? settings.clipNorm() / norm : 1;
                    adam.update(params, settings.learningRate(), scale);
                    AdamW.zeroGradients(params);
                }
                if (!Double.isFinite(value)) throw new IllegalStateException("the loss became " + value + " at step " + step + "; lower the learning rate");
                Step s = new Step(step, value, norm, (System.nanoTime() - s0) / 1e9);
                steps.add(s);
                listener.step(s);
                if (step % settings.evalEvery() == 0 || step == settings.maxSteps()) {
                    Check c = check(weights, loss, step, best);
                    checks.add(c);
                    listener.check(c);
                    if (c.best()) {
                        best = c;
                        bestValues = weights.values();
                        sinceBest = 0;
                    } else if (++sinceBest >= settings.patience()) {
                        ending = Ending.PATIENCE;
                        break;
                    }
                }
            }
        } finally {
            p.setRequiresGradient(false);
        }
        weights.set(bestValues);
        return new Result(bestValues, best, steps, checks, ending, (System.nanoTime() - t0) / 1e9);
    }

    private static Check check(MergedWeights weights, LearnLoss loss, int step, Check best) {
        Map<String, Double> bySet;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            bySet = loss.stoppingBySet(weights.weights());
        }
        double v = LearnLoss.mean(bySet);
        return new Check(step, v, best == null || v < best.loss(), bySet);
    }

    /** A listener that ignores everything. */
    public static final Listener QUIET = new Listener() {
        @Override public void step(Step s) {}
        @Override public void check(Check c) {}
    };

    /** A listener that passes steps to {@code steps} and ignores checks. */
    public static Listener onSteps(Consumer<Step> steps) {
        return new Listener() {
            @Override public void step(Step s) { steps.accept(s); }
            @Override public void check(Check c) {}
        };
    }
}
