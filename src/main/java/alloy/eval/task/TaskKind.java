package alloy.eval.task;

import java.util.List;

/**
 * What a proxy set asks of a model, which fixes the fields of its items and the metrics it can report.
 * The first metric of each kind is the usual primary one.
 */
public enum TaskKind {
    /** Each query's own passage must rank high among all passages of the split (encoders). */
    RETRIEVAL("retrieval", List.of("recall@1", "mrr", "ndcg@10"), List.of("id", "query", "passage")),
    /** Cosine similarity of two sentences should order pairs as human 0-5 judgements do (encoders). */
    PAIRS("pairs", List.of("spearman"), List.of("id", "a", "b", "score")),
    /** The right continuation should be the most likely one (decoders). */
    CHOICE("choice", List.of("acc", "acc_norm"), List.of("id", "context", "choices", "answer")),
    /** Greedy decoding of the prompt should give the answer exactly (decoders). */
    GENERATION("generation", List.of("exact_match"), List.of("id", "prompt", "answer")),
    /**
     * Perplexity of held text, lower is better (decoders); loglik is each text's mean log-likelihood per token
     * (natural log), averaged over texts: a mean over items, so two models can be compared text by text.
     */
    PERPLEXITY("perplexity", List.of("ppl", "loglik"), List.of("id", "text"));

    private final String key;
    private final List<String> metrics;
    private final List<String> itemKeys;

    TaskKind(String key, List<String> metrics, List<String> itemKeys) {
        this.key = key;
        this.metrics = metrics;
        this.itemKeys = itemKeys;
    }

    /** The {@code "kind"} value in a manifest. */
    public String key() { return key; }

    /** Metrics this kind can report, the usual primary first. */
    public List<String> metrics() { return metrics; }

    /** The keys of every JSONL line of this kind, in the order files are written. */
    public List<String> itemKeys() { return itemKeys; }

    /** Whether a higher value of {@code metric} is better (false only for perplexity). */
    public static boolean higherIsBetter(String metric) { return !metric.equals("ppl"); }

    public static TaskKind parse(String key) {
        for (TaskKind k : values()) if (k.key.equals(key)) return k;
        throw new IllegalArgumentException("unknown kind \"" + key + "\"; expected one of retrieval, pairs, choice, generation, perplexity");
    }

    @Override public String toString() { return key; }
}
