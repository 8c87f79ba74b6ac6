package alloy.eval.learn;

import alloy.eval.model.LlamaConfig;
import alloy.eval.model.LlamaDecoder;
import alloy.eval.model.LlamaWeights;
import alloy.eval.train.CharTokenizer;
import alloy.eval.train.DecoderTrainer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Collections;
import java.util.function.UnaryOperator;

/**
 * The loss of a merged decoder on skill sets, by {@link Objective}: for each set, the mean cross-entropy of the
 * gold answers' tokens (and the closing {@code </s>}) given the prompts, as {@link DecoderTrainer#loss} computes
 * it, or one minus the mean probability of each whole gold answer; the sets are averaged with equal weight, so
 * that a skill with long answers does not outweigh one with short answers.
 * With {@code entropyWeight} > 0 the loss adds, as AdaMerging does, the entropy of the next-token
 * distribution right after each prompt (where the answer starts), which needs no gold answer; with
 * {@code supervised} off the entropy is the whole loss.
 *
 * <p>Tokens are those of the character vocabulary ({@link CharTokenizer}) that the decoder family is built
 * with; a model of another vocabulary size is refused.
 */
public final class DecoderLoss implements LearnLoss {

    /** What the supervised part of the loss measures on each set. */
    public enum Objective {
        /**
         * Mean cross-entropy per answer token. Every token counts alike, so answers already right with a wide
         * margin keep pulling the coefficients, and a skill with many tokens that are nearly right can outweigh
         * a few answers that are wrong.
         */
        CROSS_ENTROPY,
        /**
         * 1 − mean over items of P(whole answer | prompt) = exp(−Σ token cross-entropy): the expected exact
         * match when answers are sampled, a smooth stand-in for the exact match that scoring counts. Its
         * gradient, ∇P, is largest for answers near P = 1/2 and vanishes for answers right or wrong beyond
         * doubt, so learning spends itself on the answers a change of coefficients can flip.
         */
        ANSWER_PROBABILITY,
        /**
         * Mean over items of −log P(whole answer | prompt), the token cross-entropies summed over each answer:
         * every answer counts alike and carries all of its tokens, as exact match does, so a skill whose answers
         * are long (each token a chance to miss) weighs by its answers, not by an average token. The per-token
         * mean instead makes a long-answer skill look nearly solved while a third of its answers are wrong.
         * Unlike {@link #ANSWER_PROBABILITY} its gradient does not vanish on answers that are wrong beyond doubt.
         */
        ANSWER_CROSS_ENTROPY;

        /** The name a learn file gives it. */
        public String key() { return name().toLowerCase(Locale.ROOT); }

        public static Objective parse(String s) {
            for (Objective o : values()) if (o.key().equals(s)) return o;
            throw new IllegalArgumentException("'" + s + "': expected one of cross_entropy, answer_probability, answer_cross_entropy");
        }
    }

    /** One skill set's examples: those trained on, and those kept for early stopping. */
    public record Task(String name, List<DecoderTrainer.Example> training, List<DecoderTrainer.Example> stopping) {
        public Task {
            Objects.requireNonNull(name, "name");
            training = List.copyOf(training);
            stopping = List.copyOf(stopping);
            if (training.isEmpty()) throw new IllegalArgumentException("skill set " + name + ": no training examples");
        }
    }

    private final LlamaConfig config;
    private final boolean outputBias;
    private final Map<String, NDArray> frozen;
    private final List<Task> tasks;
    private final int batchPerTask;
    private final double entropyWeight;
    private final boolean supervised;
    private final Objective objective;
    private final NDManager manager;

    /**
     * @param frozen       tensors of the model that are not merged (their base values); may be empty
     * @param batchPerTask examples drawn from each set per step (all of them when a set has fewer)
     * @param manager      where the per-step inputs (ids, masks) are made; a step's scope frees them
     */
    public DecoderLoss(LlamaConfig config, boolean outputBias, Map<String, NDArray> frozen, List<Task> tasks, int batchPerTask,
                       double entropyWeight, boolean supervised, Objective objective, NDManager manager) {
        if (config.vocabSize() != CharTokenizer.vocabularySize()) {
            throw new IllegalArgumentException("the decoder has a vocabulary of " + config.vocabSize() + " tokens; learning reads skill sets with the "
                    + CharTokenizer.vocabularySize() + "-token character vocabulary of the decoder family");
        }
        if (tasks.isEmpty()) throw new IllegalArgumentException("no skill sets to learn on");
        if (batchPerTask < 1) throw new IllegalArgumentException("batch per set: expected >= 1, found " + batchPerTask);
        LearnLoss.checkEntropy(entropyWeight, supervised);
        this.config = config;
        this.outputBias = outputBias;
        this.frozen = Map.copyOf(frozen);
        this.tasks = List.copyOf(tasks);
        this.batchPerTask = batchPerTask;
        this.entropyWeight = entropyWeight;
        this.supervised = supervised;
        this.objective = Objects.requireNonNull(objective, "objective");
        this.manager = manager;
    }

    private LlamaDecoder model(Map<String, NDArray> merged) {
        Map<String, NDArray> all = new HashMap<>(frozen);
        all.putAll(merged);
        return new LlamaDecoder(config, LlamaWeights.fromNamed(config, outputBias, name -> {
            NDArray a = all.get(name);
            if (a == null) throw new IllegalArgumentException("no merged or frozen tensor named '" + name + "'");
            return a;
        }));
    }

    @Override public NDArray training(Map<String, NDArray> weights, Random random) {
        LlamaDecoder model = model(weights);
        NDArray sum = null;
        for (Task t : tasks) {
            List<DecoderTrainer.Example> batch = draw(t.training(), random);
            NDArray l = loss(model, batch);
            sum = sum == null ? l : sum.add(l);
        }
        return sum.div(scalar(tasks.size()));
    }

    @Override public Map<String, Double> stoppingBySet(Map<String, NDArray> weights) {
        LlamaDecoder model = model(weights);
        Map<String, Double> out = new LinkedHashMap<>();
        for (Task t : tasks) {
            if (t.stopping().isEmpty()) continue;
            try (NDArray l = loss(model, t.stopping())) {
                out.put(t.name(), (double) l.getFloat());
            }
        }
        return out;
    }

    /** The objective, entropy, or their sum, over {@code examples}: a scalar. */
    private NDArray loss(LlamaDecoder model, List<DecoderTrainer.Example> examples) {
        NDArray l = !supervised ? null : switch (objective) {
            case CROSS_ENTROPY -> DecoderTrainer.loss(model, examples, manager);
            case ANSWER_PROBABILITY -> missedProbability(model, examples);
            case ANSWER_CROSS_ENTROPY -> answerCrossEntropy(model, examples);
        };
        if (entropyWeight > 0) {
            NDArray h = answerEntropy(model, examples).mul(scalar(entropyWeight));
            l = l == null ? h : l.add(h);
        }
        return l;
    }

    /** 1 − mean P(answer + {@code </s>} | prompt) over {@code examples}: a scalar. */
    NDArray missedProbability(LlamaDecoder model, List<DecoderTrainer.Example> examples) {
        return scalar(1).sub(sumOverAnswers(model, examples, NDArray::exp).div(scalar(examples.size())));  // ()
    }

    /** Mean over {@code examples} of −log P(answer + {@code </s>} | prompt): a scalar. */
    NDArray answerCrossEntropy(LlamaDecoder model, List<DecoderTrainer.Example> examples) {
        return sumOverAnswers(model, examples, UnaryOperator.identity()).div(scalar(examples.size())).neg();  // ()
    }

    /**
     * Σ over {@code examples} of {@code f}(log P(answer + {@code </s>} | prompt)), in chunks of
     * {@link DecoderTrainer#CHUNK_ROWS} rows: a scalar.
     */
    private NDArray sumOverAnswers(LlamaDecoder model, List<DecoderTrainer.Example> examples, UnaryOperator<NDArray> f) {
        NDArray sum = null;
        for (int from = 0; from < examples.size(); from += DecoderTrainer.CHUNK_ROWS) {
            DecoderTrainer.Batch b = DecoderTrainer.Batch.of(examples.subList(from, Math.min(examples.size(), from + DecoderTrainer.CHUNK_ROWS)), config.maxPositions());
            NDArray logP = DecoderTrainer.targetLogProbs(model, b, manager).sum(new int[] {1});      // (batch): log P(answer + </s> | prompt)
            NDArray part = f.apply(logP).sum();                                                      // ()
            sum = sum == null ? part : sum.add(part);
        }
        return sum;
    }

    /**
     * Mean entropy of the next-token distribution at the last prompt position: a batch of prompts alone
     * (empty answers), whose only weighted position is the one that predicts the first answer token.
     */
    NDArray answerEntropy(LlamaDecoder model, List<DecoderTrainer.Example> examples) {
        List<DecoderTrainer.Example> prompts = examples.stream().map(e -> new DecoderTrainer.Example(e.prompt(), "")).toList();
        DecoderTrainer.Batch b = DecoderTrainer.Batch.of(prompts, config.maxPositions());
        NDArray ids = manager.create(b.inputs(), new Shape(b.rows(), b.width()));                  // (batch, seq)
        NDArray mask = manager.create(b.mask(), new Shape(b.rows(), b.width()));                   // (batch, seq)
        NDArray at = manager.create(b.weights(), new Shape(b.rows(), b.width()));                  // (batch, seq): 1 at the last prompt position
        NDArray logProbs = model.forward(ids, mask).logSoftmax(-1);                                  // (batch, seq, vocab)
        NDArray entropy = logProbs.exp().mul(logProbs).sum(new int[] {-1}).neg();                    // (batch, seq)
        return entropy.mul(at).sum().div(scalar(b.rows()));                                         // ()
    }

    private List<DecoderTrainer.Example> draw(List<DecoderTrainer.Example> from, Random random) {
        if (from.size() <= batchPerTask) return from;
        List<DecoderTrainer.Example> copy = new ArrayList<>(from);
        // a partial Fisher-Yates shuffle: the first batchPerTask are a uniform sample without replacement
        for (int i = 0; i < batchPerTask; i++) Collections.swap(copy, i, i + random.nextInt(copy.size() - i));
        return copy.subList(0, batchPerTask);
    }

    /** A torch-made scalar: DJL's arithmetic with a Java number wraps a buffer autograd may read after it is freed. */
    private NDArray scalar(double v) { return manager.full(new Shape(), (float) v, DataType.FLOAT32); }

    @Override public String describe() {
        String supervisedPart = switch (objective) {
            case CROSS_ENTROPY -> "cross-entropy of the gold answers";
            case ANSWER_PROBABILITY -> "1 - probability of each whole gold answer";
            case ANSWER_CROSS_ENTROPY -> "cross-entropy of each whole gold answer";
        };
        String what = supervised ? (entropyWeight > 0 ? String.format(Locale.ROOT, "%s + %.3g x answer entropy", supervisedPart, entropyWeight)
                : supervisedPart) : "entropy at the answer's first token (no labels)";
        StringBuilder b = new StringBuilder(what).append(", sets weighted alike, ").append(batchPerTask).append(" examples per set per step;");
        for (Task t : tasks) b.append(' ').append(t.name()).append(' ').append(t.training().size()).append('+').append(t.stopping().size());
        return b.append(" (training + early-stopping examples)").toString();
    }
}
