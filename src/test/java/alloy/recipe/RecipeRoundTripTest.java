package alloy.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.merge.MergeMethod;
import alloy.merge.MergeMethods;
import alloy.merge.ParamSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** What Alloy writes (winner.yaml, mergekit_config.yml, recipes/<hash>.yaml) reads back as the same recipe. */
class RecipeRoundTripTest {

    private static void roundTrip(Recipe r, String label) {
        String written = RecipeYaml.write(r);
        Recipe back = RecipeYaml.parse(written, label, r.folder());
        assertEquals(r, back, label + " written as\n" + written);
        assertEquals(written, RecipeYaml.write(back), label + ": writing is stable");
    }

    @Test
    void everyShippedRecipe() throws IOException {
        List<Path> recipes;
        try (Stream<Path> files = Files.walk(Path.of("configs"))) {
            // configs/evolve and configs/learn hold searches and learning runs, not recipes
            recipes = files.filter(f -> f.toString().endsWith(".yaml") && !f.startsWith(Path.of("configs", "evolve"))
                    && !f.startsWith(Path.of("configs", "learn"))).sorted().toList();
        }
        assertTrue(recipes.size() >= 25, "the shipped recipes and the grid: " + recipes.size());
        for (Path f : recipes) roundTrip(RecipeYaml.read(f), f.toString());
    }

    @Test
    void everyMethodWithEveryParameter() {
        for (MergeMethod m : MergeMethods.all()) {
            StringBuilder y = new StringBuilder("merge_method: ").append(m.name()).append('\n');
            if (m.base() != MergeMethod.BaseUse.UNUSED) y.append("base_model: base\n");
            y.append("models:\n");
            for (String model : List.of("a", "b")) {
                y.append("  - model: ").append(model).append('\n');
                if (!m.tensorParameters().isEmpty()) {
                    y.append("    parameters:\n");
                    for (ParamSpec p : m.tensorParameters()) y.append("      ").append(p.name()).append(": ").append(value(p, model.equals("a"))).append('\n');
                }
            }
            if (!m.parameters().isEmpty()) {
                y.append("parameters:\n");
                for (ParamSpec p : m.parameters()) y.append("  ").append(p.name()).append(": ").append(value(p, true)).append('\n');
            }
            y.append("dtype: bfloat16\n");
            Recipe r = RecipeYaml.parse(y.toString(), m.name() + ".yaml", Path.of("."));
            assertEquals(m.name(), r.mergeMethod());
            roundTrip(r, m.name());
        }
    }

    @Test
    void aChatTemplateIsRefusedNotDropped() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(RecipeException.class, () -> RecipeYaml.parse(
                "merge_method: linear\nmodels: [a, b]\nchat_template: chatml\n", "chat.yaml", Path.of(".")));
        assertTrue(e.getMessage().startsWith("chat.yaml: 'chat_template' is not supported"), e.getMessage());
    }

    /** A legal value for {@code p}: a gradient for per-model numbers (so lists round-trip too), else a scalar. */
    private static String value(ParamSpec p, boolean gradient) {
        if (p.kind() == ParamSpec.Kind.FLAG) return "true";
        double lo = Double.isFinite(p.min()) ? p.min() : 0, hi = Double.isFinite(p.max()) ? p.max() : 1;
        double mid = (lo + Math.min(hi, lo + 1)) / 2;
        return gradient ? "[" + lo + ", " + mid + "]" : Double.toString(mid);
    }
}
