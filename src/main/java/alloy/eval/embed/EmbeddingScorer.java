package alloy.eval.embed;

import alloy.eval.Scorer;
import alloy.eval.TaskResult;
import alloy.eval.model.BertEncoder;
import alloy.eval.model.DjlEngine;
import alloy.eval.model.TextTokenizer;
import alloy.eval.stats.Bootstrap;
import alloy.eval.stats.Score;
import alloy.eval.task.ProxyTask;
import alloy.eval.task.Split;
import alloy.io.Checkpoint;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Scores BERT sentence encoders on retrieval and pair proxy sets, one candidate at a time: the candidate's
 * weights are loaded into a sub-manager, every set's split is embedded and scored, and the sub-manager is
 * closed before {@link #score} returns, so nothing of a candidate outlives its call. The one thing kept
 * across candidates is the tokenized text of each (set, split), made on first use with the profile's
 * prefixes: it does not depend on the weights.
 *
 * <p>All candidates share the tokenizer given here (the base model's): merges of siblings keep their
 * vocabulary. Metrics reported are those the set's manifest lists; the primary is its {@code metric}.
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
    private final Map<Key, Object> prepared = new ConcurrentHashMap<>();

    private EmbeddingScorer(List<ProxyTask> tasks, Settings settings, TextTokenizer tokenizer) {
        this.tasks = tasks;
        this.settings = settings;
        this.tokenizer = tokenizer;
        this.embedder = new SentenceEmbedder(settings.profile(), settings.batchSize(), settings.tokenBudget());
        this.root = DjlEngine.newManager();
    }

    /**
     * A scorer for {@code tasks} (retrieval and pair sets only) tokenizing with {@code tokenizerJson} at
     * the profile's max length. Close it to release the tokenizer and the engine memory.
     */
    public static EmbeddingScorer open(List<ProxyTask> tasks, Path tokenizerJson, Settings settings) {
        if (tasks.isEmpty()) throw new IllegalArgumentException("no proxy sets to score");
        for (ProxyTask t : tasks) {
            if (!(t instanceof ProxyTask.Retrieval || t instanceof ProxyTask.Pairs)) {
                throw new IllegalArgumentException("proxy set " + t.name() + " is a " + t.kind()
                        + " set; a sentence encoder scores retrieval and pairs sets");
            }
        }
        TextTokenizer tokenizer = TextTokenizer.open(tokenizerJson, TextTokenizer.Options.encoder(settings.profile().maxLength()));
        return new EmbeddingScorer(List.copyOf(tasks), settings, tokenizer);
    }

    public Settings settings() { return settings; }

    public List<ProxyTask> tasks() { return tasks; }

    /** Loads {@code candidate}, scores every set on {@code split}, frees the candidate. */
    @Override public List<TaskResult> score(Checkpoint candidate, Split split) {
        try (NDManager m = root.newSubManager()) {
            BertEncoder encoder = BertEncoder.load(candidate, m);
            List<TaskResult> results = new ArrayList<>(tasks.size());
            for (ProxyTask task : tasks) results.add(score(task, split, encoder, m));
            return results;
        }
    }

    /** One set's split with an encoder already loaded into {@code manager}. */
    public TaskResult score(ProxyTask task, Split split, BertEncoder encoder, NDManager manager) {
        Map<String, Score> all = switch (task) {
            case ProxyTask.Retrieval r -> RetrievalEval.score(encoder, embedder, retrieval(r, split), manager).scores(settings.bootstrap());
            case ProxyTask.Pairs p -> Map.of("spearman", PairEval.score(encoder, embedder, pairs(p, split), manager).spearman(settings.bootstrap()));
            default -> throw new IllegalArgumentException("proxy set " + task.name() + " is a " + task.kind() + " set");
        };
        Map<String, Score> reported = new LinkedHashMap<>();
        for (String metric : task.manifest().metrics()) reported.put(metric, all.get(metric));
        return new TaskResult(task.name(), split.key(), reported.get(task.manifest().metric()), reported);
    }

    /** The tokenized split, made once. */
    public RetrievalEval.Prepared retrieval(ProxyTask.Retrieval task, Split split) {
        return (RetrievalEval.Prepared) prepared.computeIfAbsent(new Key(task.name(), split),
                k -> RetrievalEval.prepare(tokenizer, settings.profile(), task.items(split)));
    }

    /** The tokenized split, made once. */
    public PairEval.Prepared pairs(ProxyTask.Pairs task, Split split) {
        return (PairEval.Prepared) prepared.computeIfAbsent(new Key(task.name(), split),
                k -> PairEval.prepare(tokenizer, settings.profile(), task.items(split)));
    }

    public SentenceEmbedder embedder() { return embedder; }

    @Override public void close() {
        root.close();
        tokenizer.close();
    }
}
