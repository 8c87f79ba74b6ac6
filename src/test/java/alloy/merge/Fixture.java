package alloy.merge;

import alloy.tensor.FloatTensor;
import alloy.tensor.Kernels;
import alloy.tensor.Shape;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * Builds a {@link TensorTask} the way the planner would: defaults filled from the method's ParamSpecs,
 * the base listed among the inputs (flagged) or given aside.
 */
final class Fixture {

    private final MergeMethod method;
    private final Arena arena = Arena.ofAuto();
    private Shape shape;
    private FloatTensor base;
    private final List<String> labels = new ArrayList<>();
    private final List<FloatTensor> tensors = new ArrayList<>();
    private final List<Map<String, Double>> own = new ArrayList<>();
    private final List<Boolean> isBase = new ArrayList<>();
    private final Map<String, Double> global = new HashMap<>();
    private long seed = 1234;
    private String tensorName = "model.layers.0.mlp.up_proj.weight";

    private Fixture(MergeMethod method) { this.method = method; }

    static Fixture of(String method) { return new Fixture(MergeMethods.get(method)); }

    static Fixture of(MergeMethod method) { return new Fixture(method); }

    Fixture shape(long... dims) {
        shape = Shape.of(dims);
        return this;
    }

    private FloatTensor tensor(float[] v) { return FloatTensor.of(arena, shape == null ? Shape.of(v.length) : shape, v); }

    /** A base_model that the recipe does not list among its models. */
    Fixture base(float... v) {
        base = tensor(v);
        return this;
    }

    /** A base_model listed among the models (with its own per-model parameters, if any). */
    Fixture listedBase(Map<String, Double> params, float... v) {
        base = tensor(v);
        labels.add("base");
        tensors.add(base);
        own.add(params);
        isBase.add(true);
        return this;
    }

    Fixture model(String label, Map<String, Double> params, float... v) {
        labels.add(label);
        tensors.add(tensor(v));
        own.add(params);
        isBase.add(false);
        return this;
    }

    Fixture model(String label, double weight, float... v) { return model(label, Map.of("weight", weight), v); }

    Fixture set(String name, double value) {
        global.put(name, value);
        return this;
    }

    Fixture seed(long s) {
        seed = s;
        return this;
    }

    Fixture named(String name) {
        tensorName = name;
        return this;
    }

    TensorTask task() {
        Map<String, Double> g = new LinkedHashMap<>();
        for (ParamSpec p : method.parameters()) if (!p.isRequired()) g.put(p.name(), p.defaultValue());
        g.putAll(global);
        List<MergeInput> inputs = new ArrayList<>();
        for (int i = 0; i < tensors.size(); i++) {
            Map<String, Double> m = new LinkedHashMap<>();
            for (ParamSpec p : method.tensorParameters()) if (!p.isRequired()) m.put(p.name(), p.defaultValue());
            for (Map.Entry<String, Double> e : global.entrySet()) {
                if (method.tensorParameters().stream().anyMatch(p -> p.name().equals(e.getKey()))) m.put(e.getKey(), e.getValue());
            }
            m.putAll(own.get(i));
            inputs.add(new MergeInput(labels.get(i), tensors.get(i), new Params(m), isBase.get(i)));
        }
        boolean useBase = method.base() != MergeMethod.BaseUse.UNUSED;
        if (!useBase) inputs.replaceAll(in -> new MergeInput(in.model(), in.tensor(), in.params(), false));
        return new TensorTask(tensorName, useBase ? Optional.ofNullable(base) : Optional.empty(), inputs, new Params(g), seed);
    }

    FloatTensor merge(Kernels k) { return method.merge(task(), arena, k); }

    float[] merge() { return merge(Kernels.fast()).toArray(); }

    static float[] gaussian(int n, long seed, double sd) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * sd);
        return v;
    }

    static float[] plus(float[] a, float[] b) {
        float[] c = new float[a.length];
        for (int i = 0; i < a.length; i++) c[i] = a[i] + b[i];
        return c;
    }

    static float[] minus(float[] a, float[] b) {
        float[] c = new float[a.length];
        for (int i = 0; i < a.length; i++) c[i] = a[i] - b[i];
        return c;
    }

    static float[] filled(int n, float x) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, x);
        return v;
    }
}
