package alloy.eval.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.io.CheckpointException;
import alloy.io.HfConfig;
import alloy.io.MemoryCheckpoint;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The NDArray encoder against the plain-Java reference on tiny random models, padded batches included. */
class BertEncoderTest {

    private static NDManager manager;

    @TempDir static Path tmp;

    @BeforeAll static void start() { manager = DjlEngine.newManager(); }

    @AfterAll static void stop() { manager.close(); }

    private static final long[][] TEXTS = {{2, 7, 11, 4, 3}, {2, 9, 3}, {2, 5, 6, 7, 8, 9, 10, 3}};

    @Test void hiddenStatesMatchReferenceOnPaddedBatch() {
        checkAgainstReference(BertTinyModels.TINY, "", "gelu");
    }

    @Test void bertPrefixedNamesAndReluLoadToo() {
        BertConfig relu = new BertConfig(30, 8, 1, 4, 12, 16, 2, 1e-6, BertConfig.Activation.RELU);
        checkAgainstReference(relu, "bert.", "relu");
    }

    private void checkAgainstReference(BertConfig c, String prefix, String name) {
        try (MemoryCheckpoint ck = BertTinyModels.random(c, prefix, tmp.resolve(name), 5); NDManager m = manager.newSubManager()) {
            BertEncoder encoder = BertEncoder.load(ck, m);
            assertEquals(c, encoder.config());
            TextTokenizer.Batch batch = batch(TEXTS);
            float[] hidden = encoder.forward(batch, m).toFloatArray();                                   // (batch, seq, hidden)
            BertReference reference = new BertReference(c, ck, prefix);
            int h = c.hiddenSize(), s = batch.length();
            double worst = 0;
            for (int b = 0; b < TEXTS.length; b++) {
                double[][] expected = reference.forward(TEXTS[b], new long[TEXTS[b].length]);
                for (int t = 0; t < TEXTS[b].length; t++) {
                    for (int k = 0; k < h; k++) worst = Math.max(worst, Math.abs(expected[t][k] - hidden[(b * s + t) * h + k]));
                }
            }
            assertTrue(worst < 1e-4, name + ": largest difference from the reference " + worst);
        }
    }

    @Test void paddingDoesNotChangeRealTokens() {
        try (MemoryCheckpoint ck = BertTinyModels.random(BertTinyModels.TINY, "", tmp.resolve("pad"), 9); NDManager m = manager.newSubManager()) {
            BertEncoder encoder = BertEncoder.load(ck, m);
            float[] alone = encoder.forward(batch(new long[][] {TEXTS[1]}), m).toFloatArray();           // (1, 3, hidden)
            float[] padded = encoder.forward(batch(TEXTS), m).toFloatArray();                            // (3, 8, hidden)
            int h = BertTinyModels.TINY.hiddenSize(), s = 8;
            for (int t = 0; t < 3; t++) {
                for (int k = 0; k < h; k++) assertEquals(alone[t * h + k], padded[(s + t) * h + k], 1e-5, "token " + t + ", dim " + k);
            }
        }
    }

    @Test void intermediatesAreFreedAndResultsLiveInTheCallersManager() {
        try (MemoryCheckpoint ck = BertTinyModels.random(BertTinyModels.TINY, "", tmp.resolve("mem"), 3); NDManager weights = manager.newSubManager()) {
            BertEncoder encoder = BertEncoder.load(ck, weights);
            int before = weights.getManagedArrays().size();
            try (NDManager batch = manager.newSubManager()) {
                NDArray out = encoder.forward(batch(TEXTS), batch);
                assertEquals(batch, out.getManager());
                assertEquals(1, batch.getManagedArrays().size(), "only the result is left in the batch's manager");
            }
            assertEquals(before, weights.getManagedArrays().size(), "the weights' manager gained no arrays");
        }
    }

    @Test void errorsNameTheTensorAndTheShapes() {
        BertConfig wrong = new BertConfig(31, 8, 2, 2, 16, 16, 2, 1e-12, BertConfig.Activation.GELU);
        Path dir = tmp.resolve("wrong");
        try (MemoryCheckpoint ck = BertTinyModels.random(BertTinyModels.TINY, "", dir, 1); NDManager m = manager.newSubManager()) {
            BertTinyModels.writeConfig(dir, wrong);
            var e = assertThrows(CheckpointException.class, () -> BertEncoder.load(ck, m));
            assertTrue(e.getMessage().contains("'embeddings.word_embeddings.weight' expected shape [31, 8], found [30, 8]"), e.getMessage());
        }
        try (MemoryCheckpoint ck = new MemoryCheckpoint("no-config", Optional.empty()); NDManager m = manager.newSubManager()) {
            var e = assertThrows(CheckpointException.class, () -> BertEncoder.load(ck, m));
            assertTrue(e.getMessage().contains("no-config: no config.json"), e.getMessage());
        }
        try (MemoryCheckpoint ck = BertTinyModels.random(BertTinyModels.TINY, "roberta.", tmp.resolve("other"), 1); NDManager m = manager.newSubManager()) {
            var e = assertThrows(CheckpointException.class, () -> BertEncoder.load(ck, m));
            assertTrue(e.getMessage().contains("not a BERT checkpoint"), e.getMessage());
        }
    }

    @Test void configIsCheckedWhereItIsRead() throws Exception {
        Path dir = BertTinyModels.writeConfig(tmp.resolve("cfg"), BertTinyModels.TINY);
        java.nio.file.Files.writeString(dir.resolve("config.json"), java.nio.file.Files.readString(dir.resolve("config.json"))
                .replace("\"gelu\"", "\"gelu_new\""));
        var e = assertThrows(CheckpointException.class, () -> BertConfig.from(HfConfig.read(dir).orElseThrow()));
        assertTrue(e.getMessage().contains("hidden_act expected 'gelu' or 'relu', found 'gelu_new'"), e.getMessage());
        var bad = assertThrows(IllegalArgumentException.class, () -> new BertConfig(30, 10, 1, 3, 16, 16, 2, 1e-12, BertConfig.Activation.GELU));
        assertTrue(bad.getMessage().contains("hidden_size 10 is not a multiple of num_attention_heads 3"));
    }

    @Test void tooLongInputIsRefusedWithAHint() {
        try (MemoryCheckpoint ck = BertTinyModels.random(BertTinyModels.TINY, "", tmp.resolve("long"), 2); NDManager m = manager.newSubManager()) {
            BertEncoder encoder = BertEncoder.load(ck, m);
            var e = assertThrows(IllegalArgumentException.class, () -> encoder.forward(batch(new long[][] {new long[17]}), m));
            assertTrue(e.getMessage().contains("17 tokens exceed max_position_embeddings 16"), e.getMessage());
        }
    }

    /**
     * Weights built from arrays by name ({@code fromNamed}, the differentiable path that learned merges use) run
     * the same forward pass as weights loaded from the checkpoint (the fused, pre-scaled query written at load).
     */
    @Test void weightsFromNamedArraysMatchLoadedWeights() {
        try (MemoryCheckpoint ck = BertTinyModels.random(BertTinyModels.TINY, "bert.", tmp.resolve("named"), 13); NDManager m = manager.newSubManager()) {
            BertEncoder loaded = BertEncoder.load(ck, m);
            WeightLoader loader = new WeightLoader(ck, m);
            BertEncoder named = new BertEncoder(BertTinyModels.TINY, BertWeights.fromNamed(BertTinyModels.TINY, "bert.", loader::load));
            float[] a = loaded.forward(batch(TEXTS), m).toFloatArray(), b = named.forward(batch(TEXTS), m).toFloatArray();
            org.junit.jupiter.api.Assertions.assertArrayEquals(a, b, 1e-5f);
            var e = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                    () -> BertWeights.fromNamed(BertTinyModels.TINY, "", loader::load));
            assertTrue(e.getMessage().contains("embeddings.word_embeddings.weight"), e.getMessage());
        }
    }

    static TextTokenizer.Batch batch(long[][] texts) {
        var rows = java.util.Arrays.stream(texts).map(t -> new TextTokenizer.Encoded(t, new long[t.length])).toList();
        return TextTokenizer.pad(rows, 0);
    }
}
