package alloy.eval.model;

import alloy.eval.train.DecoderCheckpoint;
import alloy.tensor.DType;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;

/** Tiny random Llama-family checkpoints for tests, written the way the trained family is. */
public final class LlamaFixtures {

    private LlamaFixtures() {}

    /** A small config with grouped-query attention; {@code bias} adds q/k/v biases. */
    public static LlamaConfig config(String architecture, boolean bias, boolean tied, int slidingWindow) {
        return new LlamaConfig(architecture, 53, 32, 56, 2, 4, 2, 8, 10000.0, 1e-5, 64, tied, bias, slidingWindow,
                OptionalInt.of(1), OptionalInt.of(2));
    }

    /**
     * Writes random weights for {@code config} under {@code dir}: matrices ~ N(0, 0.15²) (large enough that
     * attention is far from uniform), norms ~ 1 + N(0, 0.1²) and biases ~ N(0, 0.1²), so that every
     * parameter kind matters to the logits. {@code outputBias} adds o_proj biases.
     */
    public static Path write(Path dir, LlamaConfig config, boolean outputBias, long seed) {
        Random r = new Random(seed);
        try (NDManager m = DjlEngine.newManager()) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            for (var e : LlamaWeights.shapes(config, outputBias).entrySet()) {
                long[] dims = e.getValue();
                int n = (int) new Shape(dims).size();
                float[] v = new float[n];
                boolean norm = e.getKey().endsWith("norm.weight");
                boolean bias = e.getKey().endsWith(".bias");
                for (int i = 0; i < n; i++) {
                    v[i] = norm ? (float) (1 + 0.1 * r.nextGaussian()) : (float) ((bias ? 0.1 : 0.15) * r.nextGaussian());
                }
                tensors.put(e.getKey(), m.create(v, new Shape(dims)));
            }
            return DecoderCheckpoint.save(dir, config, tensors, DType.F32, Map.of());
        }
    }
}
