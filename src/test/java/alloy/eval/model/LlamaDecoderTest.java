package alloy.eval.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.io.Checkpoint;
import alloy.io.CheckpointException;
import alloy.io.resolve.Checkpoints;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The NDArray decoder against the plain-Java reference, and the KV cache against full recomputation. */
class LlamaDecoderTest {

    private static NDManager manager;

    @TempDir static Path tmp;

    @BeforeAll static void start() { manager = DjlEngine.newManager(); }

    @AfterAll static void stop() { manager.close(); }

    static Stream<Arguments> architectures() {
        return Stream.of(
                Arguments.of("llama-gqa-qkv-bias", LlamaFixtures.config("LlamaForCausalLM", true, false, 0), false),
                Arguments.of("qwen2-tied", LlamaFixtures.config("Qwen2ForCausalLM", true, true, 0), false),
                Arguments.of("llama-o-bias", LlamaFixtures.config("LlamaForCausalLM", false, false, 0), true),
                Arguments.of("mistral-window", LlamaFixtures.config("MistralForCausalLM", false, false, 4), false));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("architectures")
    void logitsAgreeWithReferenceOnPaddedBatches(String name, LlamaConfig config, boolean outputBias) throws Exception {
        Path dir = LlamaFixtures.write(tmp.resolve(name), config, outputBias, 7);
        int[][] sequences = randomSequences(config.vocabSize(), new int[] {9, 3, 14}, 11);
        try (Checkpoint ckpt = Checkpoints.open(dir); NDManager m = manager.newSubManager()) {
            LlamaDecoder decoder = LlamaDecoder.load(ckpt, m);
            assertEquals(config, decoder.config());
            LlamaReference reference = LlamaReference.of(config, ckpt);
            for (boolean left : new boolean[] {false, true}) {
                Padded batch = pad(m, sequences, left);
                float[] logits = decoder.forward(batch.ids, batch.mask).toFloatArray();   // (batch, seq, vocab)
                double worst = 0;
                for (int b = 0; b < sequences.length; b++) {
                    float[][] expected = reference.forward(sequences[b]);
                    int offset = left ? batch.width - sequences[b].length : 0;
                    for (int t = 0; t < sequences[b].length; t++) {
                        for (int v = 0; v < config.vocabSize(); v++) {
                            float got = logits[((b * batch.width) + offset + t) * config.vocabSize() + v];
                            worst = Math.max(worst, Math.abs(got - expected[t][v]));
                        }
                    }
                }
                assertTrue(worst < 1e-3, name + (left ? " left" : " right") + " padding: max |DJL - reference| = " + worst);
            }
        }
    }

    @Test
    void logitsAgreeWithReferenceOnATrainedExpert() throws Exception {
        Path dir = Path.of("models/decoder-family/expert-add");
        try (Checkpoint ckpt = Checkpoints.open(dir); NDManager m = manager.newSubManager();
             DecoderTokenizer tokenizer = DecoderTokenizer.open(dir)) {
            LlamaDecoder decoder = LlamaDecoder.load(ckpt, m);
            LlamaReference reference = LlamaReference.of(decoder.config(), ckpt);
            String[] texts = {"add 123+45=168", "rev abcde>edcba", "sort dbca>abcd", "map kelo:"};
            int[][] sequences = new int[texts.length][];
            for (int i = 0; i < texts.length; i++) sequences[i] = java.util.Arrays.stream(tokenizer.encodeWithBos(texts[i])).mapToInt(x -> (int) x).toArray();
            Padded batch = pad(m, sequences, false);
            int vocab = decoder.config().vocabSize();
            float[] logits = decoder.forward(batch.ids, batch.mask).toFloatArray();
            double worst = 0;
            for (int b = 0; b < sequences.length; b++) {
                float[][] expected = reference.forward(sequences[b]);
                for (int t = 0; t < sequences[b].length; t++) {
                    for (int v = 0; v < vocab; v++) worst = Math.max(worst, Math.abs(logits[(b * batch.width + t) * vocab + v] - expected[t][v]));
                }
            }
            assertTrue(worst < 1e-3, "trained expert: max |DJL - reference| = " + worst);
        }
    }

    @Test
    void cachedStepsGiveTheLogitsOfTheFullSequence() throws Exception {
        LlamaConfig config = LlamaFixtures.config("LlamaForCausalLM", true, false, 0);
        Path dir = LlamaFixtures.write(tmp.resolve("cache"), config, false, 3);
        int[][] sequences = randomSequences(config.vocabSize(), new int[] {12, 8}, 5);
        try (Checkpoint ckpt = Checkpoints.open(dir); NDManager m = manager.newSubManager()) {
            LlamaDecoder decoder = LlamaDecoder.load(ckpt, m);
            Padded batch = pad(m, sequences, true);                                          // left padded to 12
            float[] full = decoder.forward(batch.ids, batch.mask).toFloatArray();
            int prefix = 6;
            try (LlamaKvCache cache = decoder.newCache()) {
                float[] first = decoder.forward(batch.ids.get(":, :" + prefix), batch.mask.get(":, :" + prefix), cache).toFloatArray();
                assertEquals(prefix, cache.length());
                assertClose(full, first, sequences, 0, prefix, batch.width, prefix, config.vocabSize());
                for (int t = prefix; t < batch.width; t++) {
                    float[] step = decoder.forward(batch.ids.get(":, " + t + ":" + (t + 1)), batch.mask.get(":, :" + (t + 1)), cache)
                            .toFloatArray();
                    assertClose(full, step, sequences, t, 1, batch.width, 1, config.vocabSize());
                }
                assertEquals(batch.width, cache.length());
            }
        }
    }

    @Test
    void refusesMaskOfTheWrongLength() throws Exception {
        LlamaConfig config = LlamaFixtures.config("LlamaForCausalLM", false, true, 0);
        Path dir = LlamaFixtures.write(tmp.resolve("mask"), config, false, 1);
        try (Checkpoint ckpt = Checkpoints.open(dir); NDManager m = manager.newSubManager()) {
            LlamaDecoder decoder = LlamaDecoder.load(ckpt, m);
            NDArray ids = m.create(new long[] {1, 5, 6}, new Shape(1, 3));
            var e = assertThrows(IllegalArgumentException.class, () -> decoder.forward(ids, m.ones(new Shape(1, 4))));
            assertTrue(e.getMessage().contains("expected shape (1, 3)"), e.getMessage());
        }
    }

    @Test
    void missingTensorIsNamedWithItsExpectedShape() throws Exception {
        LlamaConfig config = LlamaFixtures.config("LlamaForCausalLM", false, false, 0);
        Path dir = LlamaFixtures.write(tmp.resolve("untied"), config, false, 1);
        String json = Files.readString(dir.resolve("config.json"));                  // claim a third layer the file lacks
        Files.writeString(dir.resolve("config.json"), json.replace("\"num_hidden_layers\" : 2", "\"num_hidden_layers\" : 3"));
        try (Checkpoint ckpt = Checkpoints.open(dir); NDManager m = manager.newSubManager()) {
            var e = assertThrows(CheckpointException.class, () -> LlamaDecoder.load(ckpt, m));
            assertTrue(e.getMessage().contains("model.layers.2.input_layernorm.weight") && e.getMessage().contains("[32]"), e.getMessage());
        }
    }

    /** Compares real (unpadded, left-padded rows) positions only: a pad query's logits mean nothing. */
    private static void assertClose(float[] full, float[] part, int[][] sequences, int from, int count, int width, int partWidth, int vocab) {
        double worst = 0;
        for (int b = 0; b < sequences.length; b++) {
            for (int t = 0; t < count; t++) {
                if (from + t < width - sequences[b].length) continue;
                for (int v = 0; v < vocab; v++) {
                    float a = full[((b * width) + from + t) * vocab + v];
                    float c = part[((b * partWidth) + t) * vocab + v];
                    worst = Math.max(worst, Math.abs(a - c));
                }
            }
        }
        assertTrue(worst < 1e-4, "positions " + from + ".." + (from + count) + ": cached vs full max diff " + worst);
    }

    record Padded(NDArray ids, NDArray mask, int width) {}

    static Padded pad(NDManager m, int[][] sequences, boolean left) {
        int width = 0;
        for (int[] s : sequences) width = Math.max(width, s.length);
        long[] ids = new long[sequences.length * width];
        long[] mask = new long[ids.length];
        for (int b = 0; b < sequences.length; b++) {
            int offset = left ? width - sequences[b].length : 0;
            for (int t = 0; t < sequences[b].length; t++) {
                ids[b * width + offset + t] = sequences[b][t];
                mask[b * width + offset + t] = 1;
            }
        }
        return new Padded(m.create(ids, new Shape(sequences.length, width)), m.create(mask, new Shape(sequences.length, width)), width);
    }

    static int[][] randomSequences(int vocab, int[] lengths, long seed) {
        Random r = new Random(seed);
        int[][] out = new int[lengths.length][];
        for (int i = 0; i < lengths.length; i++) {
            out[i] = new int[lengths[i]];
            for (int t = 0; t < lengths[i]; t++) out[i][t] = r.nextInt(vocab);
        }
        return out;
    }
}
