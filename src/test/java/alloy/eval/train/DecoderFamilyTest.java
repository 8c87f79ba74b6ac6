package alloy.eval.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.eval.gen.CausalLm;
import alloy.eval.gen.DecoderScoring;
import alloy.eval.model.DecoderEngine;
import alloy.eval.model.LlamaConfig;
import alloy.eval.task.GenerationItem;
import alloy.eval.task.Skill;
import alloy.eval.task.SkillSets;
import alloy.eval.task.Split;
import alloy.io.Checkpoint;
import alloy.io.resolve.Checkpoints;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The committed family (models/decoder-family) loads, has the shape {@link DecoderFamily#config()} gives,
 * and does what it was trained for: on the held-out split of each skill, the skill's expert is clearly
 * better than the base, and better than every other expert.
 */
class DecoderFamilyTest {

    private static final Path FAMILY = Path.of("models/decoder-family");
    private static final Path TASKS = Path.of("proxy-tasks");
    /** Exact-match margin an expert must clear over the base on its own skill (20 or 10 held-out items). */
    private static final double MARGIN = 0.25;

    private static NDManager root;
    /** model → skill → held-out exact match. */
    private static final Map<String, Map<Skill, Double>> HELDOUT = new LinkedHashMap<>();

    @BeforeAll static void evaluate() {
        root = DecoderEngine.newManager();
        List<String> models = new java.util.ArrayList<>(List.of("base"));
        for (Skill s : Skill.values()) models.add("expert-" + s.key());
        for (String model : models) {
            Path dir = FAMILY.resolve(model);
            assertTrue(Files.isRegularFile(dir.resolve("model.safetensors")), dir + " is missing: run scripts/build-decoder-family");
            try (Checkpoint ckpt = Checkpoints.open(dir); CausalLm lm = CausalLm.open(ckpt, root)) {
                assertEquals(DecoderFamily.config(), lm.decoder().config(), model + " config");
                Map<Skill, Double> row = new LinkedHashMap<>();
                for (Skill s : Skill.values()) {
                    List<GenerationItem> items = SkillSets.evaluation(TASKS, s, Split.HELDOUT);
                    var g = DecoderScoring.exactMatch(lm, items.stream().map(GenerationItem::prompt).toList(),
                            items.stream().map(GenerationItem::answer).toList(), DecoderFamily.generation());
                    row.put(s, g.mean());
                }
                HELDOUT.put(model, row);
            }
        }
        System.out.println("held-out exact match of the committed family: " + HELDOUT);
    }

    @AfterAll static void close() { root.close(); }

    @Test
    void eachExpertBeatsTheBaseOnItsOwnSkill() {
        for (Skill s : Skill.values()) {
            double expert = HELDOUT.get("expert-" + s.key()).get(s);
            double base = HELDOUT.get("base").get(s);
            assertTrue(expert >= base + MARGIN, "expert-" + s.key() + " on " + s.key() + ": " + expert + " vs base " + base);
        }
    }

    @Test
    void eachSkillIsBestDoneByItsOwnExpert() {
        for (Skill s : Skill.values()) {
            double owner = HELDOUT.get("expert-" + s.key()).get(s);
            for (Skill other : Skill.values()) {
                if (other == s) continue;
                double foreign = HELDOUT.get("expert-" + other.key()).get(s);
                assertTrue(foreign < owner, "expert-" + other.key() + " on " + s.key() + " (" + foreign + ") should trail expert-"
                        + s.key() + " (" + owner + ")");
            }
        }
    }

    @Test
    void everyMemberSharesTheTokenizerAndConfig() throws Exception {
        byte[] tokenizer = CharTokenizer.bytes();
        for (String model : HELDOUT.keySet()) {
            Path dir = FAMILY.resolve(model);
            assertArrayEquals(tokenizer, Files.readAllBytes(dir.resolve("tokenizer.json")), model + "/tokenizer.json");
            LlamaConfig c = LlamaConfig.from(alloy.io.HfConfig.read(dir).orElseThrow());
            assertEquals(DecoderFamily.config(), c);
            assertTrue(Files.isRegularFile(dir.resolve("generation_config.json")));
            assertTrue(Files.size(dir.resolve("model.safetensors")) < 4L << 20, model + " should be a few MB at most");
        }
    }
}
