package alloy.eval.gen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.eval.model.DjlEngine;
import alloy.eval.model.LlamaConfig;
import alloy.eval.model.LlamaFixtures;
import alloy.io.Checkpoint;
import alloy.io.resolve.Checkpoints;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Generation with a KV cache against recomputing the whole sequence, and the likelihood bookkeeping. */
class CausalLmTest {

    @TempDir static Path tmp;
    private static NDManager root;
    private static CausalLm lm;

    @BeforeAll static void load() {
        root = DjlEngine.newManager();
        LlamaConfig config = LlamaFixtures.config("LlamaForCausalLM", true, false, 0);
        Path dir = LlamaFixtures.write(tmp.resolve("random"), config, false, 21);
        try (Checkpoint ckpt = Checkpoints.open(dir)) {
            lm = CausalLm.open(ckpt, root);
        }
    }

    @AfterAll static void close() {
        lm.close();
        root.close();
    }

    private static final List<String> PROMPTS = List.of("add 12+5=", "reverse abc", "x", "sort dcba >");

    @Test
    void cachedBatchedGenerationEqualsFullRecomputation() {
        List<String> cached = lm.generate(PROMPTS, GenerationSettings.greedy(12).withBatchSize(3));
        for (int i = 0; i < PROMPTS.size(); i++) {
            assertEquals(recompute(PROMPTS.get(i), 12), cached.get(i), "prompt \"" + PROMPTS.get(i) + "\"");
        }
        assertTrue(cached.stream().anyMatch(s -> s.length() >= 3), "the random model should generate something: " + cached);
    }

    @Test
    void stopStringsCutTheText() {
        String full = lm.generate(List.of(PROMPTS.get(0)), GenerationSettings.greedy(12)).getFirst();
        assertTrue(full.length() >= 3, "need a few characters to cut, got \"" + full + "\"");
        String stop = full.substring(2, 3);
        String cut = lm.generate(List.of(PROMPTS.get(0)), GenerationSettings.greedy(12, stop)).getFirst();
        assertEquals(full.substring(0, full.indexOf(stop)), cut);
    }

    @Test
    void logLikelihoodIsTheSumOverContinuationTokens() {
        List<Loglikelihood> ll = lm.logLikelihood(List.of(
                new LoglikelihoodRequest("add 1+1=", "2"), new LoglikelihoodRequest("reverse ab", " ba"),
                new LoglikelihoodRequest("", "abc")), 2);
        assertEquals(1, ll.get(0).tokens());
        assertEquals(3, ll.get(1).tokens());
        assertEquals(naive("add 1+1=", "2"), ll.get(0).logProb(), 1e-4);
        assertEquals(naive("reverse ab", " ba"), ll.get(1).logProb(), 1e-4);
        assertEquals(naive("", "abc"), ll.get(2).logProb(), 1e-4);
        // a continuation the greedy decoder produces is greedy
        String g = lm.generate(List.of("sort dcba >"), GenerationSettings.greedy(3)).getFirst();
        if (!g.isEmpty()) assertTrue(lm.logLikelihood(List.of(new LoglikelihoodRequest("sort dcba >", g)), 1).getFirst().greedy());
    }

    @Test
    void longTextsAreScoredInWindowsCoveringEveryToken() {
        String text = "abcdefghij".repeat(15);                    // 150 characters, window 64
        Loglikelihood whole = lm.textLikelihood(List.of(text), 4).getFirst();
        assertEquals(150, whole.tokens());
        Loglikelihood shortText = lm.textLikelihood(List.of("abc"), 4).getFirst();
        assertEquals(naive("", "abc"), shortText.logProb(), 1e-4);
        assertTrue(whole.perplexity() > 1);
        assertFalse(Double.isNaN(whole.nllPerToken()));
    }

    /** Greedy decoding by running the whole sequence again for every new token, one prompt alone. */
    private static String recompute(String prompt, int maxNew) {
        List<Long> ids = new ArrayList<>();
        for (long id : lm.tokenizer().encodeWithBos(prompt)) ids.add(id);
        List<Long> generated = new ArrayList<>();
        for (int n = 0; n < maxNew; n++) {
            try (NDScope scope = new NDScope(); NDManager m = root.newSubManager()) {
                scope.suppressNotUsedWarning();
                long[] row = ids.stream().mapToLong(Long::longValue).toArray();
                long[] mask = new long[row.length];
                Arrays.fill(mask, 1);
                NDArray logits = lm.decoder().forward(m.create(row, new Shape(1, row.length)), m.create(mask, new Shape(1, row.length)));
                long next = logits.get("0, -1, :").argMax().getLong();
                if (next == lm.tokenizer().eos().getAsInt()) break;
                ids.add(next);
                generated.add(next);
            }
        }
        return lm.tokenizer().decode(generated.stream().mapToLong(Long::longValue).toArray());
    }

    /** Σ log p(continuation token | everything before), one sequence alone. */
    private static double naive(String context, String continuation) {
        long[] c = lm.tokenizer().encodeWithBos(context);
        long[] x = lm.tokenizer().encode(continuation);
        long[] all = new long[c.length + x.length];
        System.arraycopy(c, 0, all, 0, c.length);
        System.arraycopy(x, 0, all, c.length, x.length);
        try (NDScope scope = new NDScope(); NDManager m = root.newSubManager()) {
            scope.suppressNotUsedWarning();
            long[] mask = new long[all.length];
            Arrays.fill(mask, 1);
            float[] lp = lm.decoder().forward(m.create(all, new Shape(1, all.length)), m.create(mask, new Shape(1, all.length)))
                    .logSoftmax(-1).toFloatArray();
            int vocab = lm.decoder().config().vocabSize();
            double sum = 0;
            for (int j = c.length; j < all.length; j++) sum += lp[(j - 1) * vocab + (int) all[j]];
            return sum;
        }
    }
}
