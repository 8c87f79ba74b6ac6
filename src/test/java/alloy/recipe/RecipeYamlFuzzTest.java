package alloy.recipe;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Any text as a recipe: it parses or throws RecipeException; and a recipe that parses is written back as YAML
 * that parses to the same models, slices and parameters. Anything else, a hang or running out of memory is
 * a finding. Inputs: src/test/resources/alloy/recipe/RecipeYamlFuzzTestInputs/anyText.
 */
class RecipeYamlFuzzTest {

    @FuzzTest(maxDuration = "5m")
    void anyText(byte[] data) {
        String text = new String(data, StandardCharsets.UTF_8);
        Recipe r;
        try {
            r = RecipeYaml.parse(text, "fuzz.yaml", Path.of("."));
        } catch (RecipeException expected) {
            return;
        }
        Recipe back = RecipeYaml.parse(RecipeYaml.write(r), "fuzz-written.yaml", Path.of("."));
        assertEquals(r.models(), back.models());
        assertEquals(r.parameters(), back.parameters());
        assertEquals(r.referencedModels(), back.referencedModels());
    }
}
