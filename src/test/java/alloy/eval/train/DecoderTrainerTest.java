package alloy.eval.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.eval.model.DjlEngine;
import alloy.eval.model.LlamaConfig;
import alloy.eval.model.LlamaDecoder;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

/** A few steps of training lower the loss, and the same seed repeats the same run to float rounding. */
class DecoderTrainerTest {

    private static final LlamaConfig TINY = new LlamaConfig("LlamaForCausalLM", CharTokenizer.vocabularySize(), 32, 64, 2, 4, 2, 8,
            10000.0, 1e-5, 32, false, false, 0, OptionalInt.of(CharTokenizer.BOS_ID), OptionalInt.of(CharTokenizer.EOS_ID));

    /** Reverse a few letters: learnable, and the batches depend only on the random source. */
    private static final DecoderTrainer.ExampleSource REVERSE = (random, size) -> {
        List<DecoderTrainer.Example> out = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            StringBuilder s = new StringBuilder();
            for (int k = 0, n = 2 + random.nextInt(4); k < n; k++) s.append((char) ('a' + random.nextInt(6)));
            out.add(new DecoderTrainer.Example("reverse " + s + ":", s.reverse().toString()));
        }
        return out;
    };

    private static double[] run(long seed, int steps, float[][] weightsOut) {
        try (NDManager m = DjlEngine.newManager()) {
            LlamaDecoder model = new LlamaDecoder(TINY, DecoderTrainer.initialise(TINY, m, seed));
            var settings = new DecoderTrainer.Settings(steps, 16, 1e-2, 5, 0.1, 0.01, 1.0, seed);
            double[] losses = DecoderTrainer.train(model, REVERSE, settings, log -> {});
            if (weightsOut != null) weightsOut[0] = model.weights().layers().getFirst().qProj().toFloatArray();
            return losses;
        }
    }

    @Test
    void lossFallsAndTheSameSeedRepeatsTheRun() {
        float[][] w1 = new float[1][];
        float[][] w2 = new float[1][];
        double[] first = run(3, 40, w1);
        double[] again = run(3, 40, w2);
        // Batches and initial weights come from the seed alone; PyTorch's BLAS may round a sum differently
        // when a buffer lands at another alignment, so a repeat agrees to float rounding, not always bit for bit.
        for (int i = 0; i < first.length; i++) {
            assertEquals(first[i], again[i], 1e-4 * Math.abs(first[i]), "same seed, same loss at step " + i);
        }
        assertArrayEquals(w1[0], w2[0], 1e-3f, "same seed, same weights");
        double start = Arrays.stream(first, 0, 5).average().orElseThrow();
        double end = Arrays.stream(first, 35, 40).average().orElseThrow();
        assertTrue(start > Math.log(CharTokenizer.vocabularySize()) * 0.8, "initial loss near uniform, found " + start);
        assertTrue(end < start - 1.0, "loss should fall by more than 1 nat in 40 steps: " + start + " -> " + end);
        double[] other = run(4, 3, null);
        assertTrue(other[0] != first[0], "another seed draws other weights and batches");
    }

    /**
     * Between forward and backward, collect garbage and scribble NaN over fresh direct memory: a tensor
     * that autograd saved over a Java buffer (DJL's {@code array.mul(number)}) would then be read back
     * freed and overwritten, and the gradients would differ from an undisturbed pass.
     */
    @Test
    void gradientsSurviveGarbageCollectionBetweenForwardAndBackward() throws Exception {
        float[] quiet = gradientsOfOneBatch(false);
        float[] disturbed = gradientsOfOneBatch(true);
        // freed memory would show as NaN or as gradients off by far more than float rounding
        float largest = 0;
        for (float g : quiet) largest = Math.max(largest, Math.abs(g));
        for (int i = 0; i < quiet.length; i++) {
            assertTrue(Float.isFinite(disturbed[i]), "gradient " + i + " is " + disturbed[i]);
            assertEquals(quiet[i], disturbed[i], 1e-5f * largest, "gradients must not depend on the garbage collector, entry " + i);
        }
    }

    private static float[] gradientsOfOneBatch(boolean disturb) throws Exception {
        try (NDManager m = DjlEngine.newManager(); ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
            scope.suppressNotUsedWarning();
            LlamaDecoder model = new LlamaDecoder(TINY, DecoderTrainer.initialise(TINY, m, 9));
            var params = model.weights().named();
            for (var p : params.values()) p.setRequiresGradient(true);
            var batch = DecoderTrainer.Batch.of(REVERSE.draw(new java.util.Random(1), 8), TINY.maxPositions());
            try (var collector = ai.djl.engine.Engine.getEngine(DjlEngine.ENGINE).newGradientCollector()) {
                var loss = DecoderTrainer.loss(model, batch, m);
                if (disturb) {
                    for (int round = 0; round < 5; round++) {
                        System.gc();
                        Thread.sleep(20);
                        for (int i = 0; i < 2000; i++) {
                            var junk = java.nio.ByteBuffer.allocateDirect(64).order(java.nio.ByteOrder.nativeOrder());
                            while (junk.hasRemaining()) junk.putFloat(Float.NaN);
                        }
                    }
                }
                collector.backward(loss);
            }
            java.util.List<Float> all = new ArrayList<>();
            for (var p : params.values()) for (float g : p.getGradient().toFloatArray()) all.add(g);
            float[] out = new float[all.size()];
            for (int i = 0; i < out.length; i++) out[i] = all.get(i);
            return out;
        }
    }

    @Test
    void lengthSortedChunksGiveTheLossOfOnePaddedBatch() {
        try (NDManager m = DjlEngine.newManager()) {
            LlamaDecoder model = new LlamaDecoder(TINY, DecoderTrainer.initialise(TINY, m, 5));
            List<DecoderTrainer.Example> examples = REVERSE.draw(new java.util.Random(2), 3 * DecoderTrainer.CHUNK_ROWS + 5);
            float whole = DecoderTrainer.loss(model, DecoderTrainer.Batch.of(examples, TINY.maxPositions()), m).getFloat();
            float chunked = DecoderTrainer.loss(model, examples, m).getFloat();
            assertEquals(whole, chunked, 1e-5 * whole, "every target token weighs the same whichever chunk it is in");
        }
    }

    @Test
    void scheduleWarmsUpThenDecays() {
        var s = new DecoderTrainer.Settings(100, 8, 1e-3, 10, 0.1, 0, 1, 0);
        assertEquals(1e-4, s.learningRateAt(0), 1e-12);
        assertEquals(1e-3, s.learningRateAt(10), 1e-12);
        assertEquals(1e-4, s.learningRateAt(100), 1e-12);
        assertTrue(s.learningRateAt(50) < 1e-3 && s.learningRateAt(50) > 1e-4);
        assertThrows(IllegalArgumentException.class, () -> new DecoderTrainer.Settings(10, 0, 1e-3, 0, 0, 0, 0, 0));
    }

    @Test
    void batchTrainsOnAnswerAndEndToken() {
        var b = DecoderTrainer.Batch.of(List.of(new DecoderTrainer.Example("ab:", "ba"), new DecoderTrainer.Example("a:", "a")), 32);
        // row 0: tokens <s> a b : b a </s>; inputs <s> a b : b a; targets a b : b a </s>, of which "b a </s>" count
        assertEquals(6, b.width());
        assertArrayEquals(new float[] {0, 0, 0, 1, 1, 1}, Arrays.copyOfRange(b.weights(), 0, 6), 1e-9f);
        assertArrayEquals(new long[] {CharTokenizer.BOS_ID, 4, 5, 4 + CharTokenizer.CHARACTERS.indexOf(':'), 5, 4},
                Arrays.copyOfRange(b.inputs(), 0, 6));
        // row 1: <s> a : a </s>, right-padded
        assertArrayEquals(new long[] {1, 1, 1, 1, 0, 0}, Arrays.copyOfRange(b.mask(), 6, 12));
        assertArrayEquals(new float[] {0, 0, 1, 1, 0, 0}, Arrays.copyOfRange(b.weights(), 6, 12), 1e-9f);
    }
}
