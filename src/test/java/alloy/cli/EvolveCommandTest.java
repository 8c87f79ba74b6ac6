package alloy.cli;

import static alloy.cli.CommandsTest.alloy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code alloy evolve} end to end on the decoder family, kept short (one skill, a few candidates): with filters,
 * the winner's coefficients.csv lists each filter group at the layers where it has tensors, as learn's does.
 */
class EvolveCommandTest {

    @TempDir Path dir;

    @Test
    void coefficientsListAHeadOnlyGroupAtLayerZeroAlone() throws Exception {
        Path spec = Files.writeString(dir.resolve("search.yaml"), """
                merge_method: task_arithmetic
                base_model: %1$s/base
                models: [%1$s/expert-add, %1$s/expert-sort]
                parameters:
                  weight: [0, 1]
                fixed:
                  lambda: 1.0
                granularity: layers
                filters: [self_attn, lm_head]
                tasks: [skill-add]
                population: 4
                generations: 1
                elites: 1
                seed: 5
                """.formatted(CommandsTest.FAMILY));
        CommandsTest.Out o = alloy("evolve", spec.toString(), "--out", dir.resolve("run").toString());
        assertEquals(0, o.code(), o.err());

        List<String> rows = Files.readAllLines(dir.resolve("run").resolve("coefficients.csv"));
        // per model: self_attn and the rest at each of the 4 layers; lm_head (the head, t = 0) at layer 0 only
        assertEquals(1 + 2 * (4 + 1 + 4), rows.size(), "rows: " + rows);
        List<String> head = rows.stream().filter(r -> r.contains("weight[lm_head]")).toList();
        assertEquals(2, head.size(), "" + rows);
        assertTrue(head.stream().allMatch(r -> r.startsWith("0,")), "" + head);
        assertEquals(8, rows.stream().filter(r -> r.contains("weight[self_attn]")).count(), "" + rows);
    }

    /**
     * The search's seed and the masks' seed are apart, and masks default to 0 as in alloy merge: winner.yaml merged
     * with the defaults is byte for byte the model the search scored (--save-model writes it).
     */
    @Test
    void aDareWinnerMergesByDefaultToTheModelScored() throws Exception {
        Path spec = Files.writeString(dir.resolve("search.yaml"), """
                merge_method: dare_ties
                base_model: %1$s/base
                models: [%1$s/expert-add, %1$s/expert-sort]
                parameters:
                  weight: [0.2, 1]
                  density: [0.3, 0.9]
                granularity: model
                tasks: [skill-add]
                population: 4
                generations: 1
                elites: 1
                seed: 42
                """.formatted(CommandsTest.FAMILY));
        Path run = dir.resolve("run"), scored = dir.resolve("scored"), merged = dir.resolve("merged");
        CommandsTest.Out o = alloy("evolve", spec.toString(), "--out", run.toString(), "--save-model", scored.toString());
        assertEquals(0, o.code(), o.err());
        assertTrue(!Files.readString(run.resolve("winner.yaml")).contains("random-seed"), "masks from seed 0 need no note");
        CommandsTest.Out m = alloy("merge", run.resolve("winner.yaml").toString(), "-o", merged.toString());
        assertEquals(0, m.code(), m.err());
        assertTrue(java.util.Arrays.equals(Files.readAllBytes(scored.resolve("model.safetensors")), Files.readAllBytes(merged.resolve("model.safetensors"))),
                "alloy merge winner.yaml gives the model the search scored");

        // another mask seed is said in winner.yaml, and merging with it gives the scored model again
        Path run2 = dir.resolve("run2"), scored2 = dir.resolve("scored2"), merged2 = dir.resolve("merged2");
        assertEquals(0, alloy("evolve", spec.toString(), "--out", run2.toString(), "--save-model", scored2.toString(), "--random-seed", "7").code());
        assertTrue(Files.readString(run2.resolve("winner.yaml")).contains("--random-seed 7"));
        assertTrue(Files.readString(run2.resolve("search.yaml")).contains("random_seed: 7"), "a resumed run draws the same masks");
        assertEquals(0, alloy("merge", run2.resolve("winner.yaml").toString(), "-o", merged2.toString(), "--random-seed", "7").code());
        assertTrue(java.util.Arrays.equals(Files.readAllBytes(scored2.resolve("model.safetensors")), Files.readAllBytes(merged2.resolve("model.safetensors"))));
    }

    /** A candidate's stored recipe (recipes/HASH.yaml, which leaderboards point at) merges as it stands. */
    @Test
    void storedRecipesNameLocalModelsFromTheirOwnFolder() throws Exception {
        Path specs = Files.createDirectories(dir.resolve("specs"));
        String family = specs.relativize(Path.of(CommandsTest.FAMILY)).toString().replace('\\', '/');
        Path spec = Files.writeString(specs.resolve("search.yaml"), """
                merge_method: task_arithmetic
                base_model: %1$s/base
                models: [%1$s/expert-add, %1$s/expert-sort]
                parameters:
                  weight: [0, 1]
                granularity: model
                tasks: [skill-add]
                population: 4
                generations: 1
                elites: 1
                """.formatted(family));
        Path run = dir.resolve("runs").resolve("search");
        assertEquals(0, alloy("evolve", spec.toString(), "--out", run.toString()).code());
        List<Path> stored;
        try (var files = Files.list(run.resolve("recipes"))) {
            stored = files.sorted().toList();
        }
        assertTrue(stored.size() >= 3, "" + stored);
        for (Path recipe : stored.subList(0, 2)) {
            String fromRecipes = run.resolve("recipes").relativize(Path.of(CommandsTest.FAMILY)).toString().replace('\\', '/');
            assertTrue(Files.readString(recipe).contains("base_model: " + fromRecipes + "/base\n"), "named from recipes/, not from the spec's folder: " + recipe);
            CommandsTest.Out m = alloy("merge", recipe.toString(), "-o", dir.resolve("merged-" + recipe.getFileName()).toString());
            assertEquals(0, m.code(), recipe + ": " + m.err());
        }
    }
    /**
     * --tasks searches on other sets than the file names (here a training set of 30 items in a folder), keeps the
     * weight the file gives the set's name, and writes the folders into search.yaml so that --resume finds them.
     */
    @Test
    void tasksSearchOnOtherSetsAndResumeFindsThem() throws Exception {
        alloy.eval.task.ProxyTask.Generation add = alloy.eval.task.SkillSets.training(30).getFirst();
        Path sets = dir.resolve("train");
        alloy.eval.task.ProxyTasks.write(sets.resolve(add.name()), add);
        Path spec = Files.writeString(dir.resolve("search.yaml"), """
                merge_method: task_arithmetic
                base_model: %1$s/base
                models: [%1$s/expert-add, %1$s/expert-sort]
                parameters:
                  weight: [0, 1]
                granularity: model
                tasks: {skill-add: 3, skill-sort: 1}
                population: 4
                generations: 1
                elites: 1
                """.formatted(CommandsTest.FAMILY));
        Path run = dir.resolve("run");
        String folder = sets.resolve(add.name()).toString();
        CommandsTest.Out o = alloy("evolve", spec.toString(), "--tasks", folder + ",skill-sort", "--out", run.toString());
        assertEquals(0, o.code(), o.err());
        String written = Files.readString(run.resolve("search.yaml"));
        assertTrue(written.contains(folder + ": 3.0"), "the folder, with the weight of its set's name: " + written);
        assertTrue(written.contains("skill-sort: 1.0"), written);
        String first = Files.readAllLines(run.resolve("journal.jsonl")).getFirst();
        assertTrue(first.contains("\"task\":\"skill-add\"") && first.contains("\"n\":30"), "scored on the folder's 30 search items: " + first);
        assertTrue(first.contains("\"task\":\"skill-sort\"") && first.contains("\"n\":40"), "and on the committed skill-sort: " + first);

        CommandsTest.Out both = alloy("evolve", "--resume", run.toString(), "--tasks", "skill-add");
        assertTrue(both.code() != 0, "refused");
        assertTrue(both.err().contains("leave out --tasks"), both.err());
    }
}
