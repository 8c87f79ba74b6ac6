package alloy.eval.family;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.eval.Scorer;
import alloy.eval.embed.EmbeddingScorer;
import alloy.eval.embed.EncoderProfile;
import alloy.eval.gen.DecoderScorer;
import alloy.eval.model.BertRealModels;
import alloy.eval.task.ProxyTask;
import alloy.eval.task.ProxyTasks;
import alloy.io.Checkpoint;
import alloy.io.onnx.OnnxCheckpoint;
import alloy.io.resolve.Checkpoints;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The production factory that eval, sweep, evolve and soup score through: which scorer, which profile, which tokenizer. */
class ScorersTest {

    private static ProxyTask set(String name) { return ProxyTasks.load(Path.of("proxy-tasks", name)); }

    @Test
    void aCausalLmGetsTheDecoderScorer() {
        try (Checkpoint c = Checkpoints.open(Path.of("models/decoder-family/base"))) {
            assertEquals(Scorers.Family.DECODER, Scorers.family(c));
            try (Scorer s = Scorers.open(c, "base", List.of(set("skill-add")), Optional.empty())) {
                assertInstanceOf(DecoderScorer.class, s);
            }
            // a decoder is never handed an encoder's proxy set
            var e = assertThrows(IllegalArgumentException.class, () -> Scorers.open(c, "base", List.of(set("code-qa-retrieval")), Optional.empty()));
            assertTrue(e.getMessage().contains("code-qa-retrieval"), e.getMessage());
        }
    }

    @Test
    void aBertEncoderGetsItsProfileFromItsNameOrFromTheUser() {
        try (OnnxCheckpoint bge = BertRealModels.open(BertRealModels.BGE)) {
            assertEquals(Scorers.Family.ENCODER, Scorers.family(bge));
            assertEquals(BertRealModels.testDir(BertRealModels.BGE).resolve("tokenizer.json"), Scorers.tokenizer(bge));
            try (Scorer s = Scorers.open(bge, "bge-small-en", List.of(set("code-qa-retrieval")), Optional.empty())) {
                assertEquals(EncoderProfile.BGE, ((EmbeddingScorer) s).settings().profile(), "guessed from the model's name");
            }
            try (Scorer s = Scorers.open(bge, "bge-small-en", List.of(set("code-qa-retrieval")), Optional.of("e5"))) {
                assertEquals(EncoderProfile.E5, ((EmbeddingScorer) s).settings().profile(), "--profile wins over the name");
            }
            var e = assertThrows(IllegalArgumentException.class,
                    () -> Scorers.open(bge, "my-encoder", List.of(set("code-qa-retrieval")), Optional.empty()));
            assertTrue(e.getMessage().contains("my-encoder") && e.getMessage().contains("--profile"), e.getMessage());
        }
    }
}
