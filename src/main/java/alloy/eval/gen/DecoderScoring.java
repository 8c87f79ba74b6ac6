package alloy.eval.gen;

import java.util.ArrayList;
import java.util.List;

/**
 * Per-item scores of a decoder, the values the statistics (means, bootstrap intervals, paired tests)
 * are computed from: exact match of greedy generations, multiple-choice accuracy by log-likelihood
 * ({@code acc}: highest summed log-probability; {@code acc_norm}: highest log-probability per character
 * of the choice, as lm-evaluation-harness normalises), and negative log-likelihood per text.
 */
public final class DecoderScoring {

    private DecoderScoring() {}

    /** What greedy decoding produced for each item and whether it matched. */
    public record Generations(List<String> outputs, double[] exactMatch) {
        public double mean() { return mean(exactMatch); }

        private static double mean(double[] v) {
            double s = 0;
            for (double x : v) s += x;
            return v.length == 0 ? Double.NaN : s / v.length;
        }
    }

    /** Per-item accuracy by summed and by character-normalised log-likelihood. */
    public record Choices(double[] acc, double[] accNorm) {}

    /** Per-text summed negative log-likelihood and token count; corpus perplexity = exp(Σ nll / Σ tokens). */
    public record TextNll(double[] nll, int[] tokens) {
        public double perplexity() {
            double n = 0;
            long t = 0;
            for (int i = 0; i < nll.length; i++) {
                n += nll[i];
                t += tokens[i];
            }
            return Math.exp(n / t);
        }
    }

    /**
     * Greedy generation for each prompt, compared with its answer character for character (generation
     * stops at end-of-sequence, a stop string, which is not part of the output, or the token limit).
     */
    public static Generations exactMatch(CausalLm lm, List<String> prompts, List<String> answers, GenerationSettings settings) {
        if (prompts.size() != answers.size()) {
            throw new IllegalArgumentException(prompts.size() + " prompts but " + answers.size() + " answers");
        }
        List<String> outputs = lm.generate(prompts, settings);
        double[] em = new double[prompts.size()];
        for (int i = 0; i < em.length; i++) em[i] = outputs.get(i).equals(answers.get(i)) ? 1 : 0;
        return new Generations(outputs, em);
    }

    /** Scores every choice of every question as a continuation of its context. */
    public static Choices choices(CausalLm lm, List<ChoiceQuestion> questions, int batchSize) {
        List<LoglikelihoodRequest> requests = new ArrayList<>();
        for (ChoiceQuestion q : questions) for (String c : q.choices()) requests.add(new LoglikelihoodRequest(q.context(), c));
        List<Loglikelihood> ll = lm.logLikelihood(requests, batchSize);
        double[] acc = new double[questions.size()];
        double[] accNorm = new double[questions.size()];
        int k = 0;
        for (int i = 0; i < questions.size(); i++) {
            ChoiceQuestion q = questions.get(i);
            int best = -1, bestNorm = -1;
            double top = Double.NEGATIVE_INFINITY, topNorm = Double.NEGATIVE_INFINITY;
            for (int c = 0; c < q.choices().size(); c++, k++) {
                double lp = ll.get(k).logProb();
                double norm = lp / q.choices().get(c).length();
                if (lp > top) { top = lp; best = c; }
                if (norm > topNorm) { topNorm = norm; bestNorm = c; }
            }
            acc[i] = best == q.gold() ? 1 : 0;
            accNorm[i] = bestNorm == q.gold() ? 1 : 0;
        }
        return new Choices(acc, accNorm);
    }

    /** Negative log-likelihood of every token of each text (after BOS). */
    public static TextNll perplexity(CausalLm lm, List<String> texts, int batchSize) {
        List<Loglikelihood> ll = lm.textLikelihood(texts, batchSize);
        double[] nll = new double[texts.size()];
        int[] tokens = new int[texts.size()];
        for (int i = 0; i < nll.length; i++) {
            nll[i] = -ll.get(i).logProb();
            tokens[i] = ll.get(i).tokens();
        }
        return new TextNll(nll, tokens);
    }
}
