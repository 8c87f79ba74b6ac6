package alloy.lora;

import static alloy.lora.LoraFixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import alloy.io.CheckpointException;
import alloy.io.CheckpointWriter;
import alloy.io.OutputTarget;
import alloy.tensor.DType;
import alloy.tensor.FloatTensor;
import alloy.tensor.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalDouble;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraCombineTest {

    @TempDir Path dir;

    /** Opens the adapters, combines them into {@code out}, closes them. */
    static Path combine(Path out, LoraCombine.Options opt, Object... adapterWeightPairs) {
        List<WeightedAdapter> ws = open(adapterWeightPairs);
        try {
            return LoraCombine.combine(ws, opt, out, false);
        } finally {
            ws.forEach(w -> w.adapter().close());
        }
    }

    static List<WeightedAdapter> open(Object... adapterWeightPairs) {
        List<WeightedAdapter> ws = new ArrayList<>();
        for (int i = 0; i < adapterWeightPairs.length; i += 2) {
            ws.add(new WeightedAdapter(LoraAdapter.open((Path) adapterWeightPairs[i]), (Double) adapterWeightPairs[i + 1]));
        }
        return ws;
    }

    /** The combined factors {A, B} of {@code module}, computed in memory. */
    static float[][] factors(LoraCombine.Options opt, String module, Object... adapterWeightPairs) {
        List<WeightedAdapter> ws = open(adapterWeightPairs);
        try (Arena a = Arena.ofConfined()) {
            LoraCombine.Plan plan = LoraCombine.plan(ws, opt);
            LoraCombine.Output o = plan.outputs().stream().filter(x -> x.module().equals(module)).findFirst().orElseThrow();
            FloatTensor[] ab = LoraCombine.factors(plan, o, opt, a);
            return new float[][] {ab[0].toArray(), ab[1].toArray()};
        } finally {
            ws.forEach(w -> w.adapter().close());
        }
    }

    // ---- a hand example: one module "m" of a (3, 2) base weight, rank 2 ----------------------------------

    static final float[] W = {0.1f, -0.2f, 0.3f, 0.4f, -0.5f, 0.6f};                  // (3, 2)
    static final float[] A1 = {1, 2, 0, -1}, B1 = {1, 0, 0, 1, 1, 1};                   // (2, 2), (3, 2); r 2, alpha 4: scale 2
    static final float[] A2 = {0.5f, 0, 1, 1}, B2 = {2, 0, 0, 0, -1, 1};                // r 2, alpha 2: scale 1

    Path handBase() { return customBase(dir.resolve("hand-base"), List.of(new T("m.weight", Shape.of(3, 2), W))); }

    Path hand(String name, float[] a, float[] b, double alpha) {
        ObjectNode c = config(2, alpha);
        c.putArray("target_modules").add("m");
        return adapter(dir.resolve(name), c, List.of(new T(P + "m.lora_A.weight", Shape.of(2, 2), a), new T(P + "m.lora_B.weight", Shape.of(3, 2), b)));
    }

    static double[] axpby(double x, float[] a, double y, float[] b) {
        double[] o = new double[a.length];
        for (int i = 0; i < a.length; i++) o[i] = x * a[i] + y * b[i];
        return o;
    }

    static float[] f(double[] d) {
        float[] o = new float[d.length];
        for (int i = 0; i < d.length; i++) o[i] = (float) d[i];
        return o;
    }

    @Test
    void linearIsPeftsSqrtSplitAndKeepsCrossTerms() throws Exception {
        Path a1 = hand("h1", A1, B1, 4), a2 = hand("h2", A2, B2, 2);
        Path out = combine(dir.resolve("lin"), LoraCombine.Options.of(CombineMethod.LINEAR), a1, 1.0, a2, 0.5);
        // PEFT: f_i = w_i · scale_i = 2 and 0.5; A = sum sqrt(f_i) A_i, B = sum sqrt(f_i) B_i
        double[] a = axpby(Math.sqrt(2), A1, Math.sqrt(0.5), A2);
        double[] b = axpby(Math.sqrt(2), B1, Math.sqrt(0.5), B2);
        assertTrue(maxRelErr(read(out, P + "m.lora_A.weight"), a) < 1e-6);
        assertTrue(maxRelErr(read(out, P + "m.lora_B.weight"), b) < 1e-6);
        JsonNode cfg = JSON.readTree(out.resolve("adapter_config.json").toFile());
        assertEquals(2, cfg.get("r").asInt());
        assertEquals(2, cfg.get("lora_alpha").asInt());

        // folded: W + 1 · B·A, which has the cross terms B_1 A_2 and B_2 A_1
        Path folded = LoraFoldTest.fold(handBase(), dir.resolve("lin-folded"), LoraFold.Options.defaults(), out, 1.0);
        double[] ba = matmul(f(b), f(a), 3, 2, 2);
        double[] want = new double[6];
        for (int i = 0; i < 6; i++) want[i] = W[i] + ba[i];
        assertTrue(maxRelErr(read(folded, "m.weight"), want) < 1e-6);
        double[] sumOfDeltas = LoraFoldTest.naive(W, List.of(new LoraFoldTest.Term(2, A1, B1, 2, 2, 3, false), new LoraFoldTest.Term(0.5, A2, B2, 2, 2, 3, false)));
        assertTrue(maxRelErr(read(folded, "m.weight"), sumOfDeltas) > 0.1, "linear is not the sum of the deltas");
    }

    @Test
    void negativeWeightsPutTheSignOnAOnly() {
        Path a1 = hand("h1", A1, B1, 4);
        // a single adapter is always combined linearly (PEFT), whatever the method asked for
        float[][] ab = factors(LoraCombine.Options.of(CombineMethod.TIES, 0.5, 0), "m", a1, -0.5);
        // f = -0.5 · 2 = -1: A = -1 · A1, B = +1 · B1, so B·A = -B1·A1
        assertTrue(maxRelErr(ab[0], axpby(-1, A1, 0, A1)) < 1e-7);
        assertTrue(maxRelErr(ab[1], axpby(1, B1, 0, B1)) < 1e-7);
        try (LoraAdapter a = LoraAdapter.open(a1)) {
            assertEquals(CombineMethod.LINEAR, LoraCombine.plan(List.of(new WeightedAdapter(a, 1)), LoraCombine.Options.of(CombineMethod.CAT)).method());
        }
    }

    @Test
    void catThenFoldIsExactlyTheWeightedSumOfDeltas() throws Exception {
        Path base = base(dir.resolve("base"));
        List<T> t1 = attention(2, 20);
        List<T> t2 = new ArrayList<>(linear("model.layers.0.self_attn.q_proj", 3, 16, 16, 21));
        t2.addAll(linear("model.layers.0.mlp.up_proj", 3, 16, 32, 22));
        ObjectNode c2 = config(3, 3);
        c2.put("use_rslora", true);
        c2.putArray("target_modules").add("q_proj").add("up_proj");
        Path a1 = adapter(dir.resolve("a1"), config(2, 4), t1);
        Path a2 = adapter(dir.resolve("a2"), c2, t2);

        Path cat = combine(dir.resolve("cat"), LoraCombine.Options.of(CombineMethod.CAT), a1, 0.6, a2, 1.4);
        JsonNode cfg = JSON.readTree(cat.resolve("adapter_config.json").toFile());
        assertEquals(5, cfg.get("r").asInt());
        assertEquals(5, cfg.get("lora_alpha").asInt());
        assertFalse(cfg.get("use_rslora").asBoolean());
        assertEquals("[\"q_proj\",\"up_proj\",\"v_proj\"]", cfg.get("target_modules").toString());
        assertEquals("tiny-llama", cfg.get("base_model_name_or_path").asText());
        assertEquals(0.05, cfg.get("lora_dropout").asDouble());
        try (LoraAdapter back = LoraAdapter.open(cat)) {
            assertEquals(5, back.modules().size());
            assertTrue(back.modules().values().stream().allMatch(m -> m.rank() == 5 && m.scale() == 1.0));
        }

        Path viaCat = LoraFoldTest.fold(base, dir.resolve("via-cat"), LoraFold.Options.defaults(), cat, 1.0);
        Path direct = LoraFoldTest.fold(base, dir.resolve("direct"), LoraFold.Options.defaults(), a1, 0.6, a2, 1.4);
        double s1 = 4.0 / 2, s2 = 3 / Math.sqrt(3);
        for (String m : List.of("model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj",
                "model.layers.0.mlp.up_proj")) {
            String w = m + ".weight";
            assertArrayEquals(read(direct, w), read(viaCat, w), w + ": cat then fold is bit for bit the fold of both");
            List<LoraFoldTest.Term> terms = new ArrayList<>();
            if (!m.contains("up_proj")) terms.add(LoraFoldTest.term(t1, m, 0.6 * s1, false));
            if (m.equals("model.layers.0.self_attn.q_proj") || m.contains("up_proj")) terms.add(LoraFoldTest.term(t2, m, 1.4 * s2, false));
            assertTrue(maxRelErr(read(viaCat, w), LoraFoldTest.naive(read(base, w), terms)) < 1e-6, w);
        }
        // the layout PEFT gives: A rows [f1 A1; f2 A2], B columns [B1 B2]
        float[] a = read(cat, P + "model.layers.0.self_attn.q_proj.lora_A.weight");
        float[] a1q = values(t1, P + "model.layers.0.self_attn.q_proj.lora_A.weight");
        float[] a2q = values(t2, P + "model.layers.0.self_attn.q_proj.lora_A.weight");
        assertEquals((float) (0.6 * s1) * a1q[0], a[0]);
        assertEquals((float) (1.4 * s2) * a2q[0], a[2 * 16]);
        float[] b = read(cat, P + "model.layers.0.self_attn.q_proj.lora_B.weight");
        assertEquals(values(t1, P + "model.layers.0.self_attn.q_proj.lora_B.weight")[1], b[1]);
        assertEquals(values(t2, P + "model.layers.0.self_attn.q_proj.lora_B.weight")[0], b[2]);
        // a module only the second adapter has: its rank first, zero rows after
        float[] up = read(cat, P + "model.layers.0.mlp.up_proj.lora_A.weight");
        assertTrue(IntStream.range(3 * 16, 5 * 16).allMatch(i -> up[i] == 0f));
    }

    // ---- ties, magnitude_prune, dare against PEFT's merge_utils written out plainly ----------------------

    /** merge_utils.magnitude_based_pruning: keep the int(density · n) entries of largest |x|. */
    static double[] prune(float[] x, double density) {
        if (density >= 1) return toDouble(x);
        int k = (int) (density * x.length);
        Integer[] idx = IntStream.range(0, x.length).boxed().toArray(Integer[]::new);
        Arrays.sort(idx, Comparator.comparingDouble(i -> -Math.abs(x[i])));
        double[] o = new double[x.length];
        for (int j = 0; j < k; j++) o[idx[j]] = x[idx[j]];
        return o;
    }

    static double[] toDouble(float[] x) {
        double[] o = new double[x.length];
        for (int i = 0; i < x.length; i++) o[i] = x[i];
        return o;
    }

    /** merge_utils.ties: election on the unweighted pruned tensors, weighted sum of the agreeing, divided by their count. */
    static double[] peftTies(List<float[]> xs, double[] w, double density, boolean total) {
        List<double[]> p = xs.stream().map(x -> prune(x, density)).toList();
        double[] out = new double[xs.get(0).length];
        for (int e = 0; e < out.length; e++) {
            double stat = 0;
            for (double[] x : p) stat += total ? x[e] : Math.signum(x[e]);
            double maj = stat >= 0 ? 1 : -1;
            double sum = 0;
            int n = 0;
            for (int i = 0; i < p.size(); i++) {
                if (Math.signum(p.get(i)[e]) == maj) {
                    sum += w[i] * p.get(i)[e];
                    n++;
                }
            }
            out[e] = sum / Math.max(1, n);
        }
        return out;
    }

    /** Three adapters on one module with rank 4, alphas 8, 4, 16 (scales 2, 1, 4). */
    List<Object> three(double w1, double w2, double w3) {
        double[] alphas = {8, 4, 16};
        double[] ws = {w1, w2, w3};
        List<Object> pairs = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            pairs.add(adapter(dir.resolve("t" + i + "-" + w1 + w2 + w3), config(4, alphas[i]), linear("model.layers.0.self_attn.q_proj", 4, 16, 16, 50 + i)));
            pairs.add(ws[i]);
        }
        return pairs;
    }

    static List<float[]> stack(List<Object> pairs, String suffix) {
        List<float[]> xs = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i += 2) xs.add(read((Path) pairs.get(i), P + "model.layers.0.self_attn.q_proj." + suffix));
        return xs;
    }

    @Test
    void tiesFollowsPeft() {
        List<Object> pairs = three(1.0, -0.5, 0.25);
        double[] f = {1.0 * 2, -0.5 * 1, 0.25 * 4};
        double[] wA = new double[3], wB = new double[3];
        for (int i = 0; i < 3; i++) {
            wA[i] = Math.signum(f[i]) * Math.sqrt(Math.abs(f[i]));
            wB[i] = Math.sqrt(Math.abs(f[i]));
        }
        for (double density : new double[] {1.0, 0.5, 0.2}) {
            for (MajoritySign how : MajoritySign.values()) {
                LoraCombine.Options opt = new LoraCombine.Options(CombineMethod.TIES, OptionalDouble.of(density), how, 0);
                float[][] ab = factors(opt, "model.layers.0.self_attn.q_proj", pairs.toArray());
                boolean total = how == MajoritySign.TOTAL;
                assertTrue(maxRelErr(ab[0], peftTies(stack(pairs, "lora_A.weight"), wA, density, total)) < 1e-6, "A, density " + density + ", " + how);
                assertTrue(maxRelErr(ab[1], peftTies(stack(pairs, "lora_B.weight"), wB, density, total)) < 1e-6, "B, density " + density + ", " + how);
            }
        }
    }

    @Test
    void tiesElectsBeforeWeightingAndDividesByCount() {
        // one element, three tensors 1, 1, -3 with weights 1, 1, 10: the unweighted sum -1 elects '-';
        // mergekit would elect from 1 + 1 - 30 as well, but divide by the weight 10, PEFT by the count 1
        List<FloatTensor> xs = List.of(FloatTensor.of(1f), FloatTensor.of(1f), FloatTensor.of(-3f));
        FloatTensor out = FloatTensor.of(0f);
        LoraCombine.disjointMerge(xs, new float[] {1, 1, 10}, MajoritySign.TOTAL, out);
        assertEquals(-30f, out.get(0));
        // weights 10, 10, 1: unweighted sum still elects '-' (mergekit: 10 + 10 - 3 > 0 elects '+')
        LoraCombine.disjointMerge(xs, new float[] {10, 10, 1}, MajoritySign.TOTAL, out);
        assertEquals(-3f, out.get(0));
        // by frequency two '+' votes win: (1·1 + 1·1) / 2
        LoraCombine.disjointMerge(xs, new float[] {1, 1, 10}, MajoritySign.FREQUENCY, out);
        assertEquals(1f, out.get(0));
        // zeros never agree; an all-zero column gives 0
        LoraCombine.disjointMerge(List.of(FloatTensor.of(0f), FloatTensor.of(-0f)), new float[] {1, 1}, MajoritySign.TOTAL, out);
        assertEquals(0f, out.get(0));
    }

    @Test
    void magnitudePruneFollowsPeft() {
        List<Object> pairs = three(0.5, 0.5, -1.0);
        double[] f = {0.5 * 2, 0.5 * 1, -1.0 * 4};
        float[][] ab = factors(LoraCombine.Options.of(CombineMethod.MAGNITUDE_PRUNE, 0.3, 0), "model.layers.0.self_attn.q_proj", pairs.toArray());
        for (int which = 0; which < 2; which++) {
            List<float[]> xs = stack(pairs, which == 0 ? "lora_A.weight" : "lora_B.weight");
            double[] want = new double[xs.get(0).length];
            for (int i = 0; i < 3; i++) {
                double wi = Math.sqrt(Math.abs(f[i])) * (which == 0 ? Math.signum(f[i]) : 1);
                double[] p = prune(xs.get(i), 0.3);
                for (int e = 0; e < want.length; e++) want[e] += wi * p[e];
            }
            assertTrue(maxRelErr(ab[which], want) < 1e-6, which == 0 ? "A" : "B");
        }
    }

    @Test
    void dareIsSeededAndRescalesByDensity() throws Exception {
        List<T> big = linear("model.layers.0.self_attn.q_proj", 8, 64, 64, 60);
        Path a1 = adapter(dir.resolve("d1"), config(8, 8), big);
        Path a2 = adapter(dir.resolve("d2"), config(8, 8), linear("model.layers.0.self_attn.q_proj", 8, 64, 64, 61));
        String q = "model.layers.0.self_attn.q_proj";
        // adapter 2 at weight 0 contributes nothing: A = 1 · mask ⊙ A1 / density
        float[][] ab = factors(LoraCombine.Options.of(CombineMethod.DARE_LINEAR, 0.5, 42), q, a1, 1.0, a2, 0.0);
        float[] x = values(big, P + q + ".lora_A.weight");
        int kept = 0;
        for (int i = 0; i < x.length; i++) {
            if (ab[0][i] != 0f) {
                kept++;
                assertEquals(x[i] / 0.5, ab[0][i], 1e-6 * Math.abs(x[i]) + 1e-12, "element " + i);
            }
        }
        // 512 entries kept with probability 1/2: 256 ± 11 (one sd); allow 4 sd
        assertTrue(Math.abs(kept - 256) < 45, "kept " + kept);
        // masks of A and B are drawn independently (different tensor names)
        float[] bx = values(big, P + q + ".lora_B.weight");
        boolean[] keptA = new boolean[512], keptB = new boolean[512];
        for (int i = 0; i < 512; i++) {
            keptA[i] = ab[0][i] != 0;
            keptB[i] = ab[1][i] != 0 && bx[i] != 0;
        }
        assertFalse(Arrays.equals(keptA, keptB));

        for (CombineMethod m : List.of(CombineMethod.DARE_LINEAR, CombineMethod.DARE_TIES)) {
            Path s42 = combine(dir.resolve(m + "-42"), LoraCombine.Options.of(m, 0.3, 42), a1, 1.0, a2, 0.7);
            Path again = combine(dir.resolve(m + "-42-again"), LoraCombine.Options.of(m, 0.3, 42), a1, 1.0, a2, 0.7);
            Path s43 = combine(dir.resolve(m + "-43"), LoraCombine.Options.of(m, 0.3, 43), a1, 1.0, a2, 0.7);
            byte[] b42 = Files.readAllBytes(s42.resolve("adapter_model.safetensors"));
            assertArrayEquals(b42, Files.readAllBytes(again.resolve("adapter_model.safetensors")), m + ": same seed, same adapter");
            assertFalse(Arrays.equals(b42, Files.readAllBytes(s43.resolve("adapter_model.safetensors"))), m + ": another seed, another mask");
        }
    }

    // ---- errors ---------------------------------------------------------------------------------------

    @Test
    void sameRankMethodsRefuseMixedRanks() {
        Path a1 = adapter(dir.resolve("r4"), config(4, 8), attention(4, 1));
        Path a2 = adapter(dir.resolve("r2"), config(2, 8), attention(2, 2));
        String msg = LoraAdapterTest.oneLine(() -> combine(dir.resolve("out"), LoraCombine.Options.of(CombineMethod.LINEAR), a1, 1.0, a2, 1.0));
        assertTrue(msg.contains("r4" + java.io.File.separator + "adapter_config.json has r = 4") && msg.contains("r2") && msg.contains("r = 2")
                && msg.contains("cat"), msg);
        assertFalse(Files.exists(dir.resolve("out")));
        // cat takes them
        assertDoesNotThrow(() -> combine(dir.resolve("cat"), LoraCombine.Options.of(CombineMethod.CAT), a1, 1.0, a2, 1.0));
    }

    @Test
    void modulesMustAgreeInShape() {
        Path a1 = adapter(dir.resolve("s1"), config(4, 8), linear("model.layers.0.mlp.up_proj", 4, 16, 32, 1));
        Path a2 = adapter(dir.resolve("s2"), config(4, 8), linear("model.layers.0.mlp.up_proj", 4, 16, 48, 2));
        String msg = LoraAdapterTest.oneLine(() -> combine(dir.resolve("out"), LoraCombine.Options.of(CombineMethod.CAT), a1, 1.0, a2, 1.0));
        assertTrue(msg.contains("'model.layers.0.mlp.up_proj'") && msg.contains("32") && msg.contains("48") && msg.contains("s2"), msg);
    }

    @Test
    void densityIsRequiredWhereItMatters() {
        var e = assertThrows(IllegalArgumentException.class, () -> new LoraCombine.Options(CombineMethod.TIES, OptionalDouble.empty(), MajoritySign.TOTAL, 0));
        assertTrue(e.getMessage().contains("ties needs a density"));
        e = assertThrows(IllegalArgumentException.class, () -> LoraCombine.Options.of(CombineMethod.DARE_LINEAR, 0, 0));
        assertTrue(e.getMessage().contains("density must be > 0"));
        e = assertThrows(IllegalArgumentException.class, () -> LoraCombine.Options.of(CombineMethod.MAGNITUDE_PRUNE, 1.5, 0));
        assertTrue(e.getMessage().contains("[0, 1]"));
        assertEquals(CombineMethod.DARE_TIES, CombineMethod.parse("dare_ties"));
        assertThrows(IllegalArgumentException.class, () -> CombineMethod.parse("svd"));
    }

    @Test
    void abandonedOutputLeavesNothing() throws Exception {
        Path out = dir.resolve("half");
        try (AdapterWriter w = AdapterWriter.create(OutputTarget.of(out, false), List.of(new CheckpointWriter.Entry("x", DType.F32, Shape.of(2)),
                new CheckpointWriter.Entry("y", DType.F32, Shape.of(2))))) {
            w.write("x", FloatTensor.of(1f, 2f));
            // failure before y: close without commit
        }
        assertFalse(Files.exists(out));
        assertEquals(List.of(), leftovers(dir, "alloy-"));
        // and an existing, non-empty output is refused without --overwrite
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep"), "1");
        Path a1 = adapter(dir.resolve("k"), config(4, 8), attention(4, 1));
        var e = assertThrows(CheckpointException.class, () -> combine(out, LoraCombine.Options.of(CombineMethod.LINEAR), a1, 1.0));
        assertTrue(e.getMessage().contains("--overwrite"));
        assertEquals("1", Files.readString(out.resolve("keep")));
    }
}
