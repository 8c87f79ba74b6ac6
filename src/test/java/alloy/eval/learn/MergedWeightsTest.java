package alloy.eval.learn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.eval.model.DjlEngine;
import alloy.eval.model.LlamaConfig;
import alloy.eval.model.LlamaWeights;
import alloy.eval.train.CharTokenizer;
import alloy.eval.train.DecoderTrainer;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import alloy.recipe.CoefficientLayout;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/**
 * The merged forward as a function of the coefficients: its gradient with respect to every coefficient agrees
 * with a central finite difference of the loss on a tiny random decoder, for task vectors and for
 * softmax-linear weights; the merged tensors are base + Σ λ τ as the interpolated anchors say.
 */
class MergedWeightsTest {

    static final LlamaConfig TINY = new LlamaConfig("LlamaForCausalLM", CharTokenizer.vocabularySize(), 32, 64, 2, 4, 2, 8,
            10000.0, 1e-5, 32, false, false, 0, OptionalInt.of(CharTokenizer.BOS_ID), OptionalInt.of(CharTokenizer.EOS_ID));

    static final List<DecoderTrainer.Example> EXAMPLES = List.of(
            new DecoderTrainer.Example("reverse abc:", "cba"), new DecoderTrainer.Example("add 1+2=", "3"),
            new DecoderTrainer.Example("sort dcab:", "abcd"), new DecoderTrainer.Example("reverse xy:", "yx"));

    @Test
    void gradientOfEveryTaskVectorCoefficientMatchesAFiniteDifference() {
        checkGradient(MergedWeights.Form.TASK_VECTORS, new double[][] {{0.6, 0.3}, {0.2, 0.9}});
    }

    @Test
    void gradientOfEverySoftmaxLogitMatchesAFiniteDifference() {
        checkGradient(MergedWeights.Form.SOFTMAX_LINEAR, new double[][] {{0.2, 0.7}, {0.5, 0.1}, {0.3, 0.2}});
    }

    @Test
    void gradientOfTheAnswerProbabilityObjectiveMatchesAFiniteDifference() {
        checkGradient(MergedWeights.Form.TASK_VECTORS, CoefficientLayout.of(2), new double[][] {{0.6, 0.3}, {0.2, 0.9}}, DecoderLoss.Objective.ANSWER_PROBABILITY);
    }

    @Test
    void gradientOfTheAnswerCrossEntropyObjectiveMatchesAFiniteDifference() {
        checkGradient(MergedWeights.Form.TASK_VECTORS, CoefficientLayout.of(2), new double[][] {{0.6, 0.3}, {0.2, 0.9}}, DecoderLoss.Objective.ANSWER_CROSS_ENTROPY);
    }

    /**
     * The three objectives on one model, from per-example token cross-entropies: the per-token mean weighs an
     * answer by its tokens, the answer cross-entropy is each answer's summed tokens averaged over answers, and
     * the missed probability is 1 − mean exp(−that sum).
     */
    @Test
    void objectivesAgreeWithPerExampleTokenCrossEntropies() {
        try (NDManager m = DjlEngine.newManager()) {
            Map<String, NDArray> weights = DecoderTrainer.initialise(TINY, m, 3).named();
            weights.get(LlamaWeights.lmHeadName()).muli(20);
            double tokens = 0, summed = 0, probability = 0;
            Map<String, Double> perTokenOf = new LinkedHashMap<>();
            for (DecoderTrainer.Example e : EXAMPLES) {
                double perToken = loss(weights, List.of(e), DecoderLoss.Objective.CROSS_ENTROPY, m);
                int n = e.answer().length() + 1;                                   // the answer's characters and </s>
                perTokenOf.put(e.prompt(), perToken);
                tokens += n;
                summed += perToken * n;
                probability += Math.exp(-perToken * n);
            }
            int items = EXAMPLES.size();
            assertEquals(summed / tokens, loss(weights, EXAMPLES, DecoderLoss.Objective.CROSS_ENTROPY, m), 1e-4);
            assertEquals(summed / items, loss(weights, EXAMPLES, DecoderLoss.Objective.ANSWER_CROSS_ENTROPY, m), 1e-4);
            assertEquals(1 - probability / items, loss(weights, EXAMPLES, DecoderLoss.Objective.ANSWER_PROBABILITY, m), 1e-4);
            // answers of different lengths: the two cross-entropies weigh them differently, so they differ
            assertTrue(Math.abs(summed / items - summed / tokens) > 0.1, perTokenOf.toString());
        }
    }

    /** The stopping loss of {@code examples} under {@code objective}, no entropy term. */
    private static double loss(Map<String, NDArray> weights, List<DecoderTrainer.Example> examples, DecoderLoss.Objective objective, NDManager m) {
        DecoderLoss l = new DecoderLoss(TINY, false, Map.of(), List.of(new DecoderLoss.Task("set", examples, examples)), examples.size(), 0, true, objective, m);
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            return LearnLoss.mean(l.stoppingBySet(weights));
        }
    }

    @Test
    void gradientOfEveryFilteredCoefficientMatchesAFiniteDifference() {
        // attention, MLP and the rest apart, two anchors each: every column moves only its own group's tensors
        checkGradient(MergedWeights.Form.TASK_VECTORS, new CoefficientLayout(List.of("self_attn", "mlp"), 2),
                new double[][] {{0.6, 0.3, 0.5, 0.1, 0.8, 0.4}, {0.2, 0.9, 0.4, 0.7, 0.3, 0.6}}, DecoderLoss.Objective.CROSS_ENTROPY);
    }

    private static void checkGradient(MergedWeights.Form form, double[][] initial) {
        checkGradient(form, CoefficientLayout.of(2), initial, DecoderLoss.Objective.CROSS_ENTROPY);
    }

    private static void checkGradient(MergedWeights.Form form, CoefficientLayout layout, double[][] initial, DecoderLoss.Objective objective) {
        try (NDManager m = DjlEngine.newManager()) {
            Map<String, NDArray> base = DecoderTrainer.initialise(TINY, m, 1).named();
            Map<String, Map<String, NDArray>> models = new LinkedHashMap<>();
            for (int k = 0; k < initial.length; k++) {
                Map<String, NDArray> x = DecoderTrainer.initialise(TINY, m, 10 + k).named();
                // sharp output distributions: at the initial scale every mix predicts nearly uniformly and the
                // gradients are too small to tell from float rounding
                x.get(LlamaWeights.lmHeadName()).muli(40);
                models.put("m" + k, x);
            }
            Map<String, Double> depth = depths(base.keySet());
            try (MergedWeights w = MergedWeights.build(form, form == MergedWeights.Form.TASK_VECTORS ? base : null, models, depth, layout, initial, m)) {
                // cross-entropy and the entropy term together, so that both paths of the loss are checked
                DecoderLoss loss = new DecoderLoss(TINY, false, Map.of(), List.of(new DecoderLoss.Task("mixed", EXAMPLES, EXAMPLES)),
                        EXAMPLES.size(), 0.5, true, objective, m);
                GradientCheck.check(w, loss, 1e-2, 0.03, 5e-4, layout.columns(), form + " " + layout + " " + objective);
            }
        }
    }

    /**
     * With a sign election the merged weights are piecewise linear in λ; on the current piece they are the plain
     * task-vector merge of the entries that agree with the elected sign. So weights and gradient equal those of
     * the plain function over task vectors masked by an election computed here, by hand, from the same λ.
     */
    @Test
    void electedWeightsAndGradientAreThoseOfTheAgreeingEntries() {
        double[][] lambda = {{0.7, -0.3}, {0.4, 0.9}};
        try (NDManager m = DjlEngine.newManager()) {
            Map<String, NDArray> base = DecoderTrainer.initialise(TINY, m, 1).named();
            Map<String, Map<String, NDArray>> models = new LinkedHashMap<>();
            for (int k = 0; k < 2; k++) {
                Map<String, NDArray> x = DecoderTrainer.initialise(TINY, m, 10 + k).named();
                x.get(LlamaWeights.lmHeadName()).muli(40);
                models.put("m" + k, x);
            }
            Map<String, Double> depth = depths(base.keySet());
            Map<String, Map<String, NDArray>> masked = new LinkedHashMap<>();
            long dropped = 0;
            for (var e : models.entrySet()) masked.put(e.getKey(), new LinkedHashMap<>());
            for (String name : depth.keySet()) {
                float[] interp = CoefficientLayout.anchorWeights(2, depth.get(name));
                float[] b = base.get(name).toFloatArray();
                float[][] tau = new float[2][];
                float[] c = new float[2];
                for (int k = 0; k < 2; k++) {
                    float[] x = models.get("m" + k).get(name).toFloatArray();
                    tau[k] = new float[x.length];
                    for (int j = 0; j < x.length; j++) tau[k][j] = x[j] - b[j];
                    c[k] = (float) (interp[0] * lambda[k][0] + interp[1] * lambda[k][1]);
                }
                for (int k = 0; k < 2; k++) {
                    float[] kept = new float[b.length];
                    for (int j = 0; j < b.length; j++) {
                        float sum = c[0] * tau[0][j] + c[1] * tau[1][j];
                        float v = c[k] * tau[k][j];
                        boolean agree = sum >= 0 ? v > 0 : v < 0;
                        kept[j] = b[j] + (agree ? tau[k][j] : 0);
                        if (!agree) dropped++;
                    }
                    masked.get("m" + k).put(name, m.create(kept, base.get(name).getShape()));
                }
            }
            assertTrue(dropped > 1000, "the election drops entries: " + dropped);
            DecoderLoss loss = new DecoderLoss(TINY, false, Map.of(), List.of(new DecoderLoss.Task("mixed", EXAMPLES, EXAMPLES)),
                    EXAMPLES.size(), 0, true, DecoderLoss.Objective.CROSS_ENTROPY, m);
            try (MergedWeights elected = MergedWeights.build(MergedWeights.Form.TASK_VECTORS, alloy.merge.Consensus.SUM, base, models, depth,
                         CoefficientLayout.of(2), lambda, m);
                 MergedWeights plain = MergedWeights.build(MergedWeights.Form.TASK_VECTORS, base, masked, depth, CoefficientLayout.of(2), lambda, m)) {
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    Map<String, NDArray> we = elected.weights(), wp = plain.weights();
                    for (String name : depth.keySet()) assertArrayEquals(wp.get(name).toFloatArray(), we.get(name).toFloatArray(), 1e-5f, name);
                }
                float[] ge = gradient(elected, loss), gp = gradient(plain, loss);
                for (int i = 0; i < ge.length; i++) assertEquals(gp[i], ge[i], 1e-4 + 1e-3 * Math.abs(gp[i]), "coefficient " + i);
                assertTrue(java.util.stream.IntStream.range(0, ge.length).anyMatch(i -> Math.abs(ge[i]) > 1e-2), "gradients large enough to tell");
            }
        }
    }

    private static float[] gradient(MergedWeights w, LearnLoss loss) {
        NDArray p = w.parameter();
        p.setRequiresGradient(true);
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            try (var c = Engine.getEngine(DjlEngine.ENGINE).newGradientCollector()) {
                c.backward(loss.training(w.weights(), new java.util.Random(0)));
            }
            return p.getGradient().toFloatArray();
        } finally {
            p.setRequiresGradient(false);
        }
    }

    @Test
    void mergedTensorsAreTheBasePlusInterpolatedLambdasTimesTaskVectors() {
        try (NDManager m = DjlEngine.newManager()) {
            Map<String, NDArray> base = DecoderTrainer.initialise(TINY, m, 1).named();
            Map<String, NDArray> a = DecoderTrainer.initialise(TINY, m, 2).named(), b = DecoderTrainer.initialise(TINY, m, 3).named();
            String layer1 = LlamaWeights.layerName(1, "mlp.up_proj.weight");
            String embed = LlamaWeights.embedName();
            Map<String, Double> depth = Map.of(layer1, 1.0, embed, 0.0);
            double[][] lambda = {{0.25, 0.75}, {-0.5, 2.0}};
            try (MergedWeights w = MergedWeights.build(MergedWeights.Form.TASK_VECTORS, base, ordered(a, b), depth, CoefficientLayout.of(2), lambda, m);
                 NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                Map<String, NDArray> merged = w.weights();
                assertEquals(java.util.Set.of(layer1, embed), merged.keySet());
                // depth 1 takes the last anchors, depth 0 the first
                expect(base.get(layer1), a.get(layer1), b.get(layer1), 0.75, 2.0, merged.get(layer1));
                expect(base.get(embed), a.get(embed), b.get(embed), 0.25, -0.5, merged.get(embed));
                assertArrayEquals(new double[] {0.25, 0.75}, w.values()[0], 1e-6);
            }
        }
    }

    private static void expect(NDArray base, NDArray a, NDArray b, double la, double lb, NDArray got) {
        float[] x = base.toFloatArray(), xa = a.toFloatArray(), xb = b.toFloatArray(), g = got.toFloatArray();
        for (int i = 0; i < x.length; i++) assertEquals(x[i] + la * (xa[i] - x[i]) + lb * (xb[i] - x[i]), g[i], 1e-5, "element " + i);
    }

    @Test
    void softmaxWeightsRoundTripAndShapesAreChecked() {
        try (NDManager m = DjlEngine.newManager()) {
            Map<String, NDArray> a = DecoderTrainer.initialise(TINY, m, 2).named(), b = DecoderTrainer.initialise(TINY, m, 3).named();
            Map<String, Double> depth = depths(a.keySet());
            try (MergedWeights w = MergedWeights.build(MergedWeights.Form.SOFTMAX_LINEAR, null, ordered(a, b), depth, CoefficientLayout.of(1),
                    new double[][] {{3}, {1}}, m)) {
                assertEquals(0.75, w.values()[0][0], 1e-6, "positive weights are normalised to sum to 1");
                w.set(new double[][] {{0.1}, {0.9}});
                assertEquals(0.9, w.values()[1][0], 1e-6);
            }
            Map<String, NDArray> wrong = new LinkedHashMap<>(b);
            String name = LlamaWeights.finalNormName();
            wrong.put(name, m.ones(new ai.djl.ndarray.types.Shape(7)));
            var e = assertThrows(IllegalArgumentException.class, () -> MergedWeights.build(MergedWeights.Form.SOFTMAX_LINEAR, null,
                    ordered(a, wrong), depth, CoefficientLayout.of(1), new double[][] {{1}, {1}}, m));
            assertTrue(e.getMessage().contains(name), e.getMessage());
        }
    }

    /** Layer tensors at their layer's depth over two layers, the rest at 0, as the planner places them. */
    static Map<String, Double> depths(Iterable<String> names) {
        Map<String, Double> d = new LinkedHashMap<>();
        for (String n : names) d.put(n, n.startsWith("model.layers.1.") ? 1.0 : 0.0);
        return d;
    }

    private static Map<String, Map<String, NDArray>> ordered(Map<String, NDArray> a, Map<String, NDArray> b) {
        Map<String, Map<String, NDArray>> m = new LinkedHashMap<>();
        m.put("a", a);
        m.put("b", b);
        return m;
    }
}
