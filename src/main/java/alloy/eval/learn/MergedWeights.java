package alloy.eval.learn;

import alloy.merge.Consensus;
import alloy.recipe.CoefficientLayout;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.nio.FloatBuffer;
import java.util.IdentityHashMap;

/**
 * Merged weights as a differentiable function of the merge coefficients, the one thing {@code alloy learn}
 * trains. The coefficients are a (models, columns) array: for each model, one value per filter group per
 * gradient anchor ({@link CoefficientLayout}), spread over depth exactly as a mergekit gradient list is (a
 * tensor at depth t takes its group's anchors' linear interpolation at t, the same t the planner gives it),
 * so the learned values are written back as an ordinary recipe whose merge gives the very weights trained
 * here.
 * <ul>
 *   <li>{@link Form#TASK_VECTORS}: W = base + Σ_k λ_k(t) · τ_k with τ_k = model_k − base, what
 *       task_arithmetic computes with lambda 1 and normalize off; the coefficients are the λ anchors.</li>
 *   <li>{@link Form#SOFTMAX_LINEAR}: W = Σ_k w_k(t) · W_k with, at each anchor, w = softmax(a) over the
 *       models; the coefficients are the logits a. Interpolating simplex vectors stays on the simplex, so
 *       linear with normalize on merges the written weights to the same W.</li>
 * </ul>
 * With a sign election ({@link Consensus#SUM} or {@link Consensus#COUNT}, the TIES family), each element keeps
 * only the weighted task vectors λ_k τ_k whose sign agrees with the elected one, as the merge code does
 * ({@code SignVote}, normalize off): the election is recomputed from the current λ at every step and treated as
 * a constant by autograd (the merged weights are piecewise linear in λ; the gradient is that of the current
 * piece), so the function trained is, at every step, the one the written recipe merges.
 *
 * <p>Memory: each tensor's task vectors (or models) are flattened and stacked once into a (models, numel)
 * array owned here; the inputs are not kept. A step builds each merged tensor as one (1, models) ×
 * (models, numel) product plus the base, so nothing per model is copied per step, and autograd keeps only
 * references to the frozen stacks. A sign election needs the weighted (models, numel) deltas themselves and
 * their agreement mask, per tensor and step: a few times one tensor's stack, freed with the step's scope.
 */
public final class MergedWeights implements AutoCloseable {

    /** How coefficients combine the models; see the class comment. */
    public enum Form { TASK_VECTORS, SOFTMAX_LINEAR }

    /** One tensor: its shape, its depth in [0, 1] and its frozen arrays. */
    private record Tensor(String name, Shape shape, double depth, NDArray base, NDArray stacked, NDArray interpolation) {}

    private final Form form;
    private final List<String> models;
    private final CoefficientLayout layout;
    private final Consensus election;
    private final NDManager manager;
    private final NDArray coefficients;
    private final Map<String, Tensor> tensors = new LinkedHashMap<>();

    private MergedWeights(Form form, List<String> models, CoefficientLayout layout, Consensus election, NDManager manager, NDArray coefficients) {
        this.form = form;
        this.election = election;
        this.models = List.copyOf(models);
        this.layout = layout;
        this.manager = manager;
        this.coefficients = coefficients;
    }

    /**
     * Builds the function over {@code endpoints} (model label to its weights by tensor name; for task vectors
     * each endpoint is base + τ, possibly sparsified already) with the coefficients {@code layout} places,
     * {@link CoefficientLayout#columns()} per model, starting at {@code initial[k][c]} (λ for task vectors,
     * weights summing to 1 per column for softmax linear). {@code depth} gives each merged tensor's t; tensors missing from it are not merged (the
     * caller keeps them from the base). Arrays are copied into a sub-manager of {@code parent}: close this
     * object to free them; the inputs may be closed once this returns.
     */
    public static MergedWeights build(Form form, Map<String, NDArray> base, Map<String, Map<String, NDArray>> endpoints,
                                      Map<String, Double> depth, CoefficientLayout layout, double[][] initial, NDManager parent) {
        return build(form, Consensus.NONE, base, endpoints, depth, layout, initial, parent);
    }

    /** {@link #build(Form, Map, Map, Map, CoefficientLayout, double[][], NDManager)} with a sign election ({@code election} not NONE: task vectors only). */
    public static MergedWeights build(Form form, Consensus election, Map<String, NDArray> base, Map<String, Map<String, NDArray>> endpoints,
                                      Map<String, Double> depth, CoefficientLayout layout, double[][] initial, NDManager parent) {
        Objects.requireNonNull(form, "form");
        Objects.requireNonNull(election, "election");
        if (election != Consensus.NONE && form != Form.TASK_VECTORS) throw new IllegalArgumentException("a sign election needs task vectors, not " + form);
        int columns = layout.columns();
        if (endpoints.isEmpty()) throw new IllegalArgumentException("no models to merge");
        if (form == Form.TASK_VECTORS && base == null) throw new IllegalArgumentException("task vectors need a base model");
        List<String> labels = List.copyOf(endpoints.keySet());
        if (initial.length != labels.size()) throw new IllegalArgumentException("initial coefficients: " + initial.length + " rows for " + labels.size() + " models");
        float[] init = new float[labels.size() * columns];
        for (int k = 0; k < labels.size(); k++) {
            if (initial[k].length != columns) {
                throw new IllegalArgumentException("initial coefficients of '" + labels.get(k) + "': " + initial[k].length + " values for " + columns + " coefficients");
            }
            for (int a = 0; a < columns; a++) {
                double v = initial[k][a];
                if (form == Form.SOFTMAX_LINEAR) {
                    if (!(v > 0)) throw new IllegalArgumentException("softmax-linear weights must be positive, '" + labels.get(k) + "' coefficient " + a + " is " + v);
                    v = Math.log(v);   // softmax(log w) = w / Σ w
                }
                init[k * columns + a] = (float) v;
            }
        }
        NDManager m = parent.newSubManager();
        try {
            NDArray coefficients = torchOwned(m, init, new Shape(labels.size(), columns));          // (models, columns)
            MergedWeights w = new MergedWeights(form, labels, layout, election, m, coefficients);
            Map<List<Double>, NDArray> interpolations = new LinkedHashMap<>();
            boolean[] used = new boolean[layout.groups()];
            for (var e : depth.entrySet()) {
                String name = e.getKey();
                NDArray b = base == null ? null : base.get(name);
                if (form == Form.TASK_VECTORS && b == null) throw new IllegalArgumentException("tensor '" + name + "' is not in the base model");
                NDArray stacked, ownBase;
                Shape shape = null;
                // every temporary (differences, row views) dies with the scope; only the stack and the base's copy stay
                try (NDScope scope = new NDScope()) {
                    NDList rows = new NDList();
                    for (String label : labels) {
                        NDArray x = endpoints.get(label).get(name);
                        if (x == null) throw new IllegalArgumentException("tensor '" + name + "' is not in model '" + label + "'");
                        if (shape == null) shape = x.getShape();
                        if (!x.getShape().equals(shape) || (b != null && !b.getShape().equals(shape))) {
                            throw new IllegalArgumentException("tensor '" + name + "': model '" + label + "' has shape " + x.getShape()
                                    + ", expected " + (b != null ? b.getShape() : shape));
                        }
                        NDArray row = form == Form.TASK_VECTORS ? x.sub(b) : x;
                        rows.add(row.reshape(1, shape.size()));                                 // (1, numel)
                    }
                    stacked = NDArrays.concat(rows, 0);                                          // (models, numel)
                    ownBase = b == null ? null : b.duplicate();
                    NDScope.unregister(stacked);
                    if (ownBase != null) NDScope.unregister(ownBase);
                }
                stacked.attach(m);
                if (ownBase != null) ownBase.attach(m);
                double t = e.getValue();
                int group = layout.group(name);
                used[group] = true;
                NDArray interp = interpolations.computeIfAbsent(List.of((double) group, t),
                        x -> torchOwned(m, layout.interpolation(group, t), new Shape(columns, 1)));              // (columns, 1)
                w.tensors.put(name, new Tensor(name, shape, t, ownBase, stacked, interp));
            }
            // a filter no merged tensor matches would learn nothing and write a value that merges nothing: a typo
            for (int g = 0; g < layout.filters().size(); g++) {
                if (!used[g]) throw new IllegalArgumentException("filters: '" + layout.filters().get(g) + "' matches no merged tensor"
                        + (g > 0 ? " (or only tensors an earlier filter takes)" : ""));
            }
            return w;
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** Torch-allocated storage, so that the array outlives the Java buffer DJL's create(float[]) aliases. */
    private static NDArray torchOwned(NDManager m, float[] values, Shape shape) {
        try (NDArray aliased = m.create(values, shape)) {
            NDArray copy = aliased.duplicate();
            copy.attach(m);
            return copy;
        }
    }

    public Form form() { return form; }

    public List<String> models() { return models; }

    public CoefficientLayout layout() { return layout; }

    /** The trainable (models, columns) array: λ per group and anchor, or softmax logits. */
    public NDArray parameter() { return coefficients; }

    /** Names of the merged tensors, in the order given. */
    public List<String> names() { return List.copyOf(tensors.keySet()); }

    /** Each merged tensor's depth t in [0, 1], as the planner gave it (0 for tensors outside the layers). */
    public Map<String, Double> depths() {
        Map<String, Double> out = new LinkedHashMap<>();
        for (Tensor t : tensors.values()) out.put(t.name(), t.depth());
        return out;
    }

    /**
     * Every merged tensor for the current coefficients (inside a gradient collector they carry gradients back
     * to {@link #parameter()}). The arrays and the intermediates live in this object's manager: call it inside
     * an {@link NDScope}, as every training step does, so that they are freed when the step ends.
     */
    public Map<String, NDArray> weights() {
        NDArray perAnchor = form == Form.SOFTMAX_LINEAR ? coefficients.softmax(0) : coefficients;    // (models, columns)
        Map<NDArray, NDArray> byInterp = new IdentityHashMap<>();
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (Tensor t : tensors.values()) {
            NDArray column = byInterp.computeIfAbsent(t.interpolation(), perAnchor::matMul);            // (models, 1)
            NDArray flat = election == Consensus.NONE
                    ? column.transpose().matMul(t.stacked())                                            // (1, numel)
                    : elected(column.mul(t.stacked()));                                                 // (numel)
            NDArray w = flat.reshape(t.shape());
            out.put(t.name(), t.base() == null ? w : w.add(t.base()));
        }
        return out;
    }

    /**
     * The sum over models of the weighted task vectors {@code v} (models, numel) that agree with the elected
     * sign: + where Σ v (SUM) or Σ sign(v) (COUNT) is >= 0, else −; a zero never agrees (SignVote's rule). The
     * election and the agreement mask carry no gradient.
     */
    private NDArray elected(NDArray v) {
        NDArray fixed = v.stopGradient();                                                           // (models, numel)
        NDArray statistic = (election == Consensus.COUNT ? fixed.sign() : fixed).sum(new int[] {0});  // (numel)
        NDArray plus = statistic.gte(0).broadcast(fixed.getShape());                                // (models, numel)
        NDArray agree = NDArrays.where(plus, fixed.gt(0), fixed.lt(0)).toType(DataType.FLOAT32, false);
        return v.mul(agree).sum(new int[] {0});                                                     // (numel)
    }

    /** The current coefficient values as a recipe writes them: [model][column] λ, or softmax weights. */
    public double[][] values() {
        int columns = layout.columns();
        float[] v;
        try (NDArray a = form == Form.SOFTMAX_LINEAR ? coefficients.softmax(0) : coefficients.duplicate()) {
            v = a.toFloatArray();
        }
        double[][] out = new double[models.size()][columns];
        for (int k = 0; k < models.size(); k++) for (int a = 0; a < columns; a++) out[k][a] = v[k * columns + a];
        return out;
    }

    /** Replaces the coefficients by {@code values} as {@link #values()} returns them (the best step, restored). */
    public void set(double[][] values) {
        int columns = layout.columns();
        float[] v = new float[models.size() * columns];
        for (int k = 0; k < models.size(); k++) {
            for (int a = 0; a < columns; a++) v[k * columns + a] = (float) (form == Form.SOFTMAX_LINEAR ? Math.log(values[k][a]) : values[k][a]);
        }
        coefficients.set(FloatBuffer.wrap(v));
    }

    /** Bytes of frozen arrays held (stacks and bases), for the memory report. */
    public long frozenBytes() {
        long n = 0;
        for (Tensor t : tensors.values()) n += t.stacked().size() + (t.base() == null ? 0 : t.base().size());
        return n * Float.BYTES;
    }

    @Override public String toString() {
        return form + " over " + models + ", " + layout.columns() + " coefficients each, " + tensors.size() + " tensors, " + frozenBytes() / (1 << 20) + " MiB frozen";
    }

    @Override public void close() { manager.close(); }
}
