package alloy.cli;

import alloy.io.OutputTarget;
import alloy.merge.ParamSpec;
import alloy.merge.Params;
import alloy.recipe.MergeRun;
import alloy.recipe.Plan;
import alloy.recipe.Recipe;
import alloy.recipe.RecipeException;
import alloy.recipe.RecipeYaml;
import alloy.tensor.Kernels;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.LinkedHashMap;
import java.util.Set;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import alloy.io.Checkpoint;

@Command(name = "merge", mixinStandardHelpOptions = true,
        description = "Run a mergekit-style YAML recipe and write the merged checkpoint (safetensors, sharded, atomic).")
final class MergeCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RECIPE", description = "mergekit-compatible YAML recipe")
    Path recipeFile;

    @Parameters(index = "1", arity = "0..1", paramLabel = "OUT",
            description = "output model directory, or a .onnx file (as mergekit-yaml CONFIG OUT); or give -o")
    Path positionalOut;

    @Option(names = {"-o", "--out"}, paramLabel = "OUT", description = "output model directory or .onnx file (created atomically)")
    Path optionOut;

    Path out;

    @Option(names = "--out-shard-size", defaultValue = "5G", description = "largest shard (default: ${DEFAULT-VALUE})")
    String shardSize;

    @Option(names = "--random-seed", defaultValue = "0", description = "seed for DARE/DELLA masks (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--threads", description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--format", defaultValue = "auto", description = "safetensors, onnx, or auto: onnx when OUT ends in .onnx (default: ${DEFAULT-VALUE})")
    String format;

    @Option(names = "--overwrite", description = "replace OUT if it is an earlier Alloy output (never anything else)")
    boolean overwrite;

    @Option(names = "--dry-run", description = "check inputs and print the plan without merging")
    boolean dryRun;

    // mergekit-yaml's flags, accepted so that a command copied from a model card runs; each says why it changes nothing here
    @Option(names = "--copy-tokenizer", description = "accepted for mergekit compatibility: Alloy always copies the tokenizer (of the base, or tokenizer_source)")
    boolean copyTokenizer;

    @Option(names = "--allow-crimes", description = "accepted for mergekit compatibility: Alloy checks tensor names and shapes, not architecture names")
    boolean allowCrimes;

    @Option(names = "--write-model-card", description = "accepted for mergekit compatibility: Alloy always writes README.md")
    boolean writeModelCard;

    @Option(names = "--lazy-unpickle", description = "accepted for mergekit compatibility: Alloy never unpickles; it maps safetensors files")
    boolean lazyUnpickle;

    @Option(names = "--cuda", description = "accepted for mergekit compatibility: merges run on the CPU's vector units, at disk speed")
    boolean cuda;

    @Option(names = "--save-stages", paramLabel = "DIR", description = "a staged (multi-document) recipe: also write each named stage's result to DIR/<name>; otherwise stages stay in memory")
    Path saveStages;

    @Option(names = "--reference-kernels", description = "use the plain scalar kernels (for checking the fast path)")
    boolean reference;

    @Override public Integer call() {
        out = Outputs.one(positionalOut, optionOut, dryRun);
        if (cuda) System.err.println("note: --cuda has no effect: merging runs on the CPU's vector units and is bound by disk speed");
        if (lazyUnpickle) System.err.println("note: --lazy-unpickle has no effect: Alloy reads only safetensors and ONNX, never pickles");
        MergeRun.Format format = out == null ? MergeRun.Format.SAFETENSORS : format();
        Recipe recipe = RecipeYaml.read(recipeFile);
        long t0 = System.nanoTime();
        long shardBytes = Sizes.parse(shardSize);
        MergeRun.Options opt = new MergeRun.Options(seed, threads == null ? MergeRun.Options.defaults().threads() : threads,
                reference ? Kernels.reference() : Kernels.fast());
        try (MergeRun run = prepare(recipe, opt)) {
            Plan plan = run.plan();
            long merged = plan.steps().stream().filter(s -> s.kind() == Plan.Kind.MERGE).count();
            System.err.printf(Locale.ROOT, "%s: %s of %d model(s) -> %d tensors (%s, %s)%n", recipeFile, plan.method().name(),
                    recipe.referencedModels().size(), plan.steps().size(), Sizes.human(plan.outputBytes()), plan.outDtype().torchName());
            plan.notes().forEach(n -> System.err.println("note: " + n));
            OutputTarget target = out == null ? null
                    : run.checkOutput(new OutputTarget(out, overwrite, List.of(recipeFile)), format);
            if (dryRun) {
                Set<String> flags = new HashSet<>();
                for (var ps : plan.method().parameters()) if (ps.kind() == ParamSpec.Kind.FLAG) flags.add(ps.name());
                for (var ps : plan.method().tensorParameters()) if (ps.kind() == ParamSpec.Kind.FLAG) flags.add(ps.name());
                System.out.printf(Locale.ROOT, "%-60s %-5s %-16s %-11s %s%n", "tensor", "step", "shape", "depth", "parameters (global; per model)");
                for (Plan.Step s : plan.steps()) {
                    System.out.printf(Locale.ROOT, "%-60s %-5s %-16s depth=%.3f %s%n", s.name(), s.kind(), s.shape(), s.t(),
                            s.kind() == Plan.Kind.MERGE ? params(s.global(), flags) + "; " + s.perModel().stream().map(p -> params(p, flags)).toList() : "");
                }
                return 0;
            }
            if (!recipe.stages().isEmpty()) {
                System.err.printf(Locale.ROOT, "%d stage(s) merged in memory first: %s%n", recipe.stages().size(), String.join(", ", recipe.stageNames()));
            }
            if (saveStages != null) {
                if (recipe.stages().isEmpty()) throw new IllegalArgumentException("--save-stages: " + recipeFile + " has one document, no stages");
                // every file any document reads is protected, not only the stage's own inputs: a stage named like a
                // later document's model folder must not replace it
                List<Path> protectedInputs = new java.util.ArrayList<>(List.of(recipeFile));
                for (Checkpoint c : run.inputs().values()) protectedInputs.addAll(c.sources());
                for (Recipe.Stage st : recipe.stages()) {
                    // the stage again, over the same open models and earlier results: written as any merge is (atomic, model card)
                    Map<String, Checkpoint> own = new LinkedHashMap<>();
                    for (String ref : st.recipe().referencedModels()) own.put(ref, run.inputs().get(ref));
                    try (MergeRun stage = MergeRun.prepare(st.recipe(), own, opt)) {
                        Path written = stage.toDisk(new OutputTarget(saveStages.resolve(st.name()), overwrite, protectedInputs), shardBytes, opt, s -> {});
                        System.err.println("wrote stage '" + st.name() + "' to " + written);
                    }
                }
            }
            Path done;
            try (Progress p = new Progress("merge", plan)) {
                done = run.toDisk(target, format, shardBytes, opt, p);
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            System.out.printf(Locale.ROOT, "wrote %d tensors (%d merged, %d copied unchanged) to %s in %.1f s%n",
                    plan.steps().size(), merged, plan.steps().size() - merged, done, secs);
        }
        return 0;
    }

    /** {@code {weight=0.5, normalize=true}}: flags as true/false, numbers as written. */
    static String params(Params p, Set<String> flags) {
        StringBuilder b = new StringBuilder("{");
        p.values().forEach((k, v) -> {
            if (b.length() > 1) b.append(", ");
            boolean flag = flags.contains(k);
            b.append(k).append('=').append(flag ? String.valueOf(v != 0) : (v == Math.rint(v) ? String.valueOf((long) (double) v) : String.valueOf(v)));
        });
        return b.append('}').toString();
    }

    private MergeRun.Format format() {
        return switch (format.toLowerCase(Locale.ROOT)) {
            case "auto" -> String.valueOf(out.getFileName()).endsWith(".onnx") ? MergeRun.Format.ONNX : MergeRun.Format.SAFETENSORS;
            case "onnx" -> MergeRun.Format.ONNX;
            case "safetensors" -> MergeRun.Format.SAFETENSORS;
            default -> throw new CommandLine.ParameterException(spec.commandLine(), "--format " + format + ": expected safetensors, onnx or auto");
        };
    }

    private MergeRun prepare(Recipe recipe, MergeRun.Options opt) {
        try {
            return MergeRun.prepare(recipe, opt);
        } catch (RecipeException e) {
            throw new RecipeException(recipeFile + ": " + e.getMessage(), e);
        }
    }
}
