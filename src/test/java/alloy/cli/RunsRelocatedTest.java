package alloy.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import alloy.recipe.Recipe;
import alloy.recipe.RecipeYaml;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recipe a run writes beside its scores (winner.yaml, learned.yaml, greedy.yaml) names its local models
 * relative to the run folder, so that it merges as it stands from there, whatever folder depth the file it came
 * from had; other references are left alone.
 */
class RunsRelocatedTest {

    @TempDir Path root;

    @Test
    void localModelsAreRenamedRelativeToTheRunFolderAndOtherReferencesKept() throws Exception {
        Files.createDirectories(root.resolve("models/base"));
        Files.createDirectories(root.resolve("models/x"));
        Path configs = Files.createDirectories(root.resolve("configs/learn"));
        Path run = Files.createDirectories(root.resolve("results/deeper/run"));
        Recipe r = RecipeYaml.parse("""
                merge_method: task_arithmetic
                base_model: ../../models/base
                models:
                  - model: ../../models/x
                    parameters: {weight: 0.5}
                  - model: BAAI/bge-small-en
                    parameters: {weight: 0.25}
                  - model: maven:ai.djl.huggingface.pytorch/sentence-transformers/all-MiniLM-L6-v2
                    parameters: {weight: 0.25}
                tokenizer_source: base
                """, "recipe", configs);
        Recipe moved = Runs.relocated(r, run);
        assertEquals(run, moved.folder());
        assertEquals("../../../models/base", moved.baseModel().orElseThrow());
        assertEquals("../../../models/x", moved.models().get(0).model());
        assertEquals(run.resolve(moved.models().get(0).model()).normalize(), configs.resolve(r.models().get(0).model()).normalize(), "the same folder");
        assertEquals("BAAI/bge-small-en", moved.models().get(1).model(), "a hub id that is no local path stays");
        assertEquals(r.models().get(2).model(), moved.models().get(2).model(), "Maven coordinates stay");
        assertEquals("base", moved.tokenizerSource().orElseThrow());
        assertEquals(0.5, ((alloy.recipe.ParameterSetting.Scalar) moved.models().get(0).parameters().get("weight")).value());
        // written and read back from the run folder, it names the same models
        Path file = Files.writeString(run.resolve("winner.yaml"), RecipeYaml.write(moved));
        assertEquals(moved.models(), RecipeYaml.read(file).models());
    }
}
