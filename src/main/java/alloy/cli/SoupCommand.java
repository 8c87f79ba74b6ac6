package alloy.cli;

import alloy.io.OutputTarget;
import alloy.recipe.MergeRun;
import alloy.recipe.ParameterSetting;
import alloy.recipe.Recipe;
import alloy.recipe.RecipeYaml;
import alloy.tensor.DType;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "soup", mixinStandardHelpOptions = true,
        description = "Uniform model soup: the plain average of N checkpoints of one base (a linear merge with equal weights).")
final class SoupCommand implements Callable<Integer> {

    @Parameters(arity = "2..*", paramLabel = "MODEL", description = "checkpoints to average")
    List<String> models;

    @Option(names = {"-o", "--out"}, required = true, description = "output model directory (created atomically)")
    Path out;

    @Option(names = "--dtype", description = "output dtype (default: the first model's)")
    String dtype;

    @Option(names = "--out-shard-size", defaultValue = "5G", description = "largest output shard (default: ${DEFAULT-VALUE})")
    String shardSize;

    @Option(names = "--overwrite", description = "replace OUT if it is an earlier Alloy output (never anything else)")
    boolean overwrite;

    @Option(names = "--print-recipe", description = "print the equivalent mergekit recipe")
    boolean printRecipe;

    @Override public Integer call() {
        Outputs.one(null, out, false);
        long shardBytes = Sizes.parse(shardSize);
        Recipe r = soup(models, Optional.ofNullable(dtype).map(DType::fromRecipe));
        if (printRecipe) System.out.print(RecipeYaml.write(r));
        try (MergeRun run = MergeRun.prepare(r)) {
            OutputTarget target = run.checkOutput(OutputTarget.of(out, overwrite), MergeRun.Format.SAFETENSORS);
            Path done;
            try (Progress p = new Progress("soup", run.plan())) {
                done = run.toDisk(target, shardBytes, MergeRun.Options.defaults(), p);
            }
            System.out.printf(Locale.ROOT, "averaged %d models into %s%n", models.size(), done);
        }
        return 0;
    }

    /** The soup as a recipe: linear, weight 1 each, normalized (so each model counts 1/N). */
    static Recipe soup(List<String> models, Optional<DType> dtype) {
        Path here = Path.of("").toAbsolutePath();
        List<Recipe.InputModel> ms = models.stream()
                .map(m -> new Recipe.InputModel(m, Map.<String, ParameterSetting>of("weight", new ParameterSetting.Scalar(1.0)))).toList();
        return new Recipe("linear", Optional.empty(), ms, List.of(), Map.of("normalize", new ParameterSetting.Scalar(1)),
                dtype, Optional.empty(), Optional.empty(), here);
    }
}
