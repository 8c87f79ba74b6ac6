package alloy.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.recipe.RecipeException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The learn file: compare_with as one run or several, resolved against the file's folder; filters and the objective; bad values named. */
class LearnSpecTest {

    static final Path FOLDER = Path.of("/runs/configs/learn");

    static String file(String compareWith) {
        return """
                merge_method: task_arithmetic
                base_model: base
                models: [a, b]
                tasks: [skill-add]
                """ + compareWith;
    }

    @Test
    void compareWithTakesOneRunOrAList() {
        assertEquals(List.of(), LearnSpec.parse(file(""), "none", FOLDER).compareWith());
        assertEquals(List.of(Path.of("/runs/results/evolve-a")),
                LearnSpec.parse(file("compare_with: ../../results/evolve-a\n"), "one", FOLDER).compareWith());
        assertEquals(List.of(Path.of("/runs/results/evolve-a"), Path.of("/runs/results/evolve-b")),
                LearnSpec.parse(file("compare_with: [../../results/evolve-a, ../../results/evolve-b]\n"), "two", FOLDER).compareWith());
    }

    @Test
    void aBadCompareWithIsNamed() {
        String twice = assertThrows(RecipeException.class,
                () -> LearnSpec.parse(file("compare_with: [../r, ../r]\n"), "twice.yaml", FOLDER)).getMessage();
        assertTrue(twice.contains("twice.yaml") && twice.contains("named twice"), twice);
        String number = assertThrows(RecipeException.class,
                () -> LearnSpec.parse(file("compare_with: {run: 3}\n"), "map.yaml", FOLDER)).getMessage();
        assertTrue(number.contains("map.yaml") && number.contains("'compare_with'"), number);
    }

    @Test
    void filtersAndObjectiveAreRead() {
        LearnSpec plain = LearnSpec.parse(file(""), "plain", FOLDER);
        assertEquals(List.of(), plain.filters());
        assertEquals(alloy.eval.learn.DecoderLoss.Objective.CROSS_ENTROPY, plain.objective());
        LearnSpec set = LearnSpec.parse(file("filters: [self_attn, mlp]\nobjective: answer_probability\n"), "set", FOLDER);
        assertEquals(List.of("self_attn", "mlp"), set.filters());
        assertEquals(alloy.eval.learn.DecoderLoss.Objective.ANSWER_PROBABILITY, set.objective());
        assertEquals(set.filters(), set.with(java.util.Optional.of(7L), java.util.Optional.empty(), java.util.Optional.empty()).filters(), "an override keeps the filters");
    }

    @Test
    void masksAreDrawnWithTheirOwnSeedZeroUnlessTold() {
        // the search seed and the DARE mask seed are apart: masks default to 0, as alloy merge draws them
        LearnSpec plain = LearnSpec.parse(file("seed: 9\n"), "plain", FOLDER);
        assertEquals(9, plain.seed());
        assertEquals(0, plain.randomSeed());
        LearnSpec set = LearnSpec.parse(file("random_seed: 42\n"), "set", FOLDER);
        assertEquals(42, set.randomSeed());
        assertEquals(5, set.with(java.util.Optional.empty(), java.util.Optional.empty(), java.util.Optional.of(5L)).randomSeed());
        assertEquals(42, set.with(java.util.Optional.of(1L), java.util.Optional.empty(), java.util.Optional.empty()).randomSeed(), "--seed leaves the masks");
    }

    @Test
    void badFiltersAndObjectivesAreNamed() {
        String objective = assertThrows(RecipeException.class, () -> LearnSpec.parse(file("objective: accuracy\n"), "o.yaml", FOLDER)).getMessage();
        assertTrue(objective.contains("o.yaml") && objective.contains("'accuracy'") && objective.contains("answer_probability"), objective);
        String twice = assertThrows(RecipeException.class, () -> LearnSpec.parse(file("filters: [mlp, mlp]\n"), "f.yaml", FOLDER)).getMessage();
        assertTrue(twice.contains("f.yaml") && twice.contains("'filters'"), twice);
        String all = assertThrows(RecipeException.class, () -> LearnSpec.parse(file("filters: ['*']\n"), "a.yaml", FOLDER)).getMessage();
        assertTrue(all.contains("every tensor"), all);
        String map = assertThrows(RecipeException.class, () -> LearnSpec.parse(file("filters: {mlp: 1}\n"), "m.yaml", FOLDER)).getMessage();
        assertTrue(map.contains("'filters'"), map);
    }
}
