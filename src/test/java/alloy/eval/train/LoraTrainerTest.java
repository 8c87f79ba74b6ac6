package alloy.eval.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.eval.model.DjlEngine;
import alloy.eval.model.LlamaConfig;
import alloy.eval.model.LlamaDecoder;
import alloy.io.Checkpoint;
import alloy.io.resolve.Checkpoints;
import alloy.lora.LoraAdapter;
import alloy.lora.LoraFold;
import alloy.lora.WeightedAdapter;
import alloy.tensor.DType;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** LoRA training over a frozen decoder: starts at the base, learns, leaves the base alone, and saves an adapter that folds back. */
class LoraTrainerTest {

    private static final LlamaConfig TINY = new LlamaConfig("LlamaForCausalLM", CharTokenizer.vocabularySize(), 32, 64, 2, 4, 2, 8,
            10000.0, 1e-5, 32, false, false, 0, OptionalInt.of(CharTokenizer.BOS_ID), OptionalInt.of(CharTokenizer.EOS_ID));

    private static final DecoderTrainer.ExampleSource REVERSE = (random, size) -> {
        List<DecoderTrainer.Example> out = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            StringBuilder s = new StringBuilder();
            for (int k = 0, n = 2 + random.nextInt(4); k < n; k++) s.append((char) ('a' + random.nextInt(6)));
            out.add(new DecoderTrainer.Example("reverse " + s + ":", s.reverse().toString()));
        }
        return out;
    };

    @TempDir Path tmp;

    @Test
    void trainsOnlyTheFactorsAndFoldsBackToTheMergedModel() {
        try (NDManager m = DjlEngine.newManager()) {
            LlamaDecoder base = new LlamaDecoder(TINY, DecoderTrainer.initialise(TINY, m, 11));
            Map<String, float[]> before = snapshot(base.weights().named());
            LoraTrainer.Spec spec = new LoraTrainer.Spec(4, 8, List.of("q_proj", "v_proj", "down_proj"));
            LoraTrainer.Adapter adapter = LoraTrainer.initialise(TINY, spec, m, 3);
            assertEquals(2 * 3, adapter.modules().size(), "three targets in each of two layers");

            // B starts at zero, so the adapted model starts exactly at the base
            try (NDManager s = m.newSubManager()) {
                var start = LoraTrainer.merged(base, adapter, s).named();
                for (var e : before.entrySet()) assertArrayEquals(e.getValue(), start.get(e.getKey()).toFloatArray(), e.getKey());
            }

            double[] losses = LoraTrainer.train(base, adapter, REVERSE, new DecoderTrainer.Settings(40, 16, 1e-2, 5, 0.1, 0, 1, 5), l -> {});
            double first = Arrays.stream(losses, 0, 5).average().orElseThrow(), last = Arrays.stream(losses, 35, 40).average().orElseThrow();
            assertTrue(last < first - 0.1, "LoRA training should lower the loss: " + first + " -> " + last);
            Map<String, float[]> after = snapshot(base.weights().named());
            for (var e : before.entrySet()) assertArrayEquals(e.getValue(), after.get(e.getKey()), "the base stays frozen: " + e.getKey());

            Path baseDir = DecoderCheckpoint.save(tmp.resolve("base"), TINY, base.weights().named(), DType.F32, Map.of());
            Path adapterDir = LoraTrainer.save(tmp.resolve("lora"), adapter, "base", Map.of());
            Path folded = tmp.resolve("folded");
            try (Checkpoint b = Checkpoints.open(baseDir); LoraAdapter a = LoraAdapter.open(adapterDir)) {
                assertEquals(spec.scale(), a.modules().values().iterator().next().scale(), 1e-12);
                LoraFold.fold(b, List.of(new WeightedAdapter(a, 1.0)), folded, LoraFold.Options.defaults(), (n, x, f) -> {});
            }
            try (NDManager s = m.newSubManager(); Checkpoint f = Checkpoints.open(folded); Arena arena = Arena.ofConfined()) {
                Map<String, NDArray> merged = LoraTrainer.merged(base, adapter, s).named();
                int changed = 0;
                for (var e : merged.entrySet()) {
                    float[] want = e.getValue().toFloatArray(), got = f.read(e.getKey(), arena).toArray();
                    assertArrayEquals(want, got, 1e-6f, e.getKey());
                    if (!Arrays.equals(want, before.get(e.getKey()))) changed++;
                }
                assertEquals(6, changed, "exactly the adapted weights move");
            }
        }
    }

    @Test
    void refusesUnknownTargets() {
        assertThrows(IllegalArgumentException.class, () -> new LoraTrainer.Spec(4, 8, List.of("lm_head")));
        assertThrows(IllegalArgumentException.class, () -> new LoraTrainer.Spec(0, 8, List.of("q_proj")));
    }

    private static Map<String, float[]> snapshot(Map<String, NDArray> weights) {
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        weights.forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }
}
