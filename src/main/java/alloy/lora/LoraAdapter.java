package alloy.lora;

import alloy.io.Checkpoint;
import alloy.io.CheckpointException;
import alloy.io.resolve.Checkpoints;
import alloy.io.SafetensorsFile;
import alloy.io.TensorInfo;
import alloy.tensor.FloatTensor;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Locale;

/**
 * A PEFT LoRA adapter: {@code adapter_config.json} beside {@code adapter_model.safetensors}, checked whole on
 * open so that nothing is folded or combined from a broken adapter. Tensor names are PEFT's
 * (get_peft_model_state_dict with the adapter name removed):
 * <pre>
 *   base_model.model.&lt;module&gt;.lora_A.weight      (r, in)       base_model.model.&lt;module&gt;.lora_B.weight   (out, r)
 *   base_model.model.&lt;module&gt;.lora_embedding_A   (r, vocab)    base_model.model.&lt;module&gt;.lora_embedding_B (dim, r)
 * </pre>
 * and {@code <module>.weight} is the base tensor each pair adapts. The {@code base_model.model.} prefix is
 * optional (some tools save without it). Anything else in the file (DoRA magnitudes, LoRA biases, saved
 * modules_to_save or embedding layers, conv factors) is refused with the tensor's name: silently skipping it
 * would fold a different model from the one that was trained.
 *
 * <p>The adapter owns its open safetensors file; close it when done.
 *
 * @param label   the safetensors file, as named in errors
 * @param modules the adapted layers by module name, in storage order
 */
public record LoraAdapter(String label, LoraConfig config, Checkpoint tensors, Map<String, LoraModule> modules) implements AutoCloseable {

    public static final String WEIGHTS_FILE = "adapter_model.safetensors";

    /** PeftModel's prefix on every key: the PeftModel's base_model (LoraModel) and its model (the transformer). */
    public static final String PREFIX = "base_model.model.";

    public LoraAdapter {
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(config, "config of " + label);
        Objects.requireNonNull(tensors, "tensors of " + label);
        modules = Collections.unmodifiableMap(new LinkedHashMap<>(modules));
        if (modules.isEmpty()) throw new CheckpointException(label + ": no lora_A/lora_B tensors, so this is not a LoRA adapter");
    }

    /** Opens an adapter directory (or its .safetensors file, config.json taken from beside it). */
    public static LoraAdapter open(String ref, Path relativeTo) {
        return open(Checkpoints.resolve(ref, relativeTo));
    }

    public static LoraAdapter open(Path path) {
        Path dir = Files.isDirectory(path) ? path : path.toAbsolutePath().getParent();
        Path weights = Files.isDirectory(path) ? path.resolve(WEIGHTS_FILE) : path;
        Path configFile = dir.resolve(LoraConfig.FILE_NAME);
        if (!Files.isRegularFile(weights)) {
            if (Files.isRegularFile(dir.resolve("adapter_model.bin"))) {
                throw new CheckpointException(dir + ": has adapter_model.bin (a pickle) but no " + WEIGHTS_FILE
                        + "; Alloy never unpickles: convert it to safetensors first");
            }
            throw new CheckpointException(path + ": no " + WEIGHTS_FILE + " (a PEFT LoRA adapter directory holds "
                    + LoraConfig.FILE_NAME + " and " + WEIGHTS_FILE + ")");
        }
        if (!weights.getFileName().toString().endsWith(".safetensors")) {
            throw new CheckpointException(weights + ": not a .safetensors file");
        }
        if (!Files.isRegularFile(configFile)) {
            throw new CheckpointException(dir + ": no " + LoraConfig.FILE_NAME + " beside " + weights.getFileName()
                    + "; r and lora_alpha are needed to scale B·A");
        }
        LoraConfig config = LoraConfig.read(configFile);
        Checkpoint st = SafetensorsFile.open(weights);
        try {
            return new LoraAdapter(st.label(), config, st, modules(st, config));
        } catch (RuntimeException e) {
            st.close();
            throw e;
        }
    }

    /**
     * Pairs every A with its B and checks shapes and ranks. Errors name the file and the tensor, with what was
     * expected and what was found.
     */
    static Map<String, LoraModule> modules(Checkpoint st, LoraConfig config) {
        record Half(LoraModule.Kind kind, TensorInfo a, TensorInfo b) {}
        Map<String, Half> halves = new LinkedHashMap<>();
        String file = st.label();
        for (TensorInfo t : st.tensors()) {
            Name n = Name.parse(t.name()).orElseThrow(() -> new CheckpointException(file + ": tensor '" + t.name() + "' is not a LoRA factor"
                    + unsupportedHint(t.name())));
            Half h = halves.get(n.module());
            if (h != null && h.kind() != n.kind()) {
                throw new CheckpointException(file + ": module '" + n.module() + "' has both " + h.kind().name().toLowerCase(Locale.ROOT)
                        + " and " + n.kind().name().toLowerCase(Locale.ROOT) + " LoRA factors (tensor '" + t.name() + "')");
            }
            if (h == null) h = new Half(n.kind(), null, null);
            TensorInfo prev = n.isA() ? h.a() : h.b();
            if (prev != null) {
                throw new CheckpointException(file + ": tensors '" + prev.name() + "' and '" + t.name() + "' are the same factor of module '" + n.module() + "'");
            }
            halves.put(n.module(), n.isA() ? new Half(h.kind(), t, h.b()) : new Half(h.kind(), h.a(), t));
        }
        Map<String, LoraModule> modules = new LinkedHashMap<>();
        for (var e : halves.entrySet()) {
            String module = e.getKey();
            Half h = e.getValue();
            if (h.a() == null || h.b() == null) {
                TensorInfo have = h.a() != null ? h.a() : h.b();
                String missing = have.name().substring(0, have.name().length() - (h.a() != null ? h.kind().aSuffix() : h.kind().bSuffix()).length())
                        + (h.a() != null ? h.kind().bSuffix() : h.kind().aSuffix());
                throw new CheckpointException(file + ": tensor '" + have.name() + "' has no partner: '" + missing + "' is missing");
            }
            TensorInfo a = h.a(), b = h.b();
            for (TensorInfo t : List.of(a, b)) {
                if (t.shape().rank() != 2) {
                    throw new CheckpointException(file + ": tensor '" + t.name() + "' has shape " + t.shape()
                            + "; expected a matrix (only Linear, Conv1D and Embedding LoRA layers are supported, not conv)");
                }
                if (!t.dtype().arithmetic()) {
                    throw new CheckpointException(file + ": tensor '" + t.name() + "' has dtype " + t.dtype() + "; expected F32, F16, BF16 or F64");
                }
            }
            long ra = a.shape().dim(0), rb = b.shape().dim(1);
            if (ra != rb) {
                throw new CheckpointException(file + ": tensor '" + b.name() + "' has shape " + b.shape() + ", expected [" + b.shape().dim(0)
                        + ", " + ra + "] to match the rank of '" + a.name() + "' " + a.shape());
            }
            int r = config.rankFor(module);
            if (ra != r) {
                throw new CheckpointException(file + ": tensor '" + a.name() + "' has rank " + ra + " (shape " + a.shape() + "), but "
                        + config.file().getFileName() + " gives r = " + r + " for module '" + module + "'"
                        + (config.rankPattern().isEmpty() ? "" : " (rank_pattern " + config.rankPattern() + ")"));
            }
            boolean transposed = h.kind() == LoraModule.Kind.EMBEDDING || config.fanInFanOut();
            modules.put(module, new LoraModule(module, h.kind(), a, b, config.alphaFor(module), config.scaleFor(module), transposed));
        }
        return modules;
    }

    /** A's and B's values as float32, owned by {@code arena}. */
    public FloatTensor readA(LoraModule m, Arena arena) { return tensors.read(m.a().name(), arena); }

    public FloatTensor readB(LoraModule m, Arena arena) { return tensors.read(m.b().name(), arena); }

    /** The module adapting base tensor {@code <module>.weight}, if this adapter has one. */
    public Optional<LoraModule> module(String module) { return Optional.ofNullable(modules.get(module)); }

    /**
     * The base weight name each adapter tensor belongs to: {@code base_model.model.X.lora_A.weight} →
     * {@code X.weight}. Both factors of a module map to the same name.
     */
    public static Optional<String> baseWeightName(String adapterTensor) {
        return Name.parse(adapterTensor).map(n -> n.module() + ".weight");
    }

    @Override public void close() { tensors.close(); }

    @Override public String toString() { return label; }

    /** A parsed adapter tensor name. */
    private record Name(String module, LoraModule.Kind kind, boolean isA) {
        static Optional<Name> parse(String tensor) {
            String s = tensor.startsWith(PREFIX) ? tensor.substring(PREFIX.length()) : tensor;
            for (LoraModule.Kind k : LoraModule.Kind.values()) {
                for (boolean a : new boolean[] {true, false}) {
                    String suffix = "." + (a ? k.aSuffix() : k.bSuffix());
                    if (s.endsWith(suffix) && s.length() > suffix.length()) {
                        return Optional.of(new Name(s.substring(0, s.length() - suffix.length()), k, a));
                    }
                }
            }
            return Optional.empty();
        }
    }

    private static String unsupportedHint(String name) {
        if (name.contains("lora_magnitude_vector")) return " (a DoRA magnitude: DoRA adapters are not supported)";
        if (name.endsWith(".lora_B.bias")) return " (a LoRA bias, lora_bias=true: not supported)";
        if (name.matches(".*\\.lora_(A|B|embedding_A|embedding_B)\\.[^.]+(\\.weight)?$")) {
            return " (the key still carries an adapter name; expected '.lora_A.weight' / '.lora_B.weight' as PEFT saves them)";
        }
        return " (expected '<module>.lora_A.weight' / '.lora_B.weight' or '.lora_embedding_A' / '_B'; modules_to_save and saved embedding layers are not supported)";
    }
}
