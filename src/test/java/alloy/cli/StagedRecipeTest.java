package alloy.cli;

import static alloy.cli.CommandsTest.alloy;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.io.Checkpoint;
import alloy.io.resolve.Checkpoints;
import alloy.recipe.Recipe;
import alloy.recipe.RecipeException;
import alloy.recipe.RecipeYaml;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Multi-document (staged) recipes: merged end to end by {@code alloy merge} with the intermediate in memory,
 * they give the very tensors that running each stage by itself with {@code alloy merge} gives; the written
 * recipe keeps its stages; misnamed stages are refused naming the document.
 */
class StagedRecipeTest {

    static final String FAMILY = CommandsTest.FAMILY;

    @TempDir Path dir;

    private static final String STAGE_ONE = """
            name: add-sort
            merge_method: dare_ties
            base_model: %1$s/base
            models:
              - model: %1$s/expert-add
                parameters: {weight: 0.7, density: 0.6}
              - model: %1$s/expert-sort
                parameters: {weight: [0.2, 0.9], density: 0.5}
            dtype: float32
            """.formatted(FAMILY);

    private static String stageTwo(String first) {
        return """
                merge_method: task_arithmetic
                base_model: %1$s/base
                models:
                  - model: %2$s
                    parameters: {weight: 0.8}
                  - model: %1$s/expert-map
                    parameters: {weight: [0.5, 0.3]}
                dtype: float32
                """.formatted(FAMILY, first);
    }

    @Test
    void stagedRecipeGivesTheTensorsOfItsStagesRunOneByOne() throws Exception {
        Path staged = Files.writeString(dir.resolve("staged.yaml"), STAGE_ONE + "---\n" + stageTwo("add-sort"));
        Path one = Files.writeString(dir.resolve("one.yaml"), STAGE_ONE);
        CommandsTest.Out a = alloy("merge", one.toString(), dir.resolve("add-sort").toString(), "--random-seed", "5");
        assertEquals(0, a.code(), a.err());
        Path two = Files.writeString(dir.resolve("two.yaml"), stageTwo(dir.resolve("add-sort").toString()));
        CommandsTest.Out b = alloy("merge", two.toString(), dir.resolve("by-stages").toString(), "--random-seed", "5");
        assertEquals(0, b.code(), b.err());
        CommandsTest.Out c = alloy("merge", staged.toString(), dir.resolve("staged-out").toString(), "--random-seed", "5");
        assertEquals(0, c.code(), c.err());
        try (Checkpoint x = Checkpoints.open(dir.resolve("by-stages")); Checkpoint y = Checkpoints.open(dir.resolve("staged-out")); Arena arena = Arena.ofConfined()) {
            assertEquals(x.tensors().size(), y.tensors().size());
            int differs = 0;
            for (var t : x.tensors()) {
                float[] want = x.read(t.name(), arena).toArray(), got = y.read(t.name(), arena).toArray();
                assertArrayEquals(want, got, t.name());
            }
            // the merge is not a copy of an input: it differs from the base somewhere
            try (Checkpoint base = Checkpoints.open(Path.of(FAMILY, "base"))) {
                for (var t : base.tensors()) {
                    if (!java.util.Arrays.equals(base.read(t.name(), arena).toArray(), y.read(t.name(), arena).toArray())) differs++;
                }
            }
            assertTrue(differs > 0, "the staged merge changed nothing");
        }
        // scored in memory (alloy eval, the path every search's candidates take), the staged recipe scores exactly
        // what its merged output scores
        Path board = dir.resolve("eval-run");
        CommandsTest.Out e = alloy("eval", staged.toString(), dir.resolve("staged-out").toString(), "--tasks", "skill-sort,skill-map",
                "--split", "heldout", "--random-seed", "5", "--out", board.toString());
        assertEquals(0, e.code(), e.err());
        var rows = alloy.results.RunReader.read(board).candidates();
        var byCandidate = new java.util.TreeMap<String, List<Double>>();
        for (var row : rows) byCandidate.computeIfAbsent(row.candidate(), k -> new java.util.ArrayList<>()).add(row.value());
        assertEquals(2, byCandidate.size(), byCandidate.toString());
        var values = List.copyOf(byCandidate.values());
        assertEquals(values.get(0), values.get(1), "staged in memory vs merged on disk: " + byCandidate);
        // the output's mergekit_config.yml is the staged recipe, and reads back with its stage
        Recipe written = RecipeYaml.read(dir.resolve("staged-out").resolve("mergekit_config.yml"));
        assertEquals(List.of("add-sort"), written.stageNames());
        assertEquals(RecipeYaml.write(RecipeYaml.read(staged)), RecipeYaml.write(written));
        // only the final model was written: no intermediate folder beside it
        try (var files = Files.list(dir)) {
            assertEquals(List.of("add-sort", "by-stages", "eval-run", "one.yaml", "staged-out", "staged.yaml", "two.yaml"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void stagesAreWrittenOnlyWhenAsked() throws Exception {
        Path staged = Files.writeString(dir.resolve("staged.yaml"), STAGE_ONE + "---\n" + stageTwo("add-sort"));
        Path one = Files.writeString(dir.resolve("one.yaml"), STAGE_ONE);
        assertEquals(0, alloy("merge", one.toString(), dir.resolve("alone").toString(), "--random-seed", "5").code());
        CommandsTest.Out o = alloy("merge", staged.toString(), dir.resolve("out").toString(), "--random-seed", "5", "--save-stages", dir.resolve("stages").toString());
        assertEquals(0, o.code(), o.err());
        try (Checkpoint x = Checkpoints.open(dir.resolve("alone")); Checkpoint y = Checkpoints.open(dir.resolve("stages").resolve("add-sort")); Arena arena = Arena.ofConfined()) {
            for (var t : x.tensors()) assertArrayEquals(x.read(t.name(), arena).toArray(), y.read(t.name(), arena).toArray(), t.name());
        }
        CommandsTest.Out single = alloy("merge", one.toString(), dir.resolve("x").toString(), "--save-stages", dir.resolve("s2").toString());
        assertEquals(1, single.code());
        assertTrue(single.err().contains("no stages"), single.err());
    }

    /** A stage written by --save-stages must not land on an input of a later document, even one Alloy wrote once. */
    @Test
    void savedStagesNeverReplaceALaterDocumentsInput() throws Exception {
        Path family = dir.resolve("family");
        try (var files = Files.walk(Path.of(FAMILY))) {
            for (Path f : files.toList()) {
                Path to = family.resolve(Path.of(FAMILY).relativize(f).toString());
                if (Files.isDirectory(f)) Files.createDirectories(to); else Files.copy(f, to);
            }
        }
        Path map = family.resolve("expert-map").resolve("model.safetensors");
        byte[] before = Files.readAllBytes(map);
        // the stage is named like the folder of expert-map, which only the last document reads
        String stage = STAGE_ONE.replace(FAMILY, family.toString()).replace("name: add-sort", "name: expert-map");
        String last = stageTwo("expert-map").replace(FAMILY + "/expert-map", family + "/expert-map").replace(FAMILY, family.toString());
        Path staged = Files.writeString(dir.resolve("clash.yaml"), stage + "---\n" + last);
        CommandsTest.Out o = alloy("merge", staged.toString(), dir.resolve("out").toString(), "--save-stages", family.toString(), "--overwrite");
        assertEquals(true, o.code() != 0, "refused: " + o.err());
        assertTrue(o.err().contains("expert-map"), o.err());
        assertArrayEquals(before, Files.readAllBytes(map), "the later document's input is untouched");
    }

    @Test
    void stagesAreNamedAndUsedInOrder() {
        RecipeException noName = org.junit.jupiter.api.Assertions.assertThrows(RecipeException.class,
                () -> RecipeYaml.parse(STAGE_ONE.replace("name: add-sort\n", "") + "---\n" + stageTwo("add-sort"), "r.yaml", dir));
        assertTrue(noName.getMessage().startsWith("r.yaml (document 1 of 2): 'name' is missing"), noName.getMessage());
        RecipeException later = org.junit.jupiter.api.Assertions.assertThrows(RecipeException.class,
                () -> RecipeYaml.parse("name: first\n" + stageTwo("second").replace("dtype", "dtype") + "---\n" + STAGE_ONE.replace("add-sort", "second")
                        + "---\n" + stageTwo("first"), "r.yaml", dir));
        assertTrue(later.getMessage().contains("document 1 of 3") && later.getMessage().contains("'second'"), later.getMessage());
        Recipe r = RecipeYaml.parse(STAGE_ONE + "---\n" + stageTwo("add-sort"), "r.yaml", dir);
        assertEquals(List.of(FAMILY + "/base", FAMILY + "/expert-add", FAMILY + "/expert-sort", FAMILY + "/expert-map"), r.referencedModels(),
                "the models read from disk: the stage's name is not one of them");
    }
}
