package alloy.cli;

import static alloy.cli.CommandsTest.alloy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.recipe.ParameterSetting;
import alloy.recipe.Recipe;
import alloy.recipe.RecipeYaml;
import alloy.results.Run;
import alloy.results.RunReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code alloy learn} end to end on the decoder family, kept short (one skill, a few steps): it writes an
 * ordinary recipe with per-layer gradient lists, the common results layout (a run of kind learn that the
 * results reader accepts), coefficients per layer, the loss curve and paired tests against every parent and the
 * uniform merge.
 */
class LearnCommandTest {

    @TempDir Path dir;

    /** Learns expert-add and expert-sort over the family's base on skill-add with {@code settings}, into dir/run. */
    private CommandsTest.Out learn(String settings, String... args) throws Exception {
        Path spec = Files.writeString(dir.resolve("learn.yaml"), """
                merge_method: task_arithmetic
                base_model: %1$s/base
                models: [%1$s/expert-add, %1$s/expert-sort]
                granularity: layers
                tasks: [skill-add]
                """.formatted(CommandsTest.FAMILY) + settings);
        List<String> all = new ArrayList<>(List.of("learn", spec.toString(), "--out", dir.resolve("run").toString()));
        all.addAll(List.of(args));
        return alloy(all.toArray(String[]::new));
    }

    @Test
    void learnWritesARecipeAndTheCommonResultsLayout() throws Exception {
        CommandsTest.Out o = learn("""
                steps: 4
                eval_every: 2
                patience: 3
                batch: 4
                learning_rate: 0.05
                """, "--seed", "3");
        Path out = dir.resolve("run");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("learned vs each parent"), o.out());

        Recipe learned = RecipeYaml.read(out.resolve("learned.yaml"));
        assertEquals("task_arithmetic", learned.mergeMethod());
        assertEquals(2, learned.models().size());
        var w = learned.models().get(0).parameters().get("weight");
        assertTrue(w instanceof ParameterSetting.Gradient g && g.anchors().length == 4, "one weight per layer of the 4-layer decoder: " + w);
        assertEquals(1.0, ((ParameterSetting.Scalar) learned.parameters().get("lambda")).value());

        Run run = RunReader.read(out);
        assertEquals("learn", run.info().kind().id());
        List<String> coefficients = Files.readAllLines(out.resolve("coefficients.csv"));
        assertEquals(1 + 2 * 4, coefficients.size(), "a row per model per layer: " + coefficients);
        List<String> loss = Files.readAllLines(out.resolve("loss.csv"));
        assertTrue(loss.size() >= 2 && loss.size() <= 5, "one row per step run: " + loss);
        String cmp = Files.readString(out.resolve("comparisons.csv"));
        for (String against : List.of("expert-add", "expert-sort", "uniform merge")) assertTrue(cmp.contains(against), cmp);
        String checks = Files.readString(out.resolve("checks.csv"));
        assertTrue(checks.startsWith("step,stopping_loss,best,skill-add\n0,"), checks);
        // one set: its own stopping loss is the mean
        for (String row : checks.lines().skip(1).toList()) {
            String[] f = row.split(",");
            assertEquals(Double.parseDouble(f[1]), Double.parseDouble(f[3]), 1e-6, row);
        }
        assertTrue(o.out().contains("early-stopping loss by set, start -> best check:  skill-add "), o.out());
    }

    @Test
    void filtersLearnTensorGroupsApartAndReportEachWhereItHasTensors() throws Exception {
        CommandsTest.Out o = learn("""
                filters: [self_attn, lm_head]
                objective: answer_probability
                steps: 2
                eval_every: 2
                batch: 4
                """);
        Path out = dir.resolve("run");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("1 - probability of each whole gold answer"), o.out());

        Recipe learned = RecipeYaml.read(out.resolve("learned.yaml"));
        var w = assertInstanceOf(ParameterSetting.Filtered.class, learned.models().get(1).parameters().get("weight"));
        assertEquals(List.of("self_attn", "lm_head"), w.conditions().stream().limit(2).map(ParameterSetting.Condition::filter).toList());
        List<String> rows = Files.readAllLines(out.resolve("coefficients.csv"));
        // per model: self_attn and the rest at each of the 4 layers; the head sits at t = 0 only
        assertEquals(1 + 2 * (4 + 1 + 4), rows.size(), "rows: " + rows);
        assertEquals(2, rows.stream().filter(r -> r.contains("lambda[lm_head]")).count(), "" + rows);
        assertTrue(rows.stream().filter(r -> r.contains("lambda[lm_head]")).allMatch(r -> r.startsWith("0,")), "" + rows);
    }

    @Test
    void tasksOptionLearnsAndScoresOtherSetsThanTheFile() throws Exception {
        CommandsTest.Out o = learn("""
                objective: answer_cross_entropy
                steps: 2
                eval_every: 2
                batch: 4
                """, "--tasks", "skill-sort");
        Path out = dir.resolve("run");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("cross-entropy of each whole gold answer") && o.out().contains("skill-sort "), o.out());
        List<String> rows = Files.readAllLines(out.resolve("candidates.csv"));
        assertTrue(rows.stream().anyMatch(r -> r.contains(",skill-sort,")), "" + rows);
        assertTrue(rows.stream().noneMatch(r -> r.contains(",skill-add,")), "the file's skill-add is replaced: " + rows);
    }

    @Test
    void aStagedLearnFileLearnsItsLastMergeAndWritesTheStagesInFront() throws Exception {
        Path spec = Files.writeString(dir.resolve("staged.yaml"), """
                merge_method: linear
                models:
                  - model: %1$s/expert-add
                    parameters: {weight: 0.5}
                  - model: %1$s/expert-sort
                    parameters: {weight: 0.5}
                name: add-sort
                ---
                merge_method: task_arithmetic
                base_model: %1$s/base
                models: [add-sort, %1$s/expert-reverse]
                granularity: model
                tasks: [skill-add]
                steps: 2
                eval_every: 2
                batch: 4
                """.formatted(CommandsTest.FAMILY));
        Path out = dir.resolve("run");
        CommandsTest.Out o = alloy("learn", spec.toString(), "--out", out.toString());
        assertEquals(0, o.code(), o.err());

        Recipe learned = RecipeYaml.read(out.resolve("learned.yaml"));
        assertEquals(List.of("add-sort"), learned.stageNames());
        assertEquals("add-sort", learned.models().get(0).model());
        // the stage's result is a parent: scored as the stage's own recipe and tested against
        String cmp = Files.readString(out.resolve("comparisons.csv"));
        assertTrue(cmp.contains("add-sort,skill-add") && cmp.contains("uniform merge,skill-add"), cmp);
        // the written recipe merges as it stands
        CommandsTest.Out m = alloy("merge", out.resolve("learned.yaml").toString(), "-o", dir.resolve("merged").toString());
        assertEquals(0, m.code(), m.err());
        assertTrue(Files.exists(dir.resolve("merged").resolve("model.safetensors")));
    }

    @Test
    void aStageWithoutANameIsRefusedByDocument() throws Exception {
        Path spec = Files.writeString(dir.resolve("staged.yaml"), """
                merge_method: linear
                models: [%1$s/expert-add, %1$s/expert-sort]
                ---
                merge_method: task_arithmetic
                base_model: %1$s/base
                models: [%1$s/expert-reverse]
                tasks: [skill-add]
                """.formatted(CommandsTest.FAMILY));
        CommandsTest.Out o = alloy("learn", spec.toString(), "--out", dir.resolve("run").toString());
        assertTrue(o.code() != 0, o.out());
        assertTrue(o.err().contains("(document 1 of 2): 'name' is missing"), o.err());
        assertTrue(!Files.exists(dir.resolve("run")), "nothing written for a refused file");
    }
}
