package alloy.eval.learn;

import alloy.eval.embed.EncoderProfile;
import alloy.eval.model.BertConfig;
import alloy.eval.model.BertEncoder;
import alloy.eval.model.BertWeights;
import alloy.eval.model.TextTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Collections;

/**
 * The loss of a merged sentence encoder on embedding sets, each set weighted alike:
 * <ul>
 *   <li>retrieval: in-batch contrastive (InfoNCE): each query's passage against the other passages of the batch,
 *       cross-entropy of the cosine similarities over a temperature of {@value #TEMPERATURE};</li>
 *   <li>pairs: cosine regression, the squared difference between the pair's cosine and its gold score scaled to
 *       [0, 1] by the set's largest score.</li>
 * </ul>
 * With {@code entropyWeight} > 0 retrieval sets add, as AdaMerging does, the mean entropy of each query's
 * softmax over the batch's passages (the same logits), which reads no pairing: a merge that tells passages
 * apart sharply has low entropy. With {@code supervised} off it is the whole loss, and only retrieval sets
 * may be given (pair sets have no prediction whose entropy could be taken).
 * Texts are embedded as the scorer embeds them (the profile's prefixes, pooling and normalisation), cut to
 * {@code maxTokens} tokens to bound a step's cost.
 */
public final class EncoderLoss implements LearnLoss {

    /** InfoNCE temperature, the usual value for normalised sentence embeddings. */
    static final double TEMPERATURE = 0.05;

    /** Retrieval: a query and its passage (target NaN); pairs: two texts and the scaled gold score. */
    public record Item(String a, String b, double target) {
        public Item {
            Objects.requireNonNull(a, "a");
            Objects.requireNonNull(b, "b");
        }
    }

    public enum Kind { RETRIEVAL, PAIRS }

    /** One set's items: those trained on, and those kept for early stopping. */
    public record Task(String name, Kind kind, List<Item> training, List<Item> stopping) {
        public Task {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(kind, "kind");
            training = List.copyOf(training);
            stopping = List.copyOf(stopping);
            if (training.size() < 2) throw new IllegalArgumentException("set " + name + ": at least 2 training items (in-batch negatives), found " + training.size());
        }
    }

    private final BertConfig config;
    private final String prefix;
    private final EncoderProfile profile;
    private final TextTokenizer tokenizer;
    private final List<Task> tasks;
    private final int batch;
    private final double entropyWeight;
    private final boolean supervised;
    private final NDManager manager;

    public EncoderLoss(BertConfig config, String prefix, EncoderProfile profile, TextTokenizer tokenizer, List<Task> tasks, int batch, NDManager manager) {
        this(config, prefix, profile, tokenizer, tasks, batch, 0, true, manager);
    }

    /** @param entropyWeight weight of the retrieval sets' query entropy (0: none); @param supervised whether the labelled losses are in */
    public EncoderLoss(BertConfig config, String prefix, EncoderProfile profile, TextTokenizer tokenizer, List<Task> tasks, int batch,
                       double entropyWeight, boolean supervised, NDManager manager) {
        if (tasks.isEmpty()) throw new IllegalArgumentException("no embedding sets to learn on");
        if (batch < 2) throw new IllegalArgumentException("batch: at least 2 (in-batch negatives), found " + batch);
        LearnLoss.checkEntropy(entropyWeight, supervised);
        if (!supervised) {
            for (Task t : tasks) {
                if (t.kind() != Kind.RETRIEVAL) {
                    throw new IllegalArgumentException("set " + t.name() + " is a pair set: without supervision only retrieval sets have a prediction whose entropy is taken");
                }
            }
        }
        this.entropyWeight = entropyWeight;
        this.supervised = supervised;
        this.config = config;
        this.prefix = prefix;
        this.profile = profile;
        this.tokenizer = tokenizer;
        this.tasks = List.copyOf(tasks);
        this.batch = batch;
        this.manager = manager;
    }

    private BertEncoder model(Map<String, NDArray> merged) {
        return new BertEncoder(config, BertWeights.fromNamed(config, prefix, name -> {
            NDArray a = merged.get(name);
            if (a == null) throw new IllegalArgumentException("no merged tensor named '" + name + "'");
            return a;
        }));
    }

    @Override public NDArray training(Map<String, NDArray> weights, Random random) {
        BertEncoder model = model(weights);
        NDArray sum = null;
        for (Task t : tasks) {
            NDArray l = loss(model, t.kind(), draw(t.training(), random));
            sum = sum == null ? l : sum.add(l);
        }
        return sum.div(scalar(tasks.size()));
    }

    @Override public Map<String, Double> stoppingBySet(Map<String, NDArray> weights) {
        BertEncoder model = model(weights);
        Map<String, Double> out = new LinkedHashMap<>();
        for (Task t : tasks) {
            if (t.stopping().size() < 2) continue;
            double part = 0;
            int chunks = 0;
            // fixed chunks of the batch size, so that the contrastive loss sees as many negatives as in training
            for (int from = 0; from + 1 < t.stopping().size(); from += batch) {
                List<Item> chunk = t.stopping().subList(from, Math.min(t.stopping().size(), from + batch));
                if (chunk.size() < 2) break;
                try (NDArray l = loss(model, t.kind(), chunk)) {
                    part += l.getFloat();
                    chunks++;
                }
            }
            out.put(t.name(), part / chunks);
        }
        return out;
    }

    private NDArray loss(BertEncoder model, Kind kind, List<Item> items) {
        List<String> a = new ArrayList<>(), b = new ArrayList<>();
        for (Item i : items) {
            a.add(i.a());
            b.add(i.b());
        }
        return switch (kind) {
            case RETRIEVAL -> {
                NDArray q = embed(model, a, profile.queryPrefix());                                   // (batch, hidden)
                NDArray p = embed(model, b, profile.passagePrefix());                                 // (batch, hidden)
                NDArray logProbs = q.matMul(p.transpose()).div(scalar(TEMPERATURE)).logSoftmax(-1);   // (batch, batch)
                NDArray l = null;
                if (supervised) {
                    NDArray diagonal = manager.arange(items.size()).toType(DataType.INT64, false).reshape(items.size(), 1);  // (batch, 1)
                    l = logProbs.gather(diagonal, 1).mean().neg();                                     // ()
                }
                if (entropyWeight > 0) {
                    NDArray h = logProbs.exp().mul(logProbs).sum(new int[] {-1}).neg().mean().mul(scalar(entropyWeight));  // ()
                    l = l == null ? h : l.add(h);
                }
                yield l;
            }
            case PAIRS -> {
                NDArray x = embed(model, a, profile.pairPrefix());
                NDArray y = embed(model, b, profile.pairPrefix());
                NDArray cos = x.mul(y).sum(new int[] {-1});                                           // (batch,)
                float[] target = new float[items.size()];
                for (int i = 0; i < target.length; i++) target[i] = (float) items.get(i).target();
                NDArray gold = manager.create(target);
                yield cos.sub(gold).square().mean();                                                  // ()
            }
        };
    }

    /** Normalised pooled embeddings of {@code texts}, (texts, hidden); normalised always, since the losses are cosines. */
    private NDArray embed(BertEncoder model, List<String> texts, String textPrefix) {
        TextTokenizer.Batch b = tokenizer.batch(texts.stream().map(t -> textPrefix + t).toList());
        Shape shape = new Shape(b.size(), b.length());
        NDArray ids = manager.create(b.flatIds(), shape);
        NDArray mask = manager.create(b.flatAttentionMask(), shape);
        NDArray types = manager.create(b.flatTypeIds(), shape);
        NDArray pooled = profile.pooling().pool(model.forward(ids, mask, types), mask);                // (texts, hidden)
        NDArray norm = pooled.square().sum(new int[] {-1}, true).sqrt().add(scalar(1e-12));          // (texts, 1)
        return pooled.div(norm);
    }

    private List<Item> draw(List<Item> from, Random random) {
        if (from.size() <= batch) return from;
        List<Item> copy = new ArrayList<>(from);
        for (int i = 0; i < batch; i++) Collections.swap(copy, i, i + random.nextInt(copy.size() - i));
        return copy.subList(0, batch);
    }

    private NDArray scalar(double v) { return manager.full(new Shape(), (float) v, DataType.FLOAT32); }

    @Override public String describe() {
        String what = !supervised ? String.format(Locale.ROOT, "entropy of each query's softmax over the batch's passages (temperature %.2f, no labels)", TEMPERATURE)
                : String.format(Locale.ROOT, "in-batch contrastive (retrieval, temperature %.2f)%s / cosine regression (pairs)", TEMPERATURE,
                        entropyWeight > 0 ? String.format(Locale.ROOT, " + %.3g x query entropy", entropyWeight) : "");
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%s, sets weighted alike, %d items per set per step, profile %s;", what, batch, profile.name()));
        for (Task t : tasks) b.append(' ').append(t.name()).append(' ').append(t.training().size()).append('+').append(t.stopping().size());
        return b.append(" (training + early-stopping items)").toString();
    }

}
