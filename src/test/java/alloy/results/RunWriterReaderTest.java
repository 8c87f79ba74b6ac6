package alloy.results;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunWriterReaderTest {

    @TempDir Path tmp;

    static final String RECIPE = """
            merge_method: linear
            base_model: ../models/decoder-family/base
            models:
            - model: ../models/decoder-family/expert-add
              parameters:
                weight: 0.25
            - model: "../models/decoder-family/expert, \\"reverse\\""
              parameters:
                weight: 0.75
            dtype: float32
            """;

    @Test
    void everyFileReadsBackAsWritten() throws Exception {
        Path dir = tmp.resolve("results/sweep-x");
        RunInfo info = RunInfo.start(RunKind.SWEEP, List.of("alloy", "sweep", "configs/x.yaml", "--param", "models[1].weight", "--tasks", "skill-add,skill-reverse"))
                .withInput("recipe", "configs/x.yaml").withInput("tasks", "skill-add", "skill-reverse")
                .withMetric("skill-add", "exact_match").withSeed(42);
        List<CandidateRow> rows;
        Map<String, Double> sets = new LinkedHashMap<>();
        sets.put("skill-add", 0.25);
        sets.put("skill, reverse", 0.5);
        try (RunWriter w = RunWriter.create(dir, info)) {
            String hash = w.recipe(RECIPE);
            assertEquals(RecipeHash.of(RECIPE), hash);
            assertEquals(hash, w.recipe(RECIPE), "storing the same recipe twice is a no-op");
            // the file may name models from recipes/ while the hash stays that of the canonical text
            String canonical = "merge_method: linear\nmodels:\n- model: ../models/a\n";
            String file = "merge_method: linear\nmodels:\n- model: ../../../models/a\n";
            String moved = w.recipe(canonical, file);
            assertEquals(RecipeHash.of(canonical), moved);
            assertEquals(file, Files.readString(w.recipesDir().resolve(moved + ".yaml")));
            assertEquals(moved, w.recipe(canonical, file), "the same pair again is a no-op");
            rows = List.of(
                    new CandidateRow("w=0.25", hash, "linear", "w=[0.75,0.25], \"norm\"\non", Split.SEARCH, "skill-add", "exact_match", 0.175, 0.075, 0.3, 40, 1.25),
                    new CandidateRow(" spaced ", hash, "linear", "", Split.HELDOUT, "skill-add", "exact_match", 1, 1, 1, 20, Double.NaN),
                    CandidateRow.model("models/a,b", Split.HELDOUT, "sts-pairs", "spearman", Double.NaN, Double.NaN, Double.NaN, 60, 0.5),
                    new CandidateRow("tiny", hash, "linear", "x", Split.VALIDATION, "t", "ppl", 1e-7, 1e-8, 3.25e5, 3, 0));
            rows.forEach(w::candidate);
            w.sweepPoint(new SweepPoint("models[1].weight", 0, 0.4875, false));
            w.sweepPoint(new SweepPoint("models[1].weight", 0.669, 0.93, true));
            w.fit(SweepFit.of("models[1].weight", -0.01322, 0.01769, 0.9197, 0.98, 0.669, "vertex of a concave fit"));
            w.generation(new Generation(0, 16, 0.5, 0.25));
            w.generation(new Generation(1, 32, 0.6, Double.NaN));
            w.coefficient(new Coefficient(3, "expert-add", "weight", 0.3));
            Map<String, Double> obj = new LinkedHashMap<>();
            obj.put("skill-add", 0.9);
            obj.put("skill-reverse", 0.2);
            w.paretoPoint(new ParetoPoint("gen3-1", obj));
            w.soupStep(new SoupStep(0, "expert-add", Decision.START, 0.5, "exact_match"));
            w.soupStep(new SoupStep(1, "expert, reverse", Decision.REJECT, 0.25, "exact_match"));
            w.learnStep(new LearnStep(1, 0.75, 0.125, 0.5));
            w.learnStep(new LearnStep(2, Double.NaN, 0.0625, 0.25));
            w.learnCheck(new LearnCheck(0, 0.375, true, sets));
            Map<String, Double> other = new LinkedHashMap<>();
            other.put("skill-add", 0.5);
            assertThrows(IllegalArgumentException.class, () -> w.learnCheck(new LearnCheck(2, 0.5, false, other)), "a check's sets are checks.csv's columns");
            assertThrows(IllegalArgumentException.class, () -> w.text("loss.csv", "x"), "loss.csv is the writer's own");
            w.text("winner.yaml", RECIPE);
            w.finish();
        }
        Run run = RunReader.read(dir);
        assertEquals("sweep-x", run.id());
        assertEquals(RunKind.SWEEP, run.kind());
        assertTrue(run.finished());
        assertEquals(info.command(), run.info().command());
        assertEquals(info.inputs(), run.info().inputs());
        assertEquals(info.metrics(), run.info().metrics());
        assertEquals(42, run.info().seed().getAsLong());
        assertEquals(info.started(), run.info().started());
        assertFalse(run.info().finished().get().isBefore(info.started()));
        assertEquals(AlloyVersion.get(), run.info().alloyVersion());
        assertNotEquals("unknown", run.info().alloyVersion(), "the version comes from the pom through the filtered resource");
        assertEquals(rows, run.candidates(), "records with NaN compare equal: Double.compare semantics");
        assertEquals(RECIPE, run.recipe(rows.get(0).recipeHash()).orElseThrow());
        assertEquals(2, run.sweep().size());
        assertTrue(run.sweep().get(1).proposal());
        SweepFit fit = run.fit().orElseThrow();
        assertEquals(-0.01322, fit.a());
        assertEquals(OptionalDouble.of(-0.01769 / (2 * -0.01322)), fit.vertex());
        assertEquals(List.of(new Generation(0, 16, 0.5, 0.25), new Generation(1, 32, 0.6, Double.NaN)), run.generations());
        assertEquals(List.of(new Coefficient(3, "expert-add", "weight", 0.3)), run.coefficients());
        assertEquals(List.of("skill-add", "skill-reverse"), List.copyOf(run.pareto().get(0).objectives().keySet()));
        assertEquals(Decision.REJECT, run.soup().get(1).decision());
        assertEquals("expert, reverse", run.soup().get(1).model());
        assertEquals(List.of(new LearnStep(1, 0.75, 0.125, 0.5), new LearnStep(2, Double.NaN, 0.0625, 0.25)), run.learning());
        assertEquals(List.of(new LearnCheck(0, 0.375, true, sets)), run.checks());
        assertEquals(List.of("skill-add", "skill, reverse"), List.copyOf(run.checks().get(0).bySet().keySet()));
        assertTrue(run.warnings().isEmpty());
    }

    @Test
    void aRunClosedWithoutFinishReadsBackUnfinishedWithEveryRowItWrote() throws IOException {
        Path dir = tmp.resolve("killed");
        RunWriter w = RunWriter.create(dir, RunInfo.start(RunKind.EVOLVE, List.of("alloy", "evolve")));
        w.generation(new Generation(0, 8, 0.1, 0.05));
        // Without close(): the row must already be on disk, as for a run killed here.
        assertEquals(2, Files.readAllLines(dir.resolve("generations.csv")).size());
        Files.writeString(dir.resolve("generations.csv"), "1,16,0.2", java.nio.file.StandardOpenOption.APPEND);
        Run run = RunReader.read(dir);
        assertFalse(run.finished());
        assertEquals(1, run.generations().size());
        assertEquals(1, run.warnings().size(), "the cut-short last row is dropped, with a warning");
        w.close();
    }

    @Test
    void theWriterOwnsItsDirectory() throws IOException {
        Path dir = tmp.resolve("own");
        try (RunWriter w = RunWriter.create(dir, RunInfo.start(RunKind.EVAL, List.of("alloy", "eval")))) {
            IllegalArgumentException again = assertThrows(IllegalArgumentException.class, () -> RunWriter.create(dir, RunInfo.start(RunKind.EVAL, List.of("alloy"))));
            assertTrue(again.getMessage().contains("already holds a run"), again.getMessage());
            assertThrows(IllegalArgumentException.class, () -> w.text("../escape.txt", "x"));
            assertThrows(IllegalArgumentException.class, () -> w.text("/etc/passwd", "x"));
            assertThrows(IllegalArgumentException.class, () -> w.text("candidates.csv", "x"));
            Path outside = Files.createDirectories(tmp.resolve("outside"));
            Files.createSymbolicLink(dir.resolve("recipes"), outside);
            IllegalArgumentException link = assertThrows(IllegalArgumentException.class, () -> w.recipe("merge_method: linear\n"));
            assertTrue(link.getMessage().contains("symbolic link"), link.getMessage());
            assertEquals(0, Files.list(outside).count());
            assertThrows(IllegalArgumentException.class, () -> w.candidate(new CandidateRow("c", "0123456789ab", "linear", "", Split.SEARCH, "t", "acc", 0.5, 0.4, 0.6, 10, 1)),
                    "a candidate may not name a recipe that was never stored");
            w.finish();
            assertThrows(IllegalStateException.class, () -> w.generation(new Generation(0, 1, 0, 0)));
        }
        assertFalse(Files.exists(tmp.resolve("escape.txt")));
    }

    @Test
    void recordsRefuseBadValues() {
        assertThrows(IllegalArgumentException.class, () -> new CandidateRow("c", "", "model", "", Split.SEARCH, "t", "acc", 0.9, 0.5, 0.8, 10, 1));
        assertThrows(IllegalArgumentException.class, () -> new CandidateRow("c", "ABCDEF012345", "linear", "", Split.SEARCH, "t", "acc", 0.5, 0.4, 0.6, 10, 1));
        assertThrows(IllegalArgumentException.class, () -> new CandidateRow(" ", "", "model", "", Split.SEARCH, "t", "acc", 0.5, 0.4, 0.6, 10, 1));
        assertThrows(IllegalArgumentException.class, () -> new CandidateRow("c", "", "model", "", Split.SEARCH, "t", "acc", 0.5, 0.4, 0.6, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> new CandidateRow("c", "", "model", "", Split.SEARCH, "t", "acc", Double.POSITIVE_INFINITY, 0.4, 0.6, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> new Coefficient(-1, "m", "weight", 1));
        assertThrows(IllegalArgumentException.class, () -> new SweepFit("t", 1, 1, 1, 1.5, OptionalDouble.empty(), 0, ""));
        assertThrows(IllegalArgumentException.class, () -> RunInfo.start(RunKind.EVAL, List.of()));
        RunInfo i = RunInfo.start(RunKind.EVAL, List.of("alloy"));
        assertThrows(IllegalArgumentException.class, () -> i.withFinished(i.started().minusSeconds(1)));
        assertEquals(RunKind.LEARN, RunKind.parse("learn"));
        assertThrows(IllegalArgumentException.class, () -> Split.parse("test"));
        assertEquals("alloy sweep 'a b' --values=0,1 'it'\\''s' x", new RunInfo(RunKind.SWEEP, List.of("alloy", "sweep", "a b", "--values=0,1", "it's", "x"),
                Map.of(), Map.of(), java.util.OptionalLong.empty(), Instant.EPOCH, java.util.Optional.empty(), "1").commandLine());
    }

    @Test
    void directionAgreesWithTheEvaluationCode() {
        for (String m : List.of("ppl", "acc", "acc_norm", "exact_match", "mrr", "recall@1", "ndcg@10", "spearman")) {
            assertEquals(alloy.eval.task.TaskKind.higherIsBetter(m), Direction.of(m) == Direction.HIGHER_IS_BETTER, m);
        }
    }
}
