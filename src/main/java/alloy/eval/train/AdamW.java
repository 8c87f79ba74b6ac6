package alloy.eval.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter): for each parameter p with gradient g,
 * <pre>
 *   p ← p − lr · wd · p                       (only for parameters in the decay set)
 *   m ← β₁ m + (1 − β₁) g,   v ← β₂ v + (1 − β₂) g²
 *   p ← p − lr · m̂ / (√v̂ + ε),   m̂ = m / (1 − β₁ᵗ),   v̂ = v / (1 − β₂ᵗ)
 * </pre>
 * Written out rather than taken from DJL so that the update is the same on every engine and easy to read.
 * Updates are in place and must run outside a gradient collector.
 */
public final class AdamW {

    /** Hyper-parameters, checked once. */
    public record Settings(double beta1, double beta2, double epsilon, double weightDecay) {
        public Settings {
            if (!(beta1 >= 0 && beta1 < 1)) throw new IllegalArgumentException("beta1 must be in [0, 1), found " + beta1);
            if (!(beta2 >= 0 && beta2 < 1)) throw new IllegalArgumentException("beta2 must be in [0, 1), found " + beta2);
            if (!(epsilon > 0)) throw new IllegalArgumentException("epsilon must be positive, found " + epsilon);
            if (!(weightDecay >= 0)) throw new IllegalArgumentException("weight decay must be >= 0, found " + weightDecay);
        }

        public static Settings standard(double weightDecay) { return new Settings(0.9, 0.95, 1e-8, weightDecay); }
    }

    private final Settings settings;
    private final Map<String, NDArray> first = new LinkedHashMap<>();
    private final Map<String, NDArray> second = new LinkedHashMap<>();
    private final Set<String> decayed;
    private int step;

    /** Moments live in {@code manager}, one pair per parameter of {@code params}; {@code decayed} names those that decay. */
    public AdamW(Settings settings, Map<String, NDArray> params, Set<String> decayed, NDManager manager) {
        this.settings = settings;
        this.decayed = Set.copyOf(decayed);
        for (var e : params.entrySet()) {
            first.put(e.getKey(), manager.zeros(e.getValue().getShape()));
            second.put(e.getKey(), manager.zeros(e.getValue().getShape()));
        }
    }

    public int steps() { return step; }

    /**
     * One update of every parameter from its attached gradient, scaled by {@code gradScale} first (global
     * norm clipping).
     */
    public void update(Map<String, NDArray> params, double lr, double gradScale) {
        step++;
        double b1 = settings.beta1(), b2 = settings.beta2();
        double c1 = 1 - Math.pow(b1, step), c2 = 1 - Math.pow(b2, step);
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            for (var e : params.entrySet()) {
                String name = e.getKey();
                NDArray p = e.getValue();
                NDArray m = first.get(name), v = second.get(name);
                if (m == null) throw new IllegalArgumentException("parameter '" + name + "' was not registered with the optimiser");
                NDArray g = p.getGradient().mul(gradScale);
                if (decayed.contains(name) && settings.weightDecay() > 0) p.muli(1 - lr * settings.weightDecay());
                m.muli(b1).addi(g.mul(1 - b1));
                v.muli(b2).addi(g.square().mul(1 - b2));
                NDArray denominator = v.div(c2).sqrt().add(settings.epsilon());
                p.subi(m.div(c1).div(denominator).mul(lr));
            }
        }
    }

    /** Norm of all gradients together (for clipping), √Σ g². */
    public static double gradientNorm(Map<String, NDArray> params) {
        double sum = 0;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            for (NDArray p : params.values()) sum += p.getGradient().square().sum().getFloat();
        }
        return Math.sqrt(sum);
    }

    /** Sets every gradient to zero for the next backward pass (PyTorch accumulates). */
    public static void zeroGradients(Map<String, NDArray> params) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            for (NDArray p : params.values()) p.getGradient().muli(0);
        }
    }
}
