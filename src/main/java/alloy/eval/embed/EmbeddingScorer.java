package alloy.eval.embed;

import alloy.eval.Scorer;
import alloy.eval.TaskResult;
import alloy.eval.model.BertEncoder;
import alloy.eval.model.DjlEngine;
import alloy.eval.model.TextTokenizer;
import alloy.eval.stats.Bootstrap;
import alloy.eval.stats.ItemStatistic;
import alloy.eval.stats.Metrics;
import alloy.eval.stats.Score;
import alloy.eval.task.PairItem;
import alloy.eval.task.PoolPassage;
import alloy.eval.task.ProxyTask;
import alloy.eval.task.RetrievalItem;
import alloy.eval.task.Split;
import alloy.eval.task.Weighting;
import alloy.io.Checkpoint;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Scores BERT sentence encoders on retrieval and pair proxy sets, one candidate at a time: the candidate's
 * weights are loaded into a sub-manager, every set's split is embedded and scored, and the sub-manager is
 * closed before {@link #score} returns, so nothing of a candidate outlives its call. The one thing kept
 * across candidates is the tokenized text of each (set, split), made on first use with the profile's
 * prefixes: it does not depend on the weights.
 *
 * <p>All candidates share the tokenizer given here (the base model's): merges of siblings keep their
 * vocabulary. Metrics reported are those the set's manifest lists; the primary is its {@code metric}. A set
 * whose manifest says {@code "weighting": "domains"} is scored as the mean of its per-domain scores.
 */
public final class EmbeddingScorer implements Scorer {

    /**
     * @param batchSize most texts per forward pass
     * @param tokenBudget most padded tokens per forward pass (see {@link SentenceEmbedder})
     */
    public record Settings(EncoderProfile profile, int batchSize, int tokenBudget, Bootstrap bootstrap) {
        public Settings {
            Objects.requireNonNull(profile, "profile");
            Objects.requireNonNull(bootstrap, "bootstrap");
            if (batchSize < 1) throw new IllegalArgumentException("batch size: expected >= 1, found " + batchSize);
            if (tokenBudget < 1) throw new IllegalArgumentException("token budget: expected >= 1, found " + tokenBudget);
        }

        /** Batches of 32 texts and 4096 padded tokens, default bootstrap. */
        public static Settings of(EncoderProfile profile) {
            return new Settings(profile, SentenceEmbedder.DEFAULT_BATCH,
                    SentenceEmbedder.DEFAULT_BATCH * SentenceEmbedder.DEFAULT_TOKENS_PER_TEXT, Bootstrap.defaults());
        }
    }

    private record Key(String task, Split split) {}

    private final List<ProxyTask> tasks;
    private final Settings settings;
    private final TextTokenizer tokenizer;
    private final SentenceEmbedder embedder;
    private final NDManager root;
    private final EncoderEngine engine;
    private final Map<Key, Object> prepared = new ConcurrentHashMap<>();

    private EmbeddingScorer(List<ProxyTask> tasks, Settings settings, TextTokenizer tokenizer, Optional<Path> onnxGraph) {
        this.tasks = tasks;
        this.settings = settings;
        this.tokenizer = tokenizer;
        this.embedder = new SentenceEmbedder(settings.profile(), settings.batchSize(), settings.tokenBudget());
        this.root = DjlEngine.newManager();
        // ONNX Runtime where the reference model's graph is there to run the candidates on, else DJL
        this.engine = onnxGraph.flatMap(g -> OrtEncoderEngine.open(g, embedder, DjlEngine.threads())).map(e -> (EncoderEngine) e)
                .orElseGet(() -> new DjlEncoderEngine(embedder));
    }

    /**
     * A scorer for {@code tasks} (retrieval and pair sets only) tokenizing with {@code tokenizerJson} at
     * the profile's max length. Close it to release the tokenizer and the engine memory.
     */
    public static EmbeddingScorer open(List<ProxyTask> tasks, Path tokenizerJson, Settings settings) {
        return open(tasks, tokenizerJson, settings, Optional.empty());
    }

    /**
     * As above; with {@code onnxGraph} (the reference model's ONNX file, float32) candidates are run on ONNX
     * Runtime over that graph with their own weights ({@link OrtEncoderEngine}), else on DJL.
     */
    public static EmbeddingScorer open(List<ProxyTask> tasks, Path tokenizerJson, Settings settings, Optional<Path> onnxGraph) {
        if (tasks.isEmpty()) throw new IllegalArgumentException("no proxy sets to score");
        for (ProxyTask t : tasks) {
            if (!(t instanceof ProxyTask.Retrieval || t instanceof ProxyTask.Pairs)) {
                throw new IllegalArgumentException("proxy set " + t.name() + " is a " + t.kind()
                        + " set; a sentence encoder scores retrieval and pairs sets");
            }
        }
        TextTokenizer tokenizer = TextTokenizer.open(tokenizerJson, TextTokenizer.Options.encoder(settings.profile().maxLength()));
        try {
            return new EmbeddingScorer(List.copyOf(tasks), settings, tokenizer, onnxGraph);
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
    }

    public Settings settings() { return settings; }

    /** The engine candidates run on. */
    public EncoderEngine engine() { return engine; }

    public List<ProxyTask> tasks() { return tasks; }

    /** Loads {@code candidate}, scores every set on {@code split}, frees the candidate. */
    @Override public List<TaskResult> score(Checkpoint candidate, Split split) {
        return measure(candidate, split).stream().map(Measured::result).toList();
    }

    /**
     * One set's scores on one split together with its primary metric as a statistic of item indices (the mean
     * of the items' values, or Spearman over the resampled pairs, domain-balanced when the set says so), so
     * that statistics over several candidates and splits (rank agreement, {@link alloy.eval.stats.RankAgreement})
     * can resample the items themselves.
     */
    public record Measured(TaskResult result, ItemStatistic primary) {}

    /** {@link #score(Checkpoint, Split)} with each set's primary metric kept as a resamplable statistic. */
    public List<Measured> measure(Checkpoint candidate, Split split) {
        checkHas(split);
        try (EncoderEngine.Loaded encoder = engine.load(candidate)) {
            return measure(encoder, split);
        }
    }

    /** The candidate's weights handed to the engine once, for every split asked of it. */
    @Override public Loaded load(Checkpoint candidate) {
        EncoderEngine.Loaded encoder = engine.load(candidate);
        return new Loaded() {
            @Override public List<TaskResult> score(Split split) {
                checkHas(split);
                return measure(encoder, split).stream().map(Measured::result).toList();
            }

            @Override public void close() { encoder.close(); }
        };
    }

    private List<Measured> measure(EncoderEngine.Loaded encoder, Split split) {
        List<Measured> results = new ArrayList<>(tasks.size());
        for (ProxyTask task : tasks) results.add(measure(task, split, encoder::embed));
        return results;
    }

    private void checkHas(Split split) {
        for (ProxyTask t : tasks) {
            if (!t.has(split)) {
                throw new IllegalArgumentException("proxy set " + t.name() + " has no " + split + " split (it has " + t.splits() + ")");
            }
        }
    }

    /** One set's split with an encoder already loaded into {@code manager}. */
    public TaskResult score(ProxyTask task, Split split, BertEncoder encoder, NDManager manager) {
        return measure(task, split, encoder, manager).result();
    }

    /** One set's split with an encoder already loaded into {@code manager}, the primary metric kept as a statistic. */
    public Measured measure(ProxyTask task, Split split, BertEncoder encoder, NDManager manager) {
        return measure(task, split, texts -> embedder.embed(encoder, texts, manager));
    }

    private Measured measure(ProxyTask task, Split split, Function<TokenizedTexts, float[][]> embed) {
        boolean balanced = task.manifest().weighting() == Weighting.DOMAINS;
        Bootstrap boot = settings.bootstrap();
        Map<String, Score> all;
        ItemStatistic primary;
        switch (task) {
            case ProxyTask.Retrieval r -> {
                RetrievalEval.Prepared prepared = retrieval(r, split);
                RetrievalEval.Outcome o = RetrievalEval.score(embed.apply(prepared.texts()), prepared);
                int[] groups = Metrics.groupIndices(r.items(split).stream().map(RetrievalItem::domain).toList());
                all = balanced ? o.balancedScores(boot, groups) : o.scores(boot);
                double[] values = switch (task.manifest().metric()) {
                    case "recall@1" -> o.recallAt1();
                    case "mrr" -> o.reciprocalRank();
                    case "ndcg@10" -> o.ndcgAt10();
                    default -> throw new IllegalArgumentException("proxy set " + task.name() + ": unknown retrieval metric " + task.manifest().metric());
                };
                primary = new ItemStatistic(values.length, balanced ? Metrics.balancedMeanOf(values, groups) : Bootstrap.meanOf(values));
            }
            case ProxyTask.Pairs p -> {
                PairEval.Prepared prepared = pairs(p, split);
                PairEval.Outcome o = PairEval.score(embed.apply(prepared.texts()), prepared);
                int[] groups = Metrics.groupIndices(p.items(split).stream().map(PairItem::domain).toList());
                Bootstrap.Statistic stat = balanced ? Metrics.balancedSpearmanOf(o.cosines(), o.gold(), groups) : Metrics.spearmanOf(o.cosines(), o.gold());
                all = Map.of("spearman", boot.statistic("spearman", o.cosines().length, stat));
                primary = new ItemStatistic(o.cosines().length, stat);
            }
            default -> throw new IllegalArgumentException("proxy set " + task.name() + " is a " + task.kind() + " set");
        }
        Map<String, Score> reported = new LinkedHashMap<>();
        for (String metric : task.manifest().metrics()) reported.put(metric, all.get(metric));
        return new Measured(new TaskResult(task.name(), split.key(), reported.get(task.manifest().metric()), reported), primary);
    }

    /** The tokenized split, made once. */
    public RetrievalEval.Prepared retrieval(ProxyTask.Retrieval task, Split split) {
        return (RetrievalEval.Prepared) prepared.computeIfAbsent(new Key(task.name(), split),
                k -> RetrievalEval.prepare(tokenizer, settings.profile(), task.items(split),
                        task.pool(split).stream().map(PoolPassage::passage).toList()));
    }

    /** The tokenized split, made once. */
    public PairEval.Prepared pairs(ProxyTask.Pairs task, Split split) {
        return (PairEval.Prepared) prepared.computeIfAbsent(new Key(task.name(), split),
                k -> PairEval.prepare(tokenizer, settings.profile(), task.items(split)));
    }

    public SentenceEmbedder embedder() { return embedder; }

    @Override public void close() {
        try {
            engine.close();
        } finally {
            root.close();
            tokenizer.close();
        }
    }
}
