package alloy.eval.learn;

import alloy.eval.embed.EncoderProfile;
import alloy.eval.family.Scorers;
import alloy.eval.model.BertConfig;
import alloy.eval.model.TextTokenizer;
import alloy.eval.task.PairItem;
import alloy.eval.task.RetrievalItem;
import alloy.eval.model.DjlEngine;
import alloy.eval.model.LlamaConfig;
import alloy.eval.task.GenerationItem;
import alloy.eval.task.ProxyTask;
import alloy.eval.task.Split;
import alloy.eval.train.DecoderTrainer;
import alloy.io.Checkpoint;
import alloy.io.CheckpointException;
import alloy.recipe.CoefficientLayout;
import alloy.recipe.MergeRun;
import alloy.recipe.Recipe;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;

/**
 * One learning run from a template recipe to learned coefficients: the search split of each proxy set cut
 * (seeded) into a training part and an early-stopping slice, the learnable merge built over the open inputs,
 * the loss the model family calls for (decoders: {@link DecoderLoss}; BERT encoders: {@link EncoderLoss}), and
 * {@link CoefficientLearner}. Every engine array lives in one
 * manager closed before this returns; only numbers come out.
 */
public final class LearnRun {

    /**
     * @param batch            examples of each set per step
     * @param stoppingFraction the part of each set's search split kept for early stopping
     * @param entropy          weight of the AdaMerging entropy term (0: none)
     * @param supervised       whether the gold answers are in the loss
     * @param objective        what the gold answers' part measures (decoders)
     */
    public record LossSettings(int batch, double stoppingFraction, double entropy, boolean supervised, DecoderLoss.Objective objective) {
        public LossSettings {
            Objects.requireNonNull(objective, "objective");
            if (batch < 1) throw new IllegalArgumentException("batch: expected >= 1, found " + batch);
            if (!(stoppingFraction > 0 && stoppingFraction < 1)) throw new IllegalArgumentException("stopping fraction must be in (0, 1), found " + stoppingFraction);
        }
    }

    /**
     * What came out: the learned coefficients, the learning record, an account of the loss and memory, and the
     * depth of each merged tensor (which anchors a filter group's tensors read).
     */
    public record Outcome(double[][] values, CoefficientLearner.Result result, String loss, long frozenBytes, Map<String, Double> depths) {
        public Outcome {
            depths = Map.copyOf(depths);
        }

        public int tensors() { return depths.size(); }
    }

    private LearnRun() {}

    /**
     * Learns {@code template}'s weights over {@code inputs}. {@code profile}: an encoder pooling profile spec
     * (guessed from the reference model's name when empty); decoders ignore it.
     */
    public static Outcome run(Recipe template, Map<String, Checkpoint> inputs, CoefficientLayout layout, double[][] initial, List<ProxyTask> tasks,
                              Optional<String> profile, LossSettings loss, CoefficientLearner.Settings settings, MergeRun.Options options,
                              CoefficientLearner.Listener listener) {
        Checkpoint reference = inputs.get(template.referenceModel());
        var hf = reference.config().orElseThrow(() -> new CheckpointException(reference.label() + ": no config.json beside the weights"));
        try (NDManager manager = DjlEngine.newManager();
             MergedWeights weights = LearnableMerge.build(template, inputs, layout, initial, options, manager)) {
            if (Scorers.family(reference) == Scorers.Family.ENCODER) {
                if (loss.objective() != DecoderLoss.Objective.CROSS_ENTROPY) {
                    throw new IllegalArgumentException("'objective: " + loss.objective().key() + "' is a decoder's; encoders learn from retrieval and pair losses");
                }
                EncoderProfile p = profile.map(EncoderProfile::parse).or(() -> EncoderProfile.forModel(template.referenceModel()))
                        .orElseThrow(() -> new IllegalArgumentException("no pooling profile known for '" + template.referenceModel() + "': give 'profile'"));
                String prefix = reference.has("bert.embeddings.word_embeddings.weight") ? "bert." : "";
                try (TextTokenizer tok = TextTokenizer.open(Scorers.tokenizer(reference), TextTokenizer.Options.encoder(Math.min(p.maxLength(), MAX_TOKENS)))) {
                    EncoderLoss l = new EncoderLoss(BertConfig.from(hf), prefix, p, tok, encoderTasks(tasks, loss.stoppingFraction(), settings.seed()),
                            Math.max(2, loss.batch()), loss.entropy(), loss.supervised(), manager);
                    CoefficientLearner.Result r = CoefficientLearner.learn(weights, l, settings, listener);
                    return new Outcome(weights.values(), r, l.describe(), weights.frozenBytes(), weights.depths());
                }
            }
            LlamaConfig config = LlamaConfig.from(hf);
            if (reference.has("model.layers.0.self_attn.q_proj.bias") && !config.attentionBias()) {
                throw new CheckpointException(reference.label() + ": q_proj has a bias that config.json does not declare (attention_bias)");
            }
            boolean outputBias = reference.has("model.layers.0.self_attn.o_proj.bias");
            DecoderLoss l = new DecoderLoss(config, outputBias, Map.of(), split(tasks, loss.stoppingFraction(), settings.seed()), loss.batch(),
                    loss.entropy(), loss.supervised(), loss.objective(), manager);
            CoefficientLearner.Result r = CoefficientLearner.learn(weights, l, settings, listener);
            return new Outcome(weights.values(), r, l.describe(), weights.frozenBytes(), weights.depths());
        }
    }

    /** Tokens kept of each text while learning on encoders: a step's cost grows with the longest text of its batch. */
    static final int MAX_TOKENS = 128;

    /** Retrieval and pair sets' search items, shuffled by {@code seed} and cut as {@link #split} cuts skill sets. */
    static List<EncoderLoss.Task> encoderTasks(List<ProxyTask> tasks, double fraction, long seed) {
        List<EncoderLoss.Task> out = new ArrayList<>();
        for (ProxyTask t : tasks) {
            List<EncoderLoss.Item> all = new ArrayList<>();
            EncoderLoss.Kind kind;
            switch (t) {
                case ProxyTask.Retrieval r -> {
                    kind = EncoderLoss.Kind.RETRIEVAL;
                    for (RetrievalItem i : r.items(Split.SEARCH)) all.add(new EncoderLoss.Item(i.query(), i.passage(), Double.NaN));
                }
                case ProxyTask.Pairs p -> {
                    kind = EncoderLoss.Kind.PAIRS;
                    double max = p.items(Split.SEARCH).stream().mapToDouble(PairItem::score).max().orElse(1);
                    if (!(max > 0)) throw new IllegalArgumentException("proxy set " + t.name() + ": gold scores must have a positive maximum to scale to [0, 1]");
                    for (PairItem i : p.items(Split.SEARCH)) all.add(new EncoderLoss.Item(i.a(), i.b(), i.score() / max));
                }
                default -> throw new IllegalArgumentException("proxy set " + t.name() + " is a " + t.kind() + " set; encoder coefficients are learned on retrieval and pair sets");
            }
            Collections.shuffle(all, new Random(seed ^ t.name().hashCode()));
            int stop = Math.max(2, (int) Math.round(fraction * all.size()));
            if (all.size() - stop < 2) throw new IllegalArgumentException("proxy set " + t.name() + ": " + all.size() + " search items; too few to keep " + stop + " for early stopping");
            out.add(new EncoderLoss.Task(t.name(), kind, all.subList(0, all.size() - stop), all.subList(all.size() - stop, all.size())));
        }
        return out;
    }

    /**
     * Each set's search items as examples, shuffled by {@code seed} and cut: the last {@code fraction} (at least
     * one item) for early stopping, the rest for training. Held-out items are never read.
     */
    static List<DecoderLoss.Task> split(List<ProxyTask> tasks, double fraction, long seed) {
        List<DecoderLoss.Task> out = new ArrayList<>();
        for (ProxyTask t : tasks) {
            if (!(t instanceof ProxyTask.Generation g)) {
                throw new IllegalArgumentException("proxy set " + t.name() + " is a " + t.kind() + " set; decoder coefficients are learned on generation (skill) sets");
            }
            List<DecoderTrainer.Example> all = new ArrayList<>();
            for (GenerationItem item : g.items(Split.SEARCH)) all.add(new DecoderTrainer.Example(item.prompt(), item.answer()));
            if (all.size() < 2) throw new IllegalArgumentException("proxy set " + t.name() + ": " + all.size() + " search item(s); at least 2 are needed to keep one for early stopping");
            Collections.shuffle(all, new Random(seed ^ t.name().hashCode()));
            int stop = Math.max(1, (int) Math.round(fraction * all.size()));
            out.add(new DecoderLoss.Task(t.name(), all.subList(0, all.size() - stop), all.subList(all.size() - stop, all.size())));
        }
        return out;
    }
}
