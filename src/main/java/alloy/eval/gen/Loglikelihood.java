package alloy.eval.gen;

/**
 * The summed natural-log probability of the scored tokens, how many there were, and whether greedy
 * decoding would have produced every one of them (lm-evaluation-harness' {@code is_greedy}).
 */
public record Loglikelihood(double logProb, int tokens, boolean greedy) {
    public Loglikelihood {
        if (tokens <= 0) throw new IllegalArgumentException("a log-likelihood covers at least one token, found " + tokens);
        if (Double.isNaN(logProb) || logProb > 1e-4) throw new IllegalArgumentException("log probability must be <= 0, found " + logProb);
    }

    /** Negative log-likelihood per token; exp of it is the perplexity. */
    public double nllPerToken() { return -logProb / tokens; }

    public double perplexity() { return Math.exp(nllPerToken()); }
}
