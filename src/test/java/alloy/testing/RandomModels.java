package alloy.testing;

import alloy.io.CheckpointWriter;
import alloy.io.OutputTarget;
import alloy.tensor.DType;
import alloy.tensor.FloatTensor;
import alloy.tensor.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Tiny Llama-shaped checkpoints with random weights (config.json + model.safetensors), in the manner of
 * mergekit's test fixtures: a "base" and fine-tunes that add small seeded perturbations to it, so that task
 * vectors are realistic (small against the weights, partly agreeing in sign).
 */
public final class RandomModels {

    public record Spec(int layers, int hidden, int intermediate, int vocab) {
        public static Spec tiny() { return new Spec(4, 16, 32, 40); }
    }

    private RandomModels() {}

    /** Tensor names and shapes of a Llama stack (no biases, untied lm_head). */
    public static Map<String, Shape> layout(Spec s) {
        Map<String, Shape> m = new LinkedHashMap<>();
        m.put("model.embed_tokens.weight", Shape.of(s.vocab(), s.hidden()));
        for (int l = 0; l < s.layers(); l++) {
            String p = "model.layers." + l + ".";
            m.put(p + "input_layernorm.weight", Shape.of(s.hidden()));
            for (String w : List.of("q_proj", "k_proj", "v_proj", "o_proj")) m.put(p + "self_attn." + w + ".weight", Shape.of(s.hidden(), s.hidden()));
            m.put(p + "post_attention_layernorm.weight", Shape.of(s.hidden()));
            m.put(p + "mlp.gate_proj.weight", Shape.of(s.intermediate(), s.hidden()));
            m.put(p + "mlp.up_proj.weight", Shape.of(s.intermediate(), s.hidden()));
            m.put(p + "mlp.down_proj.weight", Shape.of(s.hidden(), s.intermediate()));
        }
        m.put("model.norm.weight", Shape.of(s.hidden()));
        m.put("lm_head.weight", Shape.of(s.vocab(), s.hidden()));
        return m;
    }

    /** Values of tensor {@code name} for the model with {@code seed}: base values plus {@code delta} times noise. */
    public static float[] values(String name, long n, long baseSeed, long seed, double delta) {
        SplittableRandom base = new SplittableRandom(baseSeed ^ name.hashCode());
        SplittableRandom tune = new SplittableRandom(seed * 31 + name.hashCode());
        float[] v = new float[Math.toIntExact(n)];
        boolean norm = name.contains("norm");
        for (int i = 0; i < v.length; i++) {
            double b = norm ? 1.0 : base.nextGaussian() * 0.05;
            v[i] = (float) (b + (seed == baseSeed ? 0 : delta * tune.nextGaussian() * 0.05));
        }
        return v;
    }

    /** Writes a model to {@code dir}: base when seed == baseSeed, else a fine-tune of it. */
    public static Path write(Path dir, Spec s, DType dtype, long baseSeed, long seed, double delta, long shardBytes) {
        Map<String, Shape> layout = layout(s);
        List<CheckpointWriter.Entry> entries = new ArrayList<>();
        layout.forEach((n, sh) -> entries.add(new CheckpointWriter.Entry(n, dtype, sh)));
        try (CheckpointWriter w = CheckpointWriter.create(OutputTarget.of(dir, true), entries, shardBytes, Map.of("format", "pt"))) {
            w.writeFile("config.json", config(s, dtype));
            w.writeFile("tokenizer_config.json", "{\"model_max_length\": 64}".getBytes());
            try (Arena a = Arena.ofConfined()) {
                for (var e : layout.entrySet()) {
                    w.write(e.getKey(), FloatTensor.of(a, e.getValue(), values(e.getKey(), e.getValue().numel(), baseSeed, seed, delta)));
                }
            }
            return w.commit();
        }
    }

    static byte[] config(Spec s, DType dtype) {
        ObjectNode c = new ObjectMapper().createObjectNode();
        c.putArray("architectures").add("LlamaForCausalLM");
        c.put("model_type", "llama");
        c.put("hidden_size", s.hidden());
        c.put("intermediate_size", s.intermediate());
        c.put("num_hidden_layers", s.layers());
        c.put("num_attention_heads", 4);
        c.put("num_key_value_heads", 4);
        c.put("vocab_size", s.vocab());
        c.put("rms_norm_eps", 1e-6);
        c.put("tie_word_embeddings", false);
        c.put("torch_dtype", dtype.torchName());
        return c.toString().getBytes();
    }

    /**
     * Writes a base and fine-tunes of about {@code bytes} each into {@code root}: used by the memory test and
     * scripts/bench-merge. Usage: RandomModels ROOT SIZE_MIB MODELS [SHARD_MIB]
     */
    public static void main(String[] args) {
        Path root = Path.of(args[0]);
        long mib = Long.parseLong(args[1]);
        int models = Integer.parseInt(args[2]);
        long shard = args.length > 3 ? Long.parseLong(args[3]) << 20 : 1L << 30;
        Spec s = specForBytes(mib << 20, DType.F32);
        for (int i = 0; i < models; i++) {
            Path p = root.resolve(i == 0 ? "base" : "tune" + i);
            write(p, s, DType.F32, 1, i == 0 ? 1 : 100 + i, 1.0, shard);
            System.out.println("wrote " + p);
        }
    }

    /** A spec whose F32 checkpoint is close to {@code bytes}: 8 layers, hidden 1024, intermediate 2816, vocab to fit. */
    public static Spec specForBytes(long bytes, DType dtype) {
        int hidden = 1024, inter = 2816, layers = 8;
        long perLayer = (4L * hidden * hidden + 3L * hidden * inter + 2L * hidden) * dtype.byteSize();
        long rest = bytes - layers * perLayer;
        int vocab = (int) Math.max(256, rest / (2L * hidden * dtype.byteSize()));
        return new Spec(layers, hidden, inter, vocab);
    }
}
