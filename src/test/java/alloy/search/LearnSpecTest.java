package alloy.search;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.recipe.RecipeException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The learn file: compare_with as one run or several, resolved against the file's folder; bad values named. */
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
}
