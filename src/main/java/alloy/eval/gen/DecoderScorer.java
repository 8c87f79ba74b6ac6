package alloy.eval.gen;

import alloy.eval.Scorer;
import alloy.eval.TaskResult;
import alloy.eval.model.DjlEngine;
import alloy.eval.stats.Bootstrap;
import alloy.eval.stats.Score;
import alloy.eval.task.ChoiceItem;
import alloy.eval.task.GenerationItem;
import alloy.eval.task.ProxyTask;
import alloy.eval.task.Split;
import alloy.eval.task.TextItem;
import alloy.io.Checkpoint;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import alloy.eval.stats.Metrics;

/**
 * Scores Llama-family decoders on generation, choice and perplexity proxy sets, one candidate at a time:
 * the candidate is loaded into a sub-manager with the tokenizer of its model directory, every set's split
 * is scored, and the candidate's memory is released before {@link #score} returns.
 *
 * <p>Metrics: {@code exact_match} (greedy generation with the set's {@code max_tokens} and stop strings,
 * compared character for character), {@code acc} and {@code acc_norm} (the choice with the highest
 * summed log-likelihood, or per character of the choice), {@code ppl} (exp of the total negative
 * log-likelihood over the total tokens of the split's texts). The first three keep their per-item values
 * for paired tests; perplexity is a whole-set statistic, bootstrapped over texts.
 */
public final class DecoderScorer implements Scorer {

    /** @param batchSize most sequences per forward pass */
    public record Settings(int batchSize, Bootstrap bootstrap) {
        public Settings {
            Objects.requireNonNull(bootstrap, "bootstrap");
            if (batchSize < 1) throw new IllegalArgumentException("batch size: expected >= 1, found " + batchSize);
        }

        /** 64 sequences per pass, the default bootstrap. */
        public static Settings defaults() { return new Settings(64, Bootstrap.defaults()); }
    }

    private final List<ProxyTask> tasks;
    private final Settings settings;
    private final NDManager root;

    private DecoderScorer(List<ProxyTask> tasks, Settings settings) {
        this.tasks = tasks;
        this.settings = settings;
        this.root = DjlEngine.newManager();
    }

    /** A scorer for {@code tasks}: generation, choice and perplexity sets only. Close it to release the engine memory. */
    public static DecoderScorer open(List<ProxyTask> tasks, Settings settings) {
        if (tasks.isEmpty()) throw new IllegalArgumentException("no proxy sets to score");
        for (ProxyTask t : tasks) {
            if (!(t instanceof ProxyTask.Generation || t instanceof ProxyTask.Choice || t instanceof ProxyTask.Perplexity)) {
                throw new IllegalArgumentException("proxy set " + t.name() + " is a " + t.kind()
                        + " set; a decoder scores generation, choice and perplexity sets");
            }
        }
        return new DecoderScorer(List.copyOf(tasks), settings);
    }

    public List<ProxyTask> tasks() { return tasks; }

    public Settings settings() { return settings; }

    /** Loads {@code candidate}, scores every set on {@code split}, frees the candidate. */
    @Override public List<TaskResult> score(Checkpoint candidate, Split split) {
        try (Loaded lm = load(candidate)) {
            return lm.score(split);
        }
    }

    /** The candidate loaded once, for every split asked of it. */
    @Override public Loaded load(Checkpoint candidate) {
        CausalLm lm = CausalLm.open(candidate, root);
        return new Loaded() {
            @Override public List<TaskResult> score(Split split) {
                List<TaskResult> results = new ArrayList<>(tasks.size());
                for (ProxyTask task : tasks) results.add(DecoderScorer.this.score(task, split, lm));
                return results;
            }

            @Override public void close() { lm.close(); }
        };
    }

    /** One set's split with a model already loaded. */
    public TaskResult score(ProxyTask task, Split split, CausalLm lm) {
        Bootstrap bootstrap = settings.bootstrap();
        Map<String, Score> all = new LinkedHashMap<>();
        switch (task) {
            case ProxyTask.Generation g -> {
                List<GenerationItem> items = g.items(split);
                var settingsFor = new GenerationSettings(g.maxTokens(), g.stop(), settings.batchSize());
                var result = DecoderScoring.exactMatch(lm, items.stream().map(GenerationItem::prompt).toList(),
                        items.stream().map(GenerationItem::answer).toList(), settingsFor);
                all.put("exact_match", bootstrap.mean("exact_match", result.exactMatch()));
            }
            case ProxyTask.Choice c -> {
                List<ChoiceQuestion> questions = c.items(split).stream()
                        .map((ChoiceItem i) -> new ChoiceQuestion(i.context(), i.choices(), i.answer())).toList();
                var result = DecoderScoring.choices(lm, questions, settings.batchSize());
                all.put("acc", bootstrap.mean("acc", result.acc()));
                all.put("acc_norm", bootstrap.mean("acc_norm", result.accNorm()));
            }
            case ProxyTask.Perplexity p -> {
                var result = DecoderScoring.perplexity(lm, p.items(split).stream().map(TextItem::text).toList(), settings.batchSize());
                double[] nll = result.nll();
                int[] tokens = result.tokens();
                all.put("ppl", bootstrap.statistic("ppl", nll.length, Metrics.perplexityOf(nll, tokens)));
                double[] loglik = new double[nll.length];
                for (int i = 0; i < nll.length; i++) loglik[i] = -nll[i] / tokens[i];
                all.put("loglik", bootstrap.mean("loglik", loglik));
            }
            default -> throw new IllegalArgumentException("proxy set " + task.name() + " is a " + task.kind() + " set");
        }
        Map<String, Score> reported = new LinkedHashMap<>();
        for (String metric : task.manifest().metrics()) {
            Score s = all.get(metric);
            if (s == null) throw new IllegalArgumentException("proxy set " + task.name() + ": metric " + metric + " is not one a decoder reports");
            reported.put(metric, s);
        }
        return new TaskResult(task.name(), split.key(), reported.get(task.manifest().metric()), reported);
    }

    @Override public void close() { root.close(); }
}
