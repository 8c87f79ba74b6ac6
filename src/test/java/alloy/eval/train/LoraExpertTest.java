package alloy.eval.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.eval.gen.CausalLm;
import alloy.eval.gen.DecoderScoring;
import alloy.eval.model.DjlEngine;
import alloy.eval.task.GenerationItem;
import alloy.eval.task.Skill;
import alloy.eval.task.SkillSets;
import alloy.eval.task.Split;
import alloy.io.Checkpoint;
import alloy.io.resolve.Checkpoints;
import alloy.io.TensorInfo;
import alloy.lora.LoraAdapter;
import alloy.lora.LoraFold;
import alloy.lora.WeightedAdapter;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The family's shipped LoRA adapters (models/decoder-family/lora-*) are real PEFT adapters of its base:
 * {@code alloy lora fold} of one into the base gives the weights of the expert checkpoint the build saved
 * beside it (to float rounding: the build added B·A in PyTorch, the fold in Java) and, greedy decoding being
 * decided by far larger logit gaps, the very same answers on every skill's held-out items.
 */
class LoraExpertTest {

    private static final Path FAMILY = Path.of("models/decoder-family");
    private static final Path TASKS = Path.of("proxy-tasks");

    @TempDir Path tmp;

    static List<Path> adapters() throws IOException {
        try (Stream<Path> s = Files.list(FAMILY)) {
            return s.filter(p -> p.getFileName().toString().startsWith("lora-")).sorted().toList();
        }
    }

    @Test
    void foldedAdapterIsItsMergedExpert() throws IOException {
        List<Path> adapters = adapters();
        assertFalse(adapters.isEmpty(), "the family ships at least one LoRA adapter");
        for (Path adapterDir : adapters) {
            String skill = adapterDir.getFileName().toString().substring("lora-".length());
            Path expertDir = FAMILY.resolve("expert-" + skill);
            Path folded = tmp.resolve("folded-" + skill);
            try (Checkpoint base = Checkpoints.open(FAMILY.resolve("base")); LoraAdapter adapter = LoraAdapter.open(adapterDir)) {
                assertTrue(adapter.modules().size() > 0, adapterDir + " adapts nothing");
                LoraFold.fold(base, List.of(new WeightedAdapter(adapter, 1.0)), folded, LoraFold.Options.defaults(), (n, b, f) -> {});
            }
            // weights: the same up to float rounding, and every adapted weight really moved
            try (Checkpoint f = Checkpoints.open(folded); Checkpoint e = Checkpoints.open(expertDir); Checkpoint b = Checkpoints.open(FAMILY.resolve("base"));
                 Arena arena = Arena.ofConfined()) {
                int moved = 0;
                for (TensorInfo t : e.tensors()) {
                    float[] x = f.read(t.name(), arena).toArray(), y = e.read(t.name(), arena).toArray(), z = b.read(t.name(), arena).toArray();
                    double worst = 0, change = 0;
                    for (int i = 0; i < x.length; i++) {
                        worst = Math.max(worst, Math.abs(x[i] - y[i]));
                        change = Math.max(change, Math.abs(y[i] - z[i]));
                    }
                    assertTrue(worst < 1e-5, skill + ": " + t.name() + " folded differs from the expert by " + worst);
                    if (change > 1e-4) moved++;
                }
                assertTrue(moved > 0, skill + ": the expert should differ from the base");
            }
            // scores: item for item the same answers on every skill
            try (NDManager root = DjlEngine.newManager()) {
                for (Skill s : Skill.values()) {
                    List<GenerationItem> items = SkillSets.evaluation(TASKS, s, Split.HELDOUT);
                    List<String> prompts = items.stream().map(GenerationItem::prompt).toList();
                    List<String> answers = items.stream().map(GenerationItem::answer).toList();
                    List<double[]> perItem = new ArrayList<>();
                    for (Path dir : List.of(folded, expertDir)) {
                        try (Checkpoint c = Checkpoints.open(dir); CausalLm lm = CausalLm.open(c, root)) {
                            perItem.add(DecoderScoring.exactMatch(lm, prompts, answers, DecoderFamily.generation()).exactMatch());
                        }
                    }
                    for (int i = 0; i < items.size(); i++) {
                        assertEquals(perItem.get(1)[i], perItem.get(0)[i], skill + " adapter folded vs expert-" + skill + " on " + items.get(i).id());
                    }
                }
            }
        }
    }
}
