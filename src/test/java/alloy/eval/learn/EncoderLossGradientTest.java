package alloy.eval.learn;


import alloy.eval.embed.EncoderProfile;
import alloy.eval.model.BertConfig;
import alloy.eval.model.BertRealModels;
import alloy.eval.model.BertTinyModels;
import alloy.eval.model.DjlEngine;
import alloy.eval.model.TextTokenizer;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import alloy.recipe.CoefficientLayout;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The encoder losses as functions of the merge coefficients: on a tiny random BERT, the gradient of the
 * in-batch contrastive loss and of the cosine-regression loss with respect to every coefficient agrees with a
 * central finite difference, for task vectors and for softmax-linear weights.
 */
class EncoderLossGradientTest {

    /**
     * bge-small-en's vocabulary, so that the real tokenizer's ids index the embedding, with a hidden size small
     * enough that three models' word embeddings take a few MB; 48 positions hold the BGE query instruction.
     */
    static final BertConfig TINY = new BertConfig(30522, 16, 2, 2, 32, 48, 2, 1e-12, BertConfig.Activation.GELU);

    /** Five items for a batch of four: the draw is then a real shuffle, which the fixed seed has to reproduce. */
    static final List<EncoderLoss.Item> RETRIEVAL = List.of(
            new EncoderLoss.Item("how do plants make food", "Photosynthesis turns light into sugar in leaves.", Double.NaN),
            new EncoderLoss.Item("capital of france", "Paris is the capital and largest city of France.", Double.NaN),
            new EncoderLoss.Item("boiling point of water", "Water boils at 100 degrees Celsius at sea level.", Double.NaN),
            new EncoderLoss.Item("who wrote hamlet", "Hamlet is a tragedy by William Shakespeare.", Double.NaN),
            new EncoderLoss.Item("speed of light", "Light travels at about 300,000 km per second.", Double.NaN));

    static final List<EncoderLoss.Item> PAIRS = List.of(
            new EncoderLoss.Item("A man is playing a guitar.", "A person plays an instrument.", 0.8),
            new EncoderLoss.Item("A cat sleeps on the sofa.", "The stock market fell today.", 0.0),
            new EncoderLoss.Item("Two kids run in a park.", "Children are running outside.", 0.9),
            new EncoderLoss.Item("She is cooking pasta.", "A woman reads a book.", 0.2),
            new EncoderLoss.Item("The train is late.", "The train arrived after its time.", 1.0));

    private static NDManager manager;
    private static TextTokenizer tokenizer;

    @BeforeAll static void start() {
        tokenizer = TextTokenizer.open(BertRealModels.testDir(BertRealModels.BGE).resolve("tokenizer.json"), TextTokenizer.Options.encoder(TINY.maxPositions()));
        manager = DjlEngine.newManager();
    }

    @AfterAll static void stop() {
        if (manager != null) manager.close();
        if (tokenizer != null) tokenizer.close();
    }

    @Test
    void contrastiveGradientOfEveryTaskVectorCoefficientMatchesAFiniteDifference() {
        checkGradient(MergedWeights.Form.TASK_VECTORS, new double[][] {{0.6, 0.3}, {0.2, 0.9}}, EncoderLoss.Kind.RETRIEVAL, RETRIEVAL, EncoderProfile.BGE);
    }

    @Test
    void contrastiveGradientOfEverySoftmaxLogitMatchesAFiniteDifference() {
        checkGradient(MergedWeights.Form.SOFTMAX_LINEAR, new double[][] {{0.2, 0.7}, {0.5, 0.1}, {0.3, 0.2}}, EncoderLoss.Kind.RETRIEVAL, RETRIEVAL, EncoderProfile.E5);
    }

    @Test
    void cosineRegressionGradientOfEveryTaskVectorCoefficientMatchesAFiniteDifference() {
        checkGradient(MergedWeights.Form.TASK_VECTORS, new double[][] {{0.6, 0.3}, {0.2, 0.9}}, EncoderLoss.Kind.PAIRS, PAIRS, EncoderProfile.BGE);
    }

    @Test
    void cosineRegressionGradientOfEverySoftmaxLogitMatchesAFiniteDifference() {
        checkGradient(MergedWeights.Form.SOFTMAX_LINEAR, new double[][] {{0.2, 0.7}, {0.5, 0.1}, {0.3, 0.2}}, EncoderLoss.Kind.PAIRS, PAIRS, EncoderProfile.E5);
    }

    @Test
    void queryEntropyGradientMatchesAFiniteDifferenceWithAndWithoutLabels() {
        checkGradient(MergedWeights.Form.TASK_VECTORS, new double[][] {{0.6, 0.3}, {0.2, 0.9}}, EncoderLoss.Kind.RETRIEVAL, RETRIEVAL, EncoderProfile.BGE, 0.5, true);
        checkGradient(MergedWeights.Form.SOFTMAX_LINEAR, new double[][] {{0.2, 0.7}, {0.5, 0.1}, {0.3, 0.2}}, EncoderLoss.Kind.RETRIEVAL, RETRIEVAL, EncoderProfile.E5, 1, false);
    }

    @Test
    void anUnsupervisedLossRefusesPairSetsByName() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> new EncoderLoss(TINY, "", EncoderProfile.BGE, tokenizer,
                List.of(new EncoderLoss.Task("sts", EncoderLoss.Kind.PAIRS, PAIRS, PAIRS)), 4, 1, false, manager));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("sts") && e.getMessage().contains("pair set"), e.getMessage());
    }

    private static void checkGradient(MergedWeights.Form form, double[][] initial, EncoderLoss.Kind kind, List<EncoderLoss.Item> items, EncoderProfile profile) {
        checkGradient(form, initial, kind, items, profile, 0, true);
    }

    /**
     * Each loss is checked under both profiles' poolings across the four cases: BGE takes the [CLS] state
     * (and prefixes queries with its instruction), E5 averages over the attention mask.
     */
    private static void checkGradient(MergedWeights.Form form, double[][] initial, EncoderLoss.Kind kind, List<EncoderLoss.Item> items, EncoderProfile profile,
                                      double entropy, boolean supervised) {
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> base = random(1, m);
            Map<String, Map<String, NDArray>> models = new LinkedHashMap<>();
            for (int k = 0; k < initial.length; k++) models.put("m" + k, random(10 + k, m));
            try (MergedWeights w = MergedWeights.build(form, form == MergedWeights.Form.TASK_VECTORS ? base : null, models,
                    depths(base.keySet()), CoefficientLayout.of(2), initial, m)) {
                EncoderLoss loss = new EncoderLoss(TINY, "", profile, tokenizer, List.of(new EncoderLoss.Task("set", kind, items, items)), 4, entropy, supervised, m);
                // half MergedWeightsTest's step: task vectors as large as the weights bend the loss enough that
                // the O(h²) error at 1e-2 reaches 6% on the smallest cosine-regression gradient. The relative part
                // of the tolerance covers the remaining O(h²) error; the absolute floor sits above float rounding of
                // the losses (a few 1e-5 after dividing by 2h) yet below the smallest cosine-regression gradients,
                // which a looser floor would pass unchecked
                GradientCheck.check(w, loss, 5e-3, 0.03, 1e-4, 2, form + ", " + kind + (entropy > 0 ? ", entropy " + entropy + (supervised ? "" : " alone") : ""));
            }
        }
    }

    /**
     * Independent Gaussian weights (LayerNorm weights around 1) per seed, so that task vectors are as large as
     * the weights and a change of coefficient moves the embeddings visibly.
     */
    private static Map<String, NDArray> random(long seed, NDManager m) {
        Map<String, NDArray> out = new LinkedHashMap<>();
        BertTinyModels.layout(TINY, "").forEach((name, shape) -> {
            SplittableRandom r = new SplittableRandom(seed * 1_000_003L + name.hashCode());
            float[] v = new float[Math.toIntExact(shape.numel())];
            double centre = name.endsWith("LayerNorm.weight") ? 1 : 0;
            for (int k = 0; k < v.length; k++) v[k] = (float) (centre + r.nextGaussian() * 0.3);
            out.put(name, m.create(v, new Shape(shape.dims())));
        });
        return out;
    }

    /** Layer 1 at depth 1 and the rest at 0, so that each anchor reaches its own part of the model. */
    private static Map<String, Double> depths(Iterable<String> names) {
        Map<String, Double> d = new LinkedHashMap<>();
        for (String n : names) d.put(n, n.startsWith("encoder.layer.1.") ? 1.0 : 0.0);
        return d;
    }
}
