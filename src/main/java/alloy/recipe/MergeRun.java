package alloy.recipe;

import alloy.arch.WeightName;
import alloy.io.Checkpoint;
import alloy.io.CheckpointException;
import alloy.io.CheckpointWriter;
import alloy.io.resolve.Checkpoints;
import alloy.io.HfConfig;
import alloy.io.MemoryCheckpoint;
import alloy.io.OutputTarget;
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
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Locale;

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

    /** The document merged last (the whole recipe unless staged). */
    private final Recipe recipe;
    /** The recipe as given, stages included: what mergekit_config.yml and the model card reproduce. */
    private final Recipe full;
    private final Map<String, Checkpoint> inputs;
    private final Plan plan;
    private final boolean ownsInputs;
    /** Results of the stages, in memory, owned by this run whoever owns the inputs. */
    private final List<MemoryCheckpoint> intermediates;

    private MergeRun(Recipe full, Map<String, Checkpoint> inputs, Plan plan, boolean ownsInputs, List<MemoryCheckpoint> intermediates) {
        this.recipe = full.document();
        this.full = full;
        this.inputs = inputs;
        this.plan = plan;
        this.ownsInputs = ownsInputs;
        this.intermediates = List.copyOf(intermediates);
    }

    /** Opens every model {@code recipe} references, keyed as written (the caller closes them); a staged recipe's stage names are not opened. */
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
     * searches merge many candidates from the same models without reopening them. A staged recipe's stages are
     * merged here, in memory, with {@link Options#defaults()}.
     */
    public static MergeRun prepare(Recipe recipe, Map<String, Checkpoint> shared) {
        return prepare(recipe, shared, Options.defaults());
    }

    /** As above; a staged recipe's stages are merged with {@code options} (seed, kernels, threads). */
    public static MergeRun prepare(Recipe recipe, Map<String, Checkpoint> shared, Options options) {
        return build(recipe, shared, false, options);
    }

    /** Opens the inputs and plans; on any error everything opened so far is closed again. */
    public static MergeRun prepare(Recipe recipe) {
        return prepare(recipe, Options.defaults());
    }

    /** As above, with a staged recipe's stages merged with {@code options}. */
    public static MergeRun prepare(Recipe recipe, Options options) {
        method(recipe.document());
        Map<String, Checkpoint> opened = open(recipe);
        try {
            return build(recipe, opened, true, options);
        } catch (RuntimeException e) {
            opened.values().forEach(Checkpoint::close);
            throw e;
        }
    }

    /**
     * Merges every stage into memory, in order (each seeing the models and the earlier stages' results by
     * name), then plans the last document over them. Intermediates are never written to disk here.
     */
    private static MergeRun build(Recipe recipe, Map<String, Checkpoint> inputs, boolean owns, Options options) {
        if (recipe.stages().isEmpty()) return new MergeRun(recipe, inputs, Planner.plan(recipe, method(recipe), inputs), owns, List.of());
        Map<String, Checkpoint> all = new LinkedHashMap<>(inputs);
        List<MemoryCheckpoint> done = new ArrayList<>();
        try {
            for (Recipe.Stage stage : recipe.stages()) {
                if (inputs.containsKey(stage.name())) {
                    throw new RecipeException("stage '" + stage.name() + "': the name is also a model path; name the stage differently");
                }
                Map<String, Checkpoint> own = new LinkedHashMap<>();
                for (String ref : stage.recipe().referencedModels()) {
                    Checkpoint c = all.get(ref);
                    if (c == null) throw new RecipeException("stage '" + stage.name() + "': model '" + ref + "' is neither open nor an earlier stage");
                    own.put(ref, c);
                }
                try (MergeRun run = new MergeRun(stage.recipe(), own, Planner.plan(stage.recipe(), method(stage.recipe()), own), false, List.of())) {
                    MemoryCheckpoint m = run.toMemory(stage.name(), options, Executor.Listener.NONE);
                    done.add(m);
                    all.put(stage.name(), m);
                } catch (RecipeException e) {
                    throw new RecipeException("stage '" + stage.name() + "': " + e.getMessage(), e);
                }
            }
            Recipe last = recipe.document();
            return new MergeRun(recipe, all, Planner.plan(last, method(last), all), owns, done);
        } catch (RuntimeException e) {
            done.forEach(MemoryCheckpoint::close);
            throw e;
        }
    }

    /** The stages' results in memory, in order (empty unless staged), e.g. to write them when asked. */
    public List<MemoryCheckpoint> intermediates() { return intermediates; }

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

    /** The recipe as given (stages included). */
    public Recipe recipe() { return full; }

    public Map<String, Checkpoint> inputs() { return inputs; }

    public MemoryCheckpoint toMemory(String label, Options opt, Executor.Listener listener) {
        return new Executor(plan, inputs, opt.kernels(), opt.seed(), opt.threads()).toMemory(label, outputConfig(), listener);
    }

    /** Output formats: a Hugging Face safetensors directory, or an ONNX model rebuilt from the base's ONNX graph. */
    public enum Format { SAFETENSORS, ONNX }

    /**
     * Streams the merge into {@code out} in {@code format}. ONNX output replaces the initializers of the
     * reference model's ONNX file (base_model, else the first model), which must therefore be ONNX.
     */
    public Path toDisk(OutputTarget out, Format format, long shardBytes, Options opt, Executor.Listener listener) {
        return toDisk(out, format, shardBytes, opt, listener, "");
    }

    /**
     * As above; {@code origin} (Markdown, may be empty) goes into the model card under "How it was chosen",
     * e.g. the held-out scores of a search's winner.
     */
    public Path toDisk(OutputTarget out, Format format, long shardBytes, Options opt, Executor.Listener listener, String origin) {
        OutputTarget target = checkOutput(out, format);
        if (format == Format.SAFETENSORS) return toDisk(target, shardBytes, opt, listener, origin);
        OnnxCheckpoint template = (OnnxCheckpoint) inputs.get(recipe.referenceModel());
        Executor ex = new Executor(plan, inputs, opt.kernels(), opt.seed(), opt.threads());
        try (OnnxWriter w = OnnxWriter.create(template, target)) {
            ex.toWriter(w, listener);
            return w.commit();
        }
    }

    /**
     * Every check of the output that needs no weights, for a command to run before it starts work: the format
     * against the reference model, the output against every input of this merge (models, tokenizer source),
     * an existing output, and free space for the planned size. Returns the target with this merge's inputs
     * added to those it protects.
     */
    public OutputTarget checkOutput(OutputTarget out, Format format) {
        OutputTarget target = out.protecting(inputPaths());
        if (format == Format.ONNX) {
            Checkpoint ref = inputs.get(recipe.referenceModel());
            if (!(ref instanceof OnnxCheckpoint template)) {
                throw new RecipeException("ONNX output needs an ONNX reference model to take the graph from; '" + ref.label() + "' is not ONNX");
            }
            if (!recipe.slices().isEmpty()) throw new RecipeException("ONNX output keeps the template's graph, so it cannot change the layer count ('slices')");
            boolean directory = !String.valueOf(target.absolute().getFileName()).endsWith(".onnx");
            target.check(directory, template.sources().stream().mapToLong(MergeRun::size).sum());
        } else {
            target.check(true, plan.outputBytes());
        }
        return target;
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new CheckpointException(p + ": cannot read size: " + e.getMessage(), e);
        }
    }

    /** The local paths this merge reads (each model as resolved, the tokenizer source), which an output may not touch. */
    public List<Path> inputPaths() {
        List<Path> paths = new ArrayList<>();
        for (String ref : full.referencedModels()) {
            Checkpoint c = inputs.get(ref);
            if (c instanceof MemoryCheckpoint) continue;
            paths.add(Checkpoints.resolve(ref, recipe.folder()));
        }
        recipe.tokenizerSource().filter(s -> !s.equals("base")).ifPresent(s -> paths.add(Checkpoints.resolve(s, recipe.folder())));
        return paths;
    }

    /** Streams the merge into {@code out} (atomically: nothing appears under that name unless it all succeeds). */
    public Path toDisk(OutputTarget out, long shardBytes, Options opt, Executor.Listener listener) {
        return toDisk(out, shardBytes, opt, listener, "");
    }

    private Path toDisk(OutputTarget out, long shardBytes, Options opt, Executor.Listener listener, String origin) {
        OutputTarget target = checkOutput(out, Format.SAFETENSORS);
        Executor ex = new Executor(plan, inputs, opt.kernels(), opt.seed(), opt.threads());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("merge_method", plan.method().name());
        try (CheckpointWriter w = CheckpointWriter.create(target, ex.entries(), shardBytes, meta)) {
            writeSideFiles(w);
            w.writeFile("README.md", modelCard(origin).getBytes(StandardCharsets.UTF_8));
            ex.toWriter(w, listener);
            return w.commit();
        }
    }

    /**
     * The config.json of the merge result: the reference model's, with the output dtype, the layer count a
     * {@code slices} recipe builds, and the vocabulary size of the (possibly cut) embedding. Both outputs use
     * it: the one written to disk, and the one a candidate in memory is loaded with.
     */
    public Optional<HfConfig> outputConfig() {
        return inputs.get(recipe.referenceModel()).config().map(cfg -> {
            ObjectNode json = cfg.json().deepCopy();
            json.put("torch_dtype", plan.outDtype().torchName());
            if (!recipe.slices().isEmpty()) {
                if (json.has("num_hidden_layers")) json.put("num_hidden_layers", plan.outLayers());
                else if (json.has("n_layer")) json.put("n_layer", plan.outLayers());
            }
            plan.steps().stream().filter(s -> WeightName.parse(s.name()).role() == WeightName.Role.EMBEDDING)
                    .findFirst().filter(s -> s.shape().rank() == 2 && json.has("vocab_size"))
                    .ifPresent(s -> json.put("vocab_size", s.shape().dim(0)));
            return new HfConfig(cfg.file(), json);
        });
    }

    /**
     * The model card written beside every merged checkpoint: Hugging Face front matter (tags, base model),
     * what was merged with which method, the recipe that reproduces it, and where it came from.
     */
    public String modelCard(String origin) {
        StringBuilder b = new StringBuilder("---\nlibrary_name: transformers\ntags:\n- merge\n- alloy\n");
        recipe.baseModel().ifPresent(m -> b.append("base_model: ").append(m).append('\n'));
        b.append("---\n\n# Merged model\n\n");
        b.append("Merged with Alloy using **").append(plan.method().name()).append("** (mergekit's method and semantics)");
        b.append(recipe.baseModel().map(m -> ", over the base model `" + m + "`").orElse("")).append(".\n\n## Inputs\n\n");
        for (String m : full.referencedModels()) {
            if (recipe.baseModel().filter(m::equals).isPresent()) continue;
            b.append("- `").append(m).append("`\n");
        }
        b.append(String.format(Locale.ROOT, "%n%d tensors, %d layers, %s.%n", plan.steps().size(), plan.outLayers(), plan.outDtype().torchName()));
        if (!origin.isBlank()) b.append("\n## How it was chosen\n\n").append(origin.strip()).append('\n');
        b.append("\n## Recipe\n\nRun it again with `alloy merge mergekit_config.yml OUT` (or mergekit):\n\n```yaml\n")
                .append(RecipeYaml.write(full)).append("```\n");
        return b.toString();
    }

    private void writeSideFiles(CheckpointWriter w) {
        Checkpoint ref = inputs.get(recipe.referenceModel());
        Optional<Path> configDir = ref.modelDirectory();
        Optional<Path> tokDir = recipe.tokenizerSource().filter(s -> !s.equals("base"))
                .map(s -> Checkpoints.resolve(s, recipe.folder()))
                .map(p -> Files.isDirectory(p) ? p : p.getParent())
                .or(() -> configDir);
        outputConfig().ifPresent(cfg -> {
            try {
                w.writeFile("config.json", new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(cfg.json()));
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
        w.writeFile("mergekit_config.yml", RecipeYaml.write(full).getBytes(StandardCharsets.UTF_8));
    }

    @Override public void close() {
        try {
            intermediates.forEach(MemoryCheckpoint::close);
        } finally {
            if (ownsInputs) {
                for (Checkpoint c : inputs.values()) if (!intermediates.contains(c)) c.close();
            }
        }
    }
}
