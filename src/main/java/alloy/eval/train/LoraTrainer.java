package alloy.eval.train;

import alloy.eval.model.LlamaConfig;
import alloy.eval.model.LlamaDecoder;
import alloy.eval.model.LlamaWeights;
import alloy.io.CheckpointWriter;
import alloy.io.OutputTarget;
import alloy.tensor.DType;
import alloy.tensor.FloatTensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.Collections;

/**
 * LoRA fine-tuning of a frozen {@link LlamaDecoder}: each adapted weight W (out, in) is run as
 * {@code W + (alpha / r) · B · A} with A (r, in) and B (out, r) the only trained arrays, as PEFT's LoraLayer
 * does; the result is saved as a PEFT adapter directory that {@code alloy lora fold} reads.
 *
 * <p>Initialisation follows PEFT's defaults: A uniform in ±1/√in (kaiming-uniform with a = √5), B zero, so
 * training starts exactly at the base model. A and B do not decay.
 */
public final class LoraTrainer {

    /** PEFT's prefix on adapter tensor names (a PeftModel's base_model.model). */
    public static final String PEFT_PREFIX = "base_model.model.";

    /**
     * @param rank          r, the inner dimension of B · A
     * @param alpha         lora_alpha; the update is scaled by alpha / r
     * @param targetModules module names as PEFT's target_modules, e.g. q_proj, down_proj
     */
    public record Spec(int rank, double alpha, List<String> targetModules) {
        public Spec {
            if (rank <= 0) throw new IllegalArgumentException("LoRA rank must be positive, found " + rank);
            if (!(alpha > 0)) throw new IllegalArgumentException("lora_alpha must be positive, found " + alpha);
            targetModules = List.copyOf(targetModules);
            for (String m : targetModules) {
                if (!MODULES.containsKey(m)) throw new IllegalArgumentException("unknown LoRA target '" + m + "', expected one of " + MODULES.keySet());
            }
        }

        public double scale() { return alpha / rank; }

        /** Every linear layer of attention and MLP. */
        public static Spec allLinear(int rank, double alpha) { return new Spec(rank, alpha, List.copyOf(MODULES.keySet())); }
    }

    /** Target module → its path under a decoder layer. */
    private static final Map<String, String> MODULES = moduleTable();

    private static Map<String, String> moduleTable() {
        Map<String, String> m = new LinkedHashMap<>();
        for (String s : List.of("q_proj", "k_proj", "v_proj", "o_proj")) m.put(s, "self_attn." + s);
        for (String s : List.of("gate_proj", "up_proj", "down_proj")) m.put(s, "mlp." + s);
        return m;
    }

    /**
     * The trained factors: per adapted module (its name in the base model, e.g.
     * {@code model.layers.0.self_attn.q_proj}), A (r, in) and B (out, r).
     */
    public record Adapter(Spec spec, Map<String, NDArray> a, Map<String, NDArray> b) {
        public Adapter {
            a = Collections.unmodifiableMap(new LinkedHashMap<>(a));
            b = Collections.unmodifiableMap(new LinkedHashMap<>(b));
        }

        /** Adapted module names in layer order. */
        public List<String> modules() { return List.copyOf(a.keySet()); }
    }

    private LoraTrainer() {}

    /** Fresh factors for every target module of {@code config}, in {@code manager}, drawn from {@code seed}. */
    public static Adapter initialise(LlamaConfig config, Spec spec, NDManager manager, long seed) {
        Random random = new Random(seed);
        Map<String, long[]> shapes = LlamaWeights.shapes(config, false);
        Map<String, NDArray> a = new LinkedHashMap<>(), b = new LinkedHashMap<>();
        for (int l = 0; l < config.numLayers(); l++) {
            for (String target : spec.targetModules()) {
                String module = LlamaWeights.layerName(l, MODULES.get(target));
                long[] w = shapes.get(module + ".weight");                                          // (out, in)
                int out = Math.toIntExact(w[0]), in = Math.toIntExact(w[1]);
                float[] av = new float[spec.rank() * in];
                double bound = 1 / Math.sqrt(in);
                for (int i = 0; i < av.length; i++) av[i] = (float) ((2 * random.nextDouble() - 1) * bound);
                a.put(module, DecoderTrainer.torchOwned(manager, av, new Shape(spec.rank(), in)));        // (r, in)
                b.put(module, DecoderTrainer.torchOwned(manager, new float[out * spec.rank()], new Shape(out, spec.rank()))); // (out, r)
            }
        }
        return new Adapter(spec, a, b);
    }

    /**
     * Trains {@code adapter}'s factors in place over the frozen {@code base} and returns each step's loss
     * ({@link DecoderTrainer#train} with only A and B as parameters).
     */
    public static double[] train(LlamaDecoder base, Adapter adapter, DecoderTrainer.ExampleSource data, DecoderTrainer.Settings settings,
                                 Consumer<DecoderTrainer.StepLog> log) {
        Map<String, NDArray> params = new LinkedHashMap<>();
        for (String m : adapter.modules()) {
            params.put(m + ".lora_A.weight", adapter.a().get(m));
            params.put(m + ".lora_B.weight", adapter.b().get(m));
        }
        NDManager manager = params.values().iterator().next().getManager();
        DecoderTrainer.Trainable trainable = new DecoderTrainer.Trainable() {
            @Override public Map<String, NDArray> parameters() { return params; }
            @Override public Set<String> decayed() { return Set.of(); }
            @Override public LlamaDecoder forwardModel() { return new LlamaDecoder(base.config(), effective(base, adapter, manager)); }
        };
        return DecoderTrainer.train(trainable, data, settings, log);
    }

    /**
     * The base's weights with every adapted one replaced by {@code W + scale · B · A}, computed in
     * {@code manager} (inside a gradient collector these carry gradients back to A and B).
     */
    static LlamaWeights effective(LlamaDecoder base, Adapter adapter, NDManager manager) {
        Map<String, NDArray> named = base.weights().named();
        NDArray scale = manager.full(new Shape(), (float) adapter.spec().scale(), DataType.FLOAT32);
        Map<String, NDArray> out = new LinkedHashMap<>(named);
        for (String m : adapter.modules()) {
            NDArray delta = adapter.b().get(m).matMul(adapter.a().get(m)).mul(scale);                // (out, in)
            out.put(m + ".weight", named.get(m + ".weight").add(delta));
        }
        boolean outputBias = base.weights().layers().getFirst().oBias() != null;
        return LlamaWeights.fromNamed(base.config(), outputBias, out::get);
    }

    /** The folded model, {@code W + scale · B · A} on every adapted weight, as a copy in {@code manager}. */
    public static LlamaWeights merged(LlamaDecoder base, Adapter adapter, NDManager manager) {
        try (NDManager scratch = manager.newSubManager()) {
            LlamaWeights w = effective(base, adapter, scratch);
            return DecoderTrainer.copy(base.config(), w, manager);
        }
    }

    /**
     * Writes {@code adapter} as a PEFT LoRA adapter directory: adapter_config.json and adapter_model.safetensors
     * with {@code base_model.model.<module>.lora_A.weight} / {@code .lora_B.weight}, F32.
     */
    public static Path save(Path dir, Adapter adapter, String baseModel, Map<String, String> metadata) {
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.putIfAbsent("format", "pt");
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (String m : adapter.modules()) {
            tensors.put(PEFT_PREFIX + m + ".lora_A.weight", adapter.a().get(m));
            tensors.put(PEFT_PREFIX + m + ".lora_B.weight", adapter.b().get(m));
        }
        List<CheckpointWriter.Entry> entries = new ArrayList<>();
        tensors.forEach((name, t) -> entries.add(new CheckpointWriter.Entry(name, DType.F32, alloy.tensor.Shape.of(t.getShape().getShape()))));
        try (CheckpointWriter w = CheckpointWriter.create(OutputTarget.of(dir, true), entries, Long.MAX_VALUE / 4, meta, "adapter_model.safetensors");
             Arena arena = Arena.ofConfined()) {
            for (var e : tensors.entrySet()) {
                w.write(e.getKey(), FloatTensor.of(arena, alloy.tensor.Shape.of(e.getValue().getShape().getShape()), e.getValue().toFloatArray()));
            }
            w.writeFile("adapter_config.json", configJson(adapter.spec(), baseModel));
            return w.commit();
        }
    }

    /** PEFT's adapter_config.json for {@code spec}. */
    static byte[] configJson(Spec spec, String baseModel) {
        ObjectMapper json = new ObjectMapper();
        ObjectNode c = json.createObjectNode();
        c.put("peft_type", "LORA");
        c.put("task_type", "CAUSAL_LM");
        c.put("base_model_name_or_path", baseModel);
        c.put("r", spec.rank());
        c.put("lora_alpha", spec.alpha());
        c.put("lora_dropout", 0.0);
        ArrayNode targets = c.putArray("target_modules");
        spec.targetModules().forEach(targets::add);
        c.put("bias", "none");
        c.put("fan_in_fan_out", false);
        c.put("use_rslora", false);
        c.put("use_dora", false);
        c.put("init_lora_weights", true);
        c.put("inference_mode", true);
        try {
            return json.writerWithDefaultPrettyPrinter().writeValueAsBytes(c);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise adapter_config.json", e);
        }
    }
}
