package alloy.eval.gen;

import java.util.List;

/**
 * Greedy decoding limits: at most {@code maxNewTokens} tokens, ending early at the end-of-sequence token
 * or at the first occurrence of any stop string (which is cut from the text); prompts run
 * {@code batchSize} at a time.
 */
public record GenerationSettings(int maxNewTokens, List<String> stopStrings, int batchSize) {

    public GenerationSettings {
        if (maxNewTokens <= 0) throw new IllegalArgumentException("max new tokens must be positive, found " + maxNewTokens);
        if (batchSize <= 0) throw new IllegalArgumentException("batch size must be positive, found " + batchSize);
        stopStrings = List.copyOf(stopStrings);
        for (String s : stopStrings) if (s.isEmpty()) throw new IllegalArgumentException("stop strings must not be empty");
    }

    public static GenerationSettings greedy(int maxNewTokens, String... stopStrings) {
        return new GenerationSettings(maxNewTokens, List.of(stopStrings), 32);
    }

    public GenerationSettings withBatchSize(int size) { return new GenerationSettings(maxNewTokens, stopStrings, size); }
}
