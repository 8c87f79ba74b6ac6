package alloy.eval;

import alloy.eval.gen.CausalLm;
import alloy.eval.gen.ChoiceQuestion;
import alloy.eval.gen.DecoderScoring;
import alloy.eval.gen.GenerationSettings;
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

/**
 * Scores causal LMs on generation (exact match), multiple-choice (acc, acc_norm by log-likelihood) and
 * perplexity sets. Each candidate is loaded into a sub-manager that is closed before {@link #score}
 * returns. Perplexity is reported as the corpus perplexity exp(sum NLL / sum tokens); its interval comes from
 * resampling texts, and its per-item values are per-text log-likelihood per token (the negated NLL), so that
 * for every metric's items higher is better and paired tests read the same way.
 */
public final class DecoderScorer implements Scorer {

    private final List<ProxyTask> tasks;
    private final Bootstrap bootstrap;
    private final NDManager root;
    private final int batchSize;

    private DecoderScorer(List<ProxyTask> tasks, Bootstrap bootstrap, int batchSize) {
        this.tasks = List.copyOf(tasks);
        this.bootstrap = bootstrap;
        this.batchSize = batchSize;
        this.root = DjlEngine.newManager();
    }

    public static DecoderScorer open(List<ProxyTask> tasks, Checkpoint reference) {
        if (tasks.isEmpty()) throw new IllegalArgumentException("no proxy sets to score");
        for (ProxyTask t : tasks) {
            if (t instanceof ProxyTask.Retrieval || t instanceof ProxyTask.Pairs) {
                throw new IllegalArgumentException("proxy set " + t.name() + " is a " + t.kind() + " set; a causal LM scores generation, choice and perplexity sets");
            }
        }
        return new DecoderScorer(tasks, Bootstrap.defaults(), 32);
    }

    @Override public List<TaskResult> score(Checkpoint candidate, Split split) {
        try (NDManager m = root.newSubManager(); CausalLm lm = CausalLm.open(candidate, m)) {
            List<TaskResult> out = new ArrayList<>();
            for (ProxyTask t : tasks) out.add(score(lm, t, split));
            return out;
        }
    }

    private TaskResult score(CausalLm lm, ProxyTask task, Split split) {
        Map<String, Score> s = new LinkedHashMap<>();
        switch (task) {
            case ProxyTask.Generation g -> {
                List<GenerationItem> items = g.items(split);
                GenerationSettings settings = GenerationSettings.greedy(g.maxTokens(), g.stop().toArray(String[]::new)).withBatchSize(batchSize);
                DecoderScoring.Generations gen = DecoderScoring.exactMatch(lm, items.stream().map(GenerationItem::prompt).toList(),
                        items.stream().map(GenerationItem::answer).toList(), settings);
                s.put("exact_match", bootstrap.mean("exact_match", gen.exactMatch()));
            }
            case ProxyTask.Choice c -> {
                List<ChoiceItem> items = c.items(split);
                DecoderScoring.Choices ch = DecoderScoring.choices(lm,
                        items.stream().map(i -> new ChoiceQuestion(i.context(), i.choices(), i.answer())).toList(), batchSize);
                s.put("acc", bootstrap.mean("acc", ch.acc()));
                s.put("acc_norm", bootstrap.mean("acc_norm", ch.accNorm()));
            }
            case ProxyTask.Perplexity p -> {
                List<TextItem> items = p.items(split);
                DecoderScoring.TextNll nll = DecoderScoring.perplexity(lm, items.stream().map(TextItem::text).toList(), batchSize);
                double[] nllArr = nll.nll();
                int[] tok = nll.tokens();
                double[] perToken = new double[nllArr.length];
                for (int i = 0; i < perToken.length; i++) perToken[i] = -nllArr[i] / tok[i];
                s.put("ppl", bootstrap.statistic("ppl", nllArr.length, sample -> {
                    double n = 0, t = 0;
                    for (int i : sample) { n += nllArr[i]; t += tok[i]; }
                    return Math.exp(n / t);
                }, perToken));
            }
            case ProxyTask.Retrieval r -> throw new IllegalStateException("unreachable: checked in open");
            case ProxyTask.Pairs r -> throw new IllegalStateException("unreachable: checked in open");
        }
        Map<String, Score> reported = new LinkedHashMap<>();
        for (String metric : task.manifest().metrics()) if (s.containsKey(metric)) reported.put(metric, s.get(metric));
        Score primary = s.get(task.manifest().metric());
        if (primary == null) throw new IllegalArgumentException("proxy set " + task.name() + ": metric '" + task.manifest().metric() + "' is not one a decoder reports (" + s.keySet() + ")");
        return new TaskResult(task.name(), split.key(), primary, reported);
    }

    @Override public void close() { root.close(); }
}
