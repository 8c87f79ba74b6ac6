package alloy.recipe;

import alloy.io.Checkpoint;
import alloy.io.CheckpointException;
import alloy.io.CheckpointWriter;
import alloy.io.Checkpoints;
import alloy.io.HfConfig;
import alloy.io.MemoryCheckpoint;
import alloy.io.onnx.OnnxCheckpoint;
import alloy.io.onnx.OnnxWriter;
import alloy.merge.MergeMethod;
import alloy.merge.MergeMethods;
import alloy.tensor.Kernels;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One merge from recipe to result: opens every input (headers checked), plans, and executes to disk or to
 * memory. Owns the open checkpoints and closes them on {@link #close()}.
 */
public final class MergeRun implements AutoCloseable {

    /** Tokenizer and generation files carried from the tokenizer source into the output. */
    static final List<String> SIDE_FILES = List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
            "tokenizer.model", "vocab.txt", "vocab.json", "merges.txt", "added_tokens.json", "generation_config.json");

    public record Options(long seed, int threads, Kernels kernels) {
        public Options {
            if (threads < 1) throw new IllegalArgumentException("threads must be >= 1");
        }

        public static Options defaults() {
            return new Options(0, Math.max(1, Runtime.getRuntime().availableProcessors()), Kernels.fast());
        }
    }

    private final Recipe recipe;
    private final Map<String, Checkpoint> inputs;
    private final Plan plan;
    private final boolean ownsInputs;

    private MergeRun(Recipe recipe, Map<String, Checkpoint> inputs, Plan plan, boolean ownsInputs) {
        this.recipe = recipe;
        this.inputs = inputs;
        this.plan = plan;
        this.ownsInputs = ownsInputs;
    }

    /** Opens every model {@code recipe} references, keyed as written (the caller closes them). */
    public static Map<String, Checkpoint> open(Recipe recipe) {
        Map<String, Checkpoint> opened = new LinkedHashMap<>();
        try {
            for (String ref : recipe.referencedModels()) opened.put(ref, Checkpoints.open(ref, recipe.folder()));
            return opened;
        } catch (RuntimeException e) {
            opened.values().forEach(Checkpoint::close);
            throw e;
        }
    }

    /**
     * Plans {@code recipe} over inputs that are already open and stay open after this run closes: sweeps and
     * searches merge many candidates from the same models without reopening them.
     */
    public static MergeRun prepare(Recipe recipe, Map<String, Checkpoint> shared) {
        return new MergeRun(recipe, shared, Planner.plan(recipe, method(recipe), shared), false);
    }

    /** Opens the inputs and plans; on any error everything opened so far is closed again. */
    public static MergeRun prepare(Recipe recipe) {
        MergeMethod method = method(recipe);
        Map<String, Checkpoint> opened = open(recipe);
        try {
            return new MergeRun(recipe, opened, Planner.plan(recipe, method, opened), true);
        } catch (RuntimeException e) {
            opened.values().forEach(Checkpoint::close);
            throw e;
        }
    }

    private static MergeMethod method(Recipe recipe) {
        checkTokenizerSource(recipe);
        try {
            return MergeMethods.get(recipe.mergeMethod());
        } catch (IllegalArgumentException e) {
            throw new RecipeException("'merge_method': " + e.getMessage());
        }
    }

    /**
     * tokenizer_source is base, or a model whose tokenizer files are copied into the output. A path that does
     * not exist is refused here, before anything is merged, naming the key: found only when the side files are
     * written, it read as an error about some 'model'.
     */
    private static void checkTokenizerSource(Recipe recipe) {
        Optional<String> tok = recipe.tokenizerSource();
        if (tok.isEmpty() || tok.get().equals("base")) return;
        if (tok.get().equals("union")) {
            throw new RecipeException("'tokenizer_source': union needs a merged vocabulary, which Alloy does not build; use base or a model path");
        }
        try {
            Checkpoints.resolve(tok.get(), recipe.folder());
        } catch (CheckpointException e) {
            throw new RecipeException("'tokenizer_source': '" + tok.get() + "' is not base and names no model Alloy can find ("
                    + e.getMessage() + ")", e);
        }
    }

    public Plan plan() { return plan; }

    public Recipe recipe() { return recipe; }

    public Map<String, Checkpoint> inputs() { return inputs; }

    public MemoryCheckpoint toMemory(String label, Options opt, Executor.Listener listener) {
        return new Executor(plan, inputs, opt.kernels(), opt.seed(), opt.threads()).toMemory(label, listener);
    }

    /** Output formats: a Hugging Face safetensors directory, or an ONNX model rebuilt from the base's ONNX graph. */
    public enum Format { SAFETENSORS, ONNX }

    /**
     * Streams the merge into {@code out} in {@code format}. ONNX output replaces the initializers of the
     * reference model's ONNX file (base_model, else the first model), which must therefore be ONNX.
     */
    public Path toDisk(Path out, Format format, long shardBytes, boolean overwrite, Options opt, Executor.Listener listener) {
        if (format == Format.SAFETENSORS) return toDisk(out, shardBytes, overwrite, opt, listener);
        Checkpoint ref = inputs.get(recipe.baseModel().orElse(recipe.referencedModels().get(0)));
        if (!(ref instanceof OnnxCheckpoint template)) {
            throw new RecipeException("ONNX output needs an ONNX reference model to take the graph from; '" + ref.label() + "' is not ONNX");
        }
        if (!recipe.slices().isEmpty()) throw new RecipeException("ONNX output keeps the template's graph, so it cannot change the layer count ('slices')");
        Executor ex = new Executor(plan, inputs, opt.kernels(), opt.seed(), opt.threads());
        try (OnnxWriter w = OnnxWriter.create(template, out, overwrite)) {
            ex.toWriter(w, listener);
            return w.commit();
        }
    }

    /** Streams the merge into {@code out} (atomically: nothing appears under that name unless it all succeeds). */
    public Path toDisk(Path out, long shardBytes, boolean overwrite, Options opt, Executor.Listener listener) {
        Executor ex = new Executor(plan, inputs, opt.kernels(), opt.seed(), opt.threads());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("merge_method", plan.method().name());
        try (CheckpointWriter w = CheckpointWriter.create(out, ex.entries(), shardBytes, meta, overwrite)) {
            writeSideFiles(w);
            ex.toWriter(w, listener);
            return w.commit();
        }
    }

    private void writeSideFiles(CheckpointWriter w) {
        Checkpoint ref = inputs.get(recipe.baseModel().orElse(recipe.referencedModels().get(0)));
        Optional<Path> configDir = ref.modelDirectory();
        Optional<Path> tokDir = recipe.tokenizerSource().filter(s -> !s.equals("base"))
                .map(s -> Checkpoints.resolve(s, recipe.folder()))
                .map(p -> Files.isDirectory(p) ? p : p.getParent())
                .or(() -> configDir);
        configDir.flatMap(HfConfig::read).ifPresent(cfg -> {
            ObjectNode json = cfg.json().deepCopy();
            json.put("torch_dtype", plan.outDtype().torchName());
            if (!recipe.slices().isEmpty()) {
                if (json.has("num_hidden_layers")) json.put("num_hidden_layers", plan.outLayers());
                else if (json.has("n_layer")) json.put("n_layer", plan.outLayers());
            }
            plan.steps().stream().filter(s -> alloy.arch.WeightName.parse(s.name()).role() == alloy.arch.WeightName.Role.EMBEDDING)
                    .findFirst().filter(s -> s.shape().rank() == 2 && json.has("vocab_size"))
                    .ifPresent(s -> json.put("vocab_size", s.shape().dim(0)));
            try {
                w.writeFile("config.json", new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(json));
            } catch (IOException e) {
                throw new CheckpointException(cfg.file() + ": cannot rewrite config.json: " + e.getMessage(), e);
            }
        });
        tokDir.ifPresent(dir -> {
            for (String f : SIDE_FILES) {
                Path p = dir.resolve(f);
                if (Files.isRegularFile(p)) w.copyFile(p);
            }
        });
        w.writeFile("mergekit_config.yml", RecipeYaml.write(recipe).getBytes(StandardCharsets.UTF_8));
    }

    @Override public void close() {
        if (ownsInputs) inputs.values().forEach(Checkpoint::close);
    }
}
