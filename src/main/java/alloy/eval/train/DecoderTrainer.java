package alloy.eval.train;

import alloy.eval.model.DjlEngine;
import alloy.eval.model.LlamaConfig;
import alloy.eval.model.LlamaDecoder;
import alloy.eval.model.LlamaWeights;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;

/**
 * Trains a {@link LlamaDecoder} with DJL autograd on prompt → answer pairs in the character vocabulary:
 * the very forward pass that evaluation runs, under a {@link GradientCollector}, with {@link AdamW}.
 * The loss is the mean cross-entropy of the answer tokens and the closing {@code </s>} (prompts are
 * context, not targets). Everything random (initial weights, which examples form a batch) comes from
 * {@link Random}s seeded by the settings, so a run is reproducible on one machine and thread count.
 */
public final class DecoderTrainer {

    /** One training sequence: {@code <s> prompt answer </s>}, trained on {@code answer </s>}. */
    public record Example(String prompt, String answer) {
        public Example {
            if (prompt == null || answer == null) throw new IllegalArgumentException("prompt and answer must not be null");
        }
    }

    /** Draws {@code size} examples; all randomness comes from {@code random}. */
    @FunctionalInterface
    public interface ExampleSource {
        List<Example> draw(Random random, int size);
    }

    /**
     * @param warmupSteps      steps of linear warm-up from 0 to {@code learningRate}
     * @param finalLrFraction  the cosine schedule ends at {@code learningRate · finalLrFraction}
     * @param clipNorm         gradients are scaled down to this global norm when larger; 0 disables
     * @param epsilon          Adam's ε; a large one (1e-4 and up) makes weights whose gradients are smaller
     *                         than ε move in proportion to the gradient, as under SGD, instead of by about
     *                         the learning rate whatever the gradient (see {@link AdamW})
     */
    public record Settings(int steps, int batchSize, double learningRate, int warmupSteps, double finalLrFraction,
                           double weightDecay, double clipNorm, long seed, double epsilon) {

        /** Adam's usual ε = 1e-8. */
        public Settings(int steps, int batchSize, double learningRate, int warmupSteps, double finalLrFraction,
                        double weightDecay, double clipNorm, long seed) {
            this(steps, batchSize, learningRate, warmupSteps, finalLrFraction, weightDecay, clipNorm, seed, 1e-8);
        }

        public Settings {
            if (!(epsilon > 0)) throw new IllegalArgumentException("Adam's epsilon must be positive, found " + epsilon);
            if (steps < 0) throw new IllegalArgumentException("steps must be >= 0, found " + steps);
            if (batchSize <= 0) throw new IllegalArgumentException("batch size must be positive, found " + batchSize);
            if (!(learningRate > 0)) throw new IllegalArgumentException("learning rate must be positive, found " + learningRate);
            if (warmupSteps < 0) throw new IllegalArgumentException("warm-up steps must be >= 0, found " + warmupSteps);
            if (!(finalLrFraction >= 0 && finalLrFraction <= 1)) {
                throw new IllegalArgumentException("final learning-rate fraction must be in [0, 1], found " + finalLrFraction);
            }
            if (!(weightDecay >= 0)) throw new IllegalArgumentException("weight decay must be >= 0, found " + weightDecay);
            if (!(clipNorm >= 0)) throw new IllegalArgumentException("clip norm must be >= 0, found " + clipNorm);
        }

        /** Warm-up, then cosine decay. */
        public double learningRateAt(int step) {
            if (step < warmupSteps) return learningRate * (step + 1) / warmupSteps;
            double progress = steps <= warmupSteps ? 1 : (double) (step - warmupSteps) / (steps - warmupSteps);
            double cosine = 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress)));
            return learningRate * (finalLrFraction + (1 - finalLrFraction) * cosine);
        }
    }

    /** What one step did. */
    public record StepLog(int step, double loss, double learningRate, double gradientNorm) {}

    private DecoderTrainer() {}

    /**
     * Fresh weights for {@code config} in {@code manager}: embeddings and projections ~ N(0, 0.02²), the
     * projections that write into the residual stream (o_proj, down_proj) scaled by 1/√(2 · layers), norms
     * 1, biases 0. Tensors are drawn in checkpoint order from one {@link Random}.
     */
    public static LlamaWeights initialise(LlamaConfig config, NDManager manager, long seed) {
        Random r = new Random(seed);
        double residualStd = 0.02 / Math.sqrt(2.0 * config.numLayers());
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        for (var e : LlamaWeights.shapes(config, false).entrySet()) {
            String name = e.getKey();
            long[] dims = e.getValue();
            int n = Math.toIntExact(new Shape(dims).size());
            float[] v = new float[n];
            if (name.endsWith("norm.weight")) {
                Arrays.fill(v, 1f);
            } else if (!name.endsWith(".bias")) {
                double std = name.contains("o_proj") || name.contains("down_proj") ? residualStd : 0.02;
                for (int i = 0; i < n; i++) v[i] = (float) (std * r.nextGaussian());
            }
            arrays.put(name, torchOwned(manager, v, new Shape(dims)));
        }
        return LlamaWeights.fromNamed(config, false, arrays::get);
    }

    /**
     * {@code values} in storage that torch allocated (64-byte aligned). {@code NDManager.create(float[])}
     * aliases a Java direct buffer whose alignment varies from run to run, and a BLAS may round a product
     * differently at another alignment: parameters that live for the whole run must not depend on it.
     */
    static NDArray torchOwned(NDManager manager, float[] values, Shape shape) {
        try (NDArray aliased = manager.create(values, shape)) {
            return aliased.duplicate();
        }
    }

    /** A copy of {@code weights} in {@code manager} (an expert starts as a copy of the base). */
    public static LlamaWeights copy(LlamaConfig config, LlamaWeights weights, NDManager manager) {
        Map<String, NDArray> named = weights.named();
        boolean outputBias = weights.layers().getFirst().oBias() != null;
        Map<String, NDArray> copies = new LinkedHashMap<>();
        for (var e : named.entrySet()) copies.put(e.getKey(), torchOwned(manager, e.getValue().toFloatArray(), e.getValue().getShape()));
        return LlamaWeights.fromNamed(config, outputBias, copies::get);
    }

    /**
     * What an optimiser step changes and the model a forward pass runs: every weight of a decoder (full
     * fine-tuning) or the factors of a LoRA adapter over a frozen decoder ({@link LoraTrainer}).
     */
    interface Trainable {
        /** The arrays the optimiser updates in place, by name. */
        Map<String, NDArray> parameters();

        /** Names of the parameters that weight decay applies to. */
        Set<String> decayed();

        /** The model to run forward, built from the parameters; called inside the gradient collector. */
        LlamaDecoder forwardModel();
    }

    /** Every weight of {@code model}, decayed except norms and biases. */
    static Trainable allWeights(LlamaDecoder model) {
        Map<String, NDArray> params = model.weights().named();
        Set<String> decayed = params.keySet().stream()
                .filter(n -> !n.endsWith("norm.weight") && !n.endsWith(".bias"))
                .collect(Collectors.toSet());
        return new Trainable() {
            @Override public Map<String, NDArray> parameters() { return params; }
            @Override public Set<String> decayed() { return decayed; }
            @Override public LlamaDecoder forwardModel() { return model; }
        };
    }

    /**
     * Runs {@code settings.steps()} optimiser steps on {@code model}'s weights in place and returns the
     * loss of each step. {@code log} sees every step. PyTorch runs on one thread meanwhile (see
     * {@link DjlEngine#withThreads}), so a seed repeats a run up to the last bits of float sums, which
     * the BLAS library may round differently when a buffer lands at another memory alignment.
     */
    public static double[] train(LlamaDecoder model, ExampleSource data, Settings settings, Consumer<StepLog> log) {
        return train(allWeights(model), data, settings, log);
    }

    static double[] train(Trainable trainable, ExampleSource data, Settings settings, Consumer<StepLog> log) {
        return DjlEngine.withThreads(1, () -> trainOnOneThread(trainable, data, settings, log));
    }

    private static double[] trainOnOneThread(Trainable trainable, ExampleSource data, Settings settings, Consumer<StepLog> log) {
        Map<String, NDArray> params = trainable.parameters();
        for (NDArray p : params.values()) p.setRequiresGradient(true);
        NDManager manager = params.values().iterator().next().getManager();
        AdamW optimiser = new AdamW(new AdamW.Settings(0.9, 0.95, settings.epsilon(), settings.weightDecay()), params, trainable.decayed(), manager);
        Random random = new Random(settings.seed());
        double[] losses = new double[settings.steps()];
        for (int step = 0; step < settings.steps(); step++) {
            List<Example> examples = data.draw(random, settings.batchSize());
            double lr = settings.learningRateAt(step);
            double loss;
            double norm;
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                try (GradientCollector collector = Engine.getEngine(DjlEngine.ENGINE).newGradientCollector()) {
                    NDArray l = loss(trainable.forwardModel(), examples, manager);
                    collector.backward(l);
                    loss = l.getFloat();
                }
                norm = AdamW.gradientNorm(params);
                double scale = settings.clipNorm() > 0 && norm > settings.clipNorm() ? settings.clipNorm() / norm : 1;
                optimiser.update(params, lr, scale);
                AdamW.zeroGradients(params);
            }
            losses[step] = loss;
            log.accept(new StepLog(step, loss, lr, norm));
        }
        for (NDArray p : params.values()) p.setRequiresGradient(false);
        return losses;
    }

    /** Rows of one padded forward pass when a batch is split by length (see {@link #loss(LlamaDecoder, List, NDManager)}). */
    public static final int CHUNK_ROWS = 32;

    /**
     * Mean cross-entropy of the target tokens of {@code examples}, a scalar NDArray: the examples sorted by
     * length and cut into chunks of {@link #CHUNK_ROWS}, each padded only to its own longest row, so that a
     * batch mixing short and long skills does not spend most of its work on padding. The value (and so the
     * gradient) is that of one padded batch: every target token weighs the same.
     */
    public static NDArray loss(LlamaDecoder model, List<Example> examples, NDManager manager) {
        List<Example> sorted = new ArrayList<>(examples);
        sorted.sort(Comparator.comparingInt(e -> e.prompt().length() + e.answer().length()));   // stable: ties keep draw order
        NDArray sum = null;
        double tokens = 0;
        for (int from = 0; from < sorted.size(); from += CHUNK_ROWS) {
            Batch chunk = Batch.of(sorted.subList(from, Math.min(sorted.size(), from + CHUNK_ROWS)), model.config().maxPositions());
            NDArray part = negativeLogLikelihood(model, chunk, manager);                               // ()
            sum = sum == null ? part : sum.add(part);
            for (float w : chunk.weights()) tokens += w;
        }
        // a torch-made scalar: DJL's div(Number) wraps a Java buffer that autograd could read after it is freed
        return sum.div(manager.full(new Shape(), (float) tokens, DataType.FLOAT32));  // ()
    }

    /** Mean cross-entropy of the target tokens of {@code batch}, a scalar NDArray. */
    public static NDArray loss(LlamaDecoder model, Batch batch, NDManager manager) {
        NDArray weights = manager.create(batch.weights(), new Shape(batch.rows(), batch.width()));  // (batch, seq)
        return negativeLogLikelihood(model, batch, manager).div(weights.sum());                     // ()
    }

    /** Summed cross-entropy of the target tokens of {@code batch}, a scalar NDArray. */
    static NDArray negativeLogLikelihood(LlamaDecoder model, Batch batch, NDManager manager) {
        return targetLogProbs(model, batch, manager).sum().neg();                                  // ()
    }

    /**
     * The log-probability of each target token of {@code batch}, 0 where the batch's weight is 0 (the prompt,
     * padding): (batch, seq). Summed over a row it is the log-probability of that row's whole answer.
     */
    public static NDArray targetLogProbs(LlamaDecoder model, Batch batch, NDManager manager) {
        NDArray ids = manager.create(batch.inputs(), new Shape(batch.rows(), batch.width()));       // (batch, seq)
        NDArray mask = manager.create(batch.mask(), new Shape(batch.rows(), batch.width()));        // (batch, seq)
        NDArray targets = manager.create(batch.targets(), new Shape(batch.rows(), batch.width(), 1)); // (batch, seq, 1)
        NDArray weights = manager.create(batch.weights(), new Shape(batch.rows(), batch.width()));  // (batch, seq)
        NDArray logits = model.forward(ids, mask);                                                  // (batch, seq, vocab)
        NDArray logProbs = logits.logSoftmax(-1).gather(targets, 2).squeeze(2);                      // (batch, seq)
        return logProbs.mul(weights);                                                               // (batch, seq)
    }

    /** Right-padded token rows: inputs are {@code <s> prompt answer}, targets the same shifted by one. */
    public record Batch(int rows, int width, long[] inputs, long[] mask, long[] targets, float[] weights) {

        public static Batch of(List<Example> examples, int maxPositions) {
            int rows = examples.size();
            int[][] tokens = new int[rows][];
            int[] promptLengths = new int[rows];
            int width = 0;
            for (int i = 0; i < rows; i++) {
                Example e = examples.get(i);
                int[] p = CharTokenizer.encode(e.prompt());
                int[] a = CharTokenizer.encode(e.answer());
                int[] t = new int[p.length + a.length + 2];
                t[0] = CharTokenizer.BOS_ID;
                System.arraycopy(p, 0, t, 1, p.length);
                System.arraycopy(a, 0, t, 1 + p.length, a.length);
                t[t.length - 1] = CharTokenizer.EOS_ID;
                if (t.length - 1 > maxPositions) {
                    throw new IllegalArgumentException("example \"" + e.prompt() + e.answer() + "\" needs " + (t.length - 1)
                            + " positions, the model has " + maxPositions);
                }
                tokens[i] = t;
                promptLengths[i] = p.length;
                width = Math.max(width, t.length - 1);
            }
            long[] inputs = new long[rows * width];
            long[] mask = new long[rows * width];
            long[] targets = new long[rows * width];
            float[] weights = new float[rows * width];
            for (int i = 0; i < rows; i++) {
                int[] t = tokens[i];
                for (int j = 0; j < t.length - 1; j++) {
                    inputs[i * width + j] = t[j];
                    mask[i * width + j] = 1;
                    targets[i * width + j] = t[j + 1];
                    // position j predicts token j + 1; answer tokens start at 1 + promptLength
                    weights[i * width + j] = j + 1 >= 1 + promptLengths[i] ? 1f : 0f;
                }
            }
            return new Batch(rows, width, inputs, mask, targets, weights);
        }
    }
}
