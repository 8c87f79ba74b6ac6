package alloy.eval;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import alloy.bench.BigModels;
import alloy.eval.model.DjlEngine;
import alloy.io.Checkpoint;
import alloy.io.MemoryCheckpoint;
import alloy.recipe.MergeRun;
import alloy.recipe.Recipe;
import alloy.recipe.RecipeYaml;
import alloy.tensor.FloatTensor;
import alloy.tensor.Kernels;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Alloy's in-memory merge of one 4096 x 11008 F32 tensor (base + three fine-tunes, a 7B MLP matrix) against
 * the same arithmetic written with DJL NDArrays on PyTorch, which is what mergekit runs: linear (stack,
 * weight, sum, normalise), slerp (norms, dot, arccos, two-term sum), ties (mergekit's "magnitude" sparsifier:
 * a full sort of |delta| for the k-th largest, an L1 rescale, sign election by the sign of the sum, disjoint
 * mean) and dare_ties (a Bernoulli mask from uniform draws, L1 rescale, the same election). Both sides start
 * from inputs already in memory and use every core (Alloy's executor splits a large tensor across its workers;
 * PyTorch's intra-op pool splits each op); they alternate within each repeat so that load on a shared machine
 * falls on both. Each method's outputs are compared: element-wise for the deterministic ones, and for
 * dare_ties (different random streams) by the fraction of weights left at the base and the mean |out - base|.
 * Usage: MergeKernelBench [REPEATS=3] [METHODS=linear,slerp,ties,dare_ties]
 */
public final class MergeKernelBench {

    static final String TENSOR = "model.layers.0.mlp.up_proj.weight";
    static final float[] WEIGHTS = {0.4f, 0.3f, 0.3f};
    static final double DENSITY = 0.5;

    public static void main(String[] args) throws Exception {
        int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        List<String> methods = List.of((args.length > 1 ? args[1] : "linear,slerp,ties,dare_ties").split(","));
        int threads = Runtime.getRuntime().availableProcessors();
        Map<String, Checkpoint> models = new LinkedHashMap<>();
        for (int m = 0; m <= 3; m++) {
            MemoryCheckpoint c = new MemoryCheckpoint(m == 0 ? "base" : "t" + m, Optional.empty());
            FloatTensor t = FloatTensor.allocate(c.arena(), BigModels.MATRIX);
            BigModels.fill(t.data(), 1000, m == 0 ? 0 : 7919L * m);
            c.put(TENSOR, t);
            models.put(c.label(), c);
        }
        DjlEngine.setThreads(threads);
        System.out.printf(Locale.ROOT, "one %s F32 tensor, base + 3 fine-tunes, %d threads on both sides, best of %d%n",
                BigModels.MATRIX, threads, repeats);
        System.out.printf(Locale.ROOT, "%-10s %10s %10s %8s   %s%n", "method", "alloy s", "ndarray s", "ratio", "agreement");
        try (NDManager nd = DjlEngine.newManager()) {
            ai.djl.engine.Engine.getEngine(DjlEngine.ENGINE).setRandomSeed(42);
            List<NDArray> x = new ArrayList<>();
            for (Checkpoint c : models.values()) x.add(toNd(nd, ((MemoryCheckpoint) c).tensor(TENSOR)));
            for (String method : methods) {
                Recipe r = RecipeYaml.parse(recipe(method), method, Path.of("."));
                double alloy = Double.MAX_VALUE, torch = Double.MAX_VALUE;
                String agreement = "";
                for (int i = 0; i <= repeats; i++) {   // round 0 warms both (JIT, allocator) and is not counted
                    long t0 = System.nanoTime();
                    MemoryCheckpoint out;
                    try (MergeRun run = MergeRun.prepare(r, models)) {
                        out = run.toMemory(method, new MergeRun.Options(42, threads, Kernels.fast()), s -> {});
                    }
                    double a = (System.nanoTime() - t0) / 1e9;
                    try (NDManager sub = nd.newSubManager()) {
                        // every op's result belongs to its first operand's manager: lend the inputs to this
                        // round's manager so that what the round makes is freed with it
                        for (NDArray input : x) input.tempAttach(sub);
                        t0 = System.nanoTime();
                        NDArray ref = reference(method, x, sub);
                        float[] refValues = ref.toFloatArray();   // forces the lazy work, and what a writer would do
                        double t = (System.nanoTime() - t0) / 1e9;
                        if (i > 0) {
                            alloy = Math.min(alloy, a);
                            torch = Math.min(torch, t);
                        }
                        if (i == repeats) agreement = compare(method, out.tensor(TENSOR), refValues, ((MemoryCheckpoint) models.get("base")).tensor(TENSOR));
                    } finally {
                        out.close();
                    }
                }
                System.out.printf(Locale.ROOT, "%-10s %10.3f %10.3f %7.1fx   %s%n", method, alloy, torch, torch / alloy, agreement);
            }
        } finally {
            models.values().forEach(Checkpoint::close);
        }
    }

    static String recipe(String method) {
        String tunes = "";
        for (int i = 1; i <= 3; i++) tunes += "  - model: t" + i + "\n    parameters: {weight: " + WEIGHTS[i - 1] + ", density: " + DENSITY + "}\n";
        return switch (method) {
            case "linear" -> "merge_method: linear\nmodels:\n  - model: base\n    parameters: {weight: 0.4}\n  - model: t1\n    parameters: {weight: 0.2}\n"
                    + "  - model: t2\n    parameters: {weight: 0.2}\n  - model: t3\n    parameters: {weight: 0.2}\ndtype: float32\n";
            case "slerp" -> "merge_method: slerp\nbase_model: base\nmodels:\n  - model: base\n  - model: t1\nparameters: {t: 0.4}\ndtype: float32\n";
            case "ties", "dare_ties" -> "merge_method: " + method + "\nbase_model: base\nmodels:\n" + tunes + "dtype: float32\n";
            default -> throw new IllegalArgumentException("method '" + method + "': expected linear, slerp, ties or dare_ties");
        };
    }

    static NDArray toNd(NDManager nd, FloatTensor t) {
        MemorySegment s = t.data();
        return nd.create(s.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer(), new ai.djl.ndarray.types.Shape(t.shape().dims()));
    }

    /** mergekit's arithmetic for {@code method} on x = [base, t1, t2, t3], in NDArrays. */
    static NDArray reference(String method, List<NDArray> x, NDManager m) {
        NDArray base = x.get(0);
        switch (method) {
            case "linear" -> {
                // mergekit's linear: stack, multiply by the weights broadcast over the rest, sum, divide by the weight sum
                NDArray w = m.create(new float[] {0.4f, 0.2f, 0.2f, 0.2f}).reshape(4, 1, 1);
                NDArray stacked = NDArrays.stack(new NDList(x.get(0), x.get(1), x.get(2), x.get(3)));
                return stacked.mul(w).sum(new int[] {0}).div(w.sum());
            }
            case "slerp" -> {
                // mergekit's slerp: normalised copies for the angle, the un-normalised tensors interpolated
                NDArray a = base, b = x.get(1);
                double t = 0.4;
                NDArray na = a.div(Math.max(1e-8f, a.square().sum().sqrt().getFloat()));
                NDArray nb = b.div(Math.max(1e-8f, b.square().sum().sqrt().getFloat()));
                double dot = na.mul(nb).sum().getFloat();
                if (Boolean.getBoolean("alloy.bench.verbose")) System.out.println("ndarray slerp cos " + dot);
                if (Math.abs(dot) > 0.9995) return a.mul((float) (1 - t)).add(b.mul((float) t));
                double theta = Math.acos(dot), sin = Math.sin(theta);
                return a.mul((float) (Math.sin((1 - t) * theta) / sin)).add(b.mul((float) (Math.sin(t * theta) / sin)));
            }
            case "ties", "dare_ties" -> {
                boolean dare = method.equals("dare_ties");
                NDList deltas = new NDList();
                for (int i = 1; i <= 3; i++) {
                    // intermediates are closed as soon as they are used, to keep the peak near mergekit's
                    NDArray d = x.get(i).sub(base);
                    NDArray mask;
                    if (!dare) {
                        // mergekit's magnitude(): argsort |delta| descending and keep the first k; the k-th largest
                        // from a full sort keeps the same set (distinct magnitudes) without the scatter
                        try (NDArray mag = d.abs(); NDArray sorted = mag.flatten().sort()) {
                            long k = (long) (DENSITY * mag.size());
                            mask = mag.gte(sorted.getFloat(mag.size() - k));
                        }
                    } else {
                        try (NDArray u = m.randomUniform(0f, 1f, d.getShape())) {
                            mask = u.lt((float) DENSITY);   // torch.bernoulli(density)
                        }
                    }
                    NDArray kept;
                    try (NDArray f = mask.toType(DataType.FLOAT32, false)) {
                        kept = d.mul(f);
                    }
                    mask.close();
                    if (dare) {
                        // dare_ties rescales to the L1 norm before thinning (mergekit's rescale_norm l1); ties does not
                        float ratio;
                        try (NDArray a = d.abs(); NDArray sa = a.sum(); NDArray k = kept.abs(); NDArray sk = k.sum()) {
                            ratio = sa.getFloat() / sk.getFloat();
                        }
                        kept.muli(ratio);
                    }
                    d.close();
                    deltas.add(kept.muli(WEIGHTS[i - 1]));
                }
                NDArray stacked = NDArrays.stack(deltas);
                deltas.close();
                NDArray w = m.create(WEIGHTS).reshape(3, 1, 1);
                // get_mask("sum"): majority sign of the summed deltas, + where the sum is >= 0
                NDArray sign;
                try (NDArray s = stacked.sum(new int[] {0}); NDArray pos = s.gte(0f); NDArray f = pos.toType(DataType.FLOAT32, false)) {
                    sign = f.mul(2f).subi(1f);
                }
                NDArray agree;
                try (NDArray sg = stacked.sign(); NDArray eq = sg.eq(sign)) {
                    agree = eq.toType(DataType.FLOAT32, false);
                }
                NDArray mixed;
                try (NDArray kept = stacked.mul(agree)) {
                    mixed = kept.sum(new int[] {0});
                }
                stacked.close();
                if (dare) return base.add(mixed);   // dare_ties: normalize false
                NDArray div;
                try (NDArray wa = w.mul(agree)) {
                    div = wa.sum(new int[] {0});
                }
                agree.close();
                try (NDArray zero = div.eq(0f); NDArray ones = m.ones(div.getShape())) {
                    div = NDArrays.where(zero, ones, div);
                }
                return base.add(mixed.divi(div));
            }
            default -> throw new IllegalArgumentException(method);
        }
    }

    /** Max |difference| relative to max |out - base| for deterministic methods; for DARE, the statistics its masks should share. */
    static String compare(String method, FloatTensor alloy, float[] ref, FloatTensor base) {
        long n = alloy.size();
        if (!method.equals("dare_ties")) {
            double maxDiff = 0, maxMove = 0;
            long differ = 0;
            for (long i = 0; i < n; i++) {
                double d = Math.abs(alloy.get(i) - ref[(int) i]);
                maxDiff = Math.max(maxDiff, d);
                maxMove = Math.max(maxMove, Math.abs(ref[(int) i] - base.get(i)));
                if (d > 1e-6 * Math.max(1e-3, Math.abs(ref[(int) i]))) differ++;
            }
            return String.format(Locale.ROOT, "max |alloy - ndarray| %.2e (largest move %.2e), %d of %d beyond 1e-6 relative", maxDiff, maxMove, differ, n);
        }
        long unchangedA = 0, unchangedR = 0;
        double moveA = 0, moveR = 0;
        for (long i = 0; i < n; i++) {
            float b = base.get(i), a = alloy.get(i), r = ref[(int) i];
            if (a == b) unchangedA++;
            if (r == b) unchangedR++;
            moveA += Math.abs(a - b);
            moveR += Math.abs(r - b);
        }
        return String.format(Locale.ROOT, "left at base: alloy %.5f ndarray %.5f (expected (1-density)^3 = %.5f); mean |out - base|: alloy %.4e ndarray %.4e",
                unchangedA / (double) n, unchangedR / (double) n, Math.pow(1 - DENSITY, 3), moveA / n, moveR / n);
    }
}
