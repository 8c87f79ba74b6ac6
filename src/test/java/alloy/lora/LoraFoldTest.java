package alloy.lora;

import static alloy.lora.LoraFixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import alloy.io.Checkpoint;
import alloy.io.CheckpointException;
import alloy.io.resolve.Checkpoints;
import alloy.io.TensorInfo;
import alloy.tensor.DType;
import alloy.tensor.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraFoldTest {

    @TempDir Path dir;

    /** One adapter's term of the naive fold. */
    record Term(double factor, float[] a, float[] b, int r, int in, int out, boolean transposed) {}

    /** W + sum factor · B·A (transposed where asked), in double, from the raw numbers. */
    static double[] naive(float[] w, List<Term> terms) {
        double[] x = new double[w.length];
        for (int i = 0; i < w.length; i++) x[i] = w[i];
        for (Term t : terms) {
            double[] ba = matmul(t.b(), t.a(), t.out(), t.r(), t.in());
            if (t.transposed()) ba = transpose(ba, t.out(), t.in());
            for (int i = 0; i < x.length; i++) x[i] += t.factor() * ba[i];
        }
        return x;
    }

    static Term term(List<T> ts, String module, double factor, boolean transposed) {
        T a = ts.stream().filter(t -> t.name().equals(P + module + ".lora_A.weight") || t.name().equals(P + module + ".lora_embedding_A")).findFirst().orElseThrow();
        T b = ts.stream().filter(t -> t.name().equals(P + module + ".lora_B.weight") || t.name().equals(P + module + ".lora_embedding_B")).findFirst().orElseThrow();
        return new Term(factor, a.v(), b.v(), (int) a.shape().dim(0), (int) a.shape().dim(1), (int) b.shape().dim(0), transposed);
    }

    static Path fold(Path base, Path out, LoraFold.Options opt, Object... adapterWeightPairs) {
        List<WeightedAdapter> ws = new ArrayList<>();
        try (Checkpoint b = Checkpoints.open(base)) {
            for (int i = 0; i < adapterWeightPairs.length; i += 2) {
                ws.add(new WeightedAdapter(LoraAdapter.open((Path) adapterWeightPairs[i]), (Double) adapterWeightPairs[i + 1]));
            }
            return LoraFold.fold(b, ws, out, opt, LoraFold.Listener.NONE);
        } finally {
            ws.forEach(w -> w.adapter().close());
        }
    }

    static final List<String> ATTENTION = List.of("model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj",
            "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj");

    @Test
    void foldEqualsNaiveAndReadsBackExactly() throws Exception {
        Path base = base(dir.resolve("base"));
        List<T> ts = attention(4, 1);
        Path ad = adapter(dir.resolve("a"), config(4, 8), ts);
        Path out = fold(base, dir.resolve("out"), LoraFold.Options.defaults(), ad, 1.0);

        for (String m : ATTENTION) {
            String w = m + ".weight";
            double[] want = naive(read(base, w), List.of(term(ts, m, 8.0 / 4, false)));
            assertTrue(maxRelErr(read(out, w), want) < 1e-6, w);
        }
        // what was written is exactly what the fold computes in memory
        try (Checkpoint b = Checkpoints.open(base); LoraAdapter a = LoraAdapter.open(ad); Arena arena = Arena.ofConfined()) {
            LoraFold.Plan plan = LoraFold.plan(b, List.of(new WeightedAdapter(a, 1.0)));
            assertEquals(Set.copyOf(ATTENTION.stream().map(m -> m + ".weight").toList()), plan.targets().keySet());
            for (LoraFold.Target t : plan.targets().values()) {
                assertArrayEquals(LoraFold.folded(b, t, LoraKernels.fast(), arena).toArray(), read(out, t.base().name()), t.base().name());
            }
            // every other tensor is a byte copy, dtypes and shapes unchanged
            try (Checkpoint o = Checkpoints.open(out)) {
                assertEquals(b.tensors().size(), o.tensors().size());
                for (TensorInfo i : b.tensors()) {
                    TensorInfo j = o.info(i.name());
                    assertEquals(i.dtype(), j.dtype());
                    assertEquals(i.shape(), j.shape());
                    if (!plan.targets().containsKey(i.name())) assertArrayEquals(rawBytes(base, i.name()), rawBytes(out, i.name()), i.name());
                }
            }
        }
        assertArrayEquals(Files.readAllBytes(base.resolve("config.json")), Files.readAllBytes(out.resolve("config.json")));
        assertArrayEquals(Files.readAllBytes(base.resolve("tokenizer_config.json")), Files.readAllBytes(out.resolve("tokenizer_config.json")));
    }

    @Test
    void rsloraScalesByAlphaOverSqrtR() {
        Path base = base(dir.resolve("base"));
        List<T> ts = attention(4, 2);
        ObjectNode c = config(4, 8);
        c.put("use_rslora", true);
        Path out = fold(base, dir.resolve("out"), LoraFold.Options.defaults(), adapter(dir.resolve("a"), c, ts), 1.0);
        for (String m : ATTENTION) {
            double[] want = naive(read(base, m + ".weight"), List.of(term(ts, m, 8.0 / Math.sqrt(4), false)));
            assertTrue(maxRelErr(read(out, m + ".weight"), want) < 1e-6, m);
        }
    }

    @Test
    void severalAdaptersWithWeights() {
        Path base = base(dir.resolve("base"));
        List<T> t1 = attention(4, 3);
        List<T> t2 = new ArrayList<>(linear("model.layers.0.self_attn.q_proj", 2, 16, 16, 40));
        t2.addAll(linear("model.layers.0.mlp.up_proj", 2, 16, 32, 41));
        Path a1 = adapter(dir.resolve("a1"), config(4, 8), t1);
        Path a2 = adapter(dir.resolve("a2"), config(2, 2), t2);
        Path out = fold(base, dir.resolve("out"), LoraFold.Options.defaults(), a1, 0.7, a2, -0.3);
        String q = "model.layers.0.self_attn.q_proj";
        assertTrue(maxRelErr(read(out, q + ".weight"),
                naive(read(base, q + ".weight"), List.of(term(t1, q, 0.7 * 2, false), term(t2, q, -0.3 * 1, false)))) < 1e-6);
        String up = "model.layers.0.mlp.up_proj";
        assertTrue(maxRelErr(read(out, up + ".weight"), naive(read(base, up + ".weight"), List.of(term(t2, up, -0.3, false)))) < 1e-6);
        String v = "model.layers.1.self_attn.v_proj";
        assertTrue(maxRelErr(read(out, v + ".weight"), naive(read(base, v + ".weight"), List.of(term(t1, v, 0.7 * 2, false)))) < 1e-6);
    }

    @Test
    void fanInFanOutAndEmbeddingsAreTransposed() {
        // GPT-2's Conv1D stores (in, out): c_attn maps 16 features to 48
        List<T> baseTs = List.of(new T("transformer.h.0.attn.c_attn.weight", Shape.of(16, 48), gaussian(16 * 48, 9, 0.05)),
                new T("transformer.wte.weight", Shape.of(40, 16), gaussian(40 * 16, 10, 0.05)),
                new T("transformer.h.0.ln_1.weight", Shape.of(16), gaussian(16, 11, 1)));
        Path base = customBase(dir.resolve("gpt2"), baseTs);
        List<T> ts = new ArrayList<>(linear("transformer.h.0.attn.c_attn", 4, 16, 48, 12));
        ts.add(new T(P + "transformer.wte.lora_embedding_A", Shape.of(4, 40), gaussian(160, 13, 0.3)));
        ts.add(new T(P + "transformer.wte.lora_embedding_B", Shape.of(16, 4), gaussian(64, 14, 0.3)));
        ObjectNode c = config(4, 16);
        c.put("fan_in_fan_out", true);
        Path out = fold(base, dir.resolve("out"), LoraFold.Options.defaults(), adapter(dir.resolve("a"), c, ts), 0.5);
        assertTrue(maxRelErr(read(out, "transformer.h.0.attn.c_attn.weight"),
                naive(values(baseTs, "transformer.h.0.attn.c_attn.weight"), List.of(term(ts, "transformer.h.0.attn.c_attn", 0.5 * 4, true)))) < 1e-6);
        assertTrue(maxRelErr(read(out, "transformer.wte.weight"),
                naive(values(baseTs, "transformer.wte.weight"), List.of(term(ts, "transformer.wte", 0.5 * 4, true)))) < 1e-6);
    }

    @Test
    void bf16BaseStaysBf16() {
        Path base = base(dir.resolve("base"), DType.BF16);
        List<T> ts = attention(4, 4);
        Path out = fold(base, dir.resolve("out"), LoraFold.Options.defaults(), adapter(dir.resolve("a"), config(4, 8), ts), 1.0);
        try (Checkpoint o = Checkpoints.open(out)) {
            assertTrue(o.tensors().stream().allMatch(t -> t.dtype() == DType.BF16));
        }
        String q = "model.layers.1.self_attn.q_proj.weight";
        double[] want = naive(read(base, q), List.of(term(ts, "model.layers.1.self_attn.q_proj", 2, false)));
        assertTrue(maxRelErr(read(out, q), want) < 1.0 / 128, "within bfloat16 rounding");
    }

    @Test
    void referenceKernelsAgree() {
        Path base = base(dir.resolve("base"));
        Path ad = adapter(dir.resolve("a"), config(4, 8), attention(4, 5));
        Path fast = fold(base, dir.resolve("fast"), LoraFold.Options.defaults().withThreads(1), ad, 1.0);
        Path ref = fold(base, dir.resolve("ref"), LoraFold.Options.defaults().withKernels(LoraKernels.reference()), ad, 1.0);
        for (String m : ATTENTION) {
            float[] f = read(fast, m + ".weight");
            float[] r = read(ref, m + ".weight");
            double[] rd = new double[r.length];
            for (int i = 0; i < r.length; i++) rd[i] = r[i];
            assertTrue(maxRelErr(f, rd) < 1e-6, m);
        }
    }

    @Test
    void moduleNamesMayCarryAWrapperPrefix() {
        Path base = base(dir.resolve("base"));
        // trained on a model that wrapped the transformer one level deeper
        List<T> ts = linear("transformer.model.layers.2.self_attn.q_proj", 4, 16, 16, 6);
        Path out = fold(base, dir.resolve("out"), LoraFold.Options.defaults(), adapter(dir.resolve("a"), config(4, 4), ts), 1.0);
        String w = "model.layers.2.self_attn.q_proj.weight";
        assertTrue(maxRelErr(read(out, w), naive(read(base, w), List.of(term(ts, "transformer.model.layers.2.self_attn.q_proj", 1, false)))) < 1e-6);
    }

    @Test
    void wrapperPrefixesGoButLayerIndicesStay() {
        List<T> baseTs = List.of(new T("layers.0.attn.weight", Shape.of(16, 16), gaussian(256, 1, 0.05)),
                new T("attn.weight", Shape.of(16, 16), gaussian(256, 2, 0.05)));
        Path base = customBase(dir.resolve("b"), baseTs);
        // "wrap.layers.0.attn" -> "layers.0.attn.weight"; "wrap.layers.3.attn" must not become "attn.weight"
        Path ok = adapter(dir.resolve("ok"), config(4, 4), linear("wrap.layers.0.attn", 4, 16, 16, 3));
        Path out = fold(base, dir.resolve("out"), LoraFold.Options.defaults(), ok, 1.0);
        assertFalse(Arrays.equals(values(baseTs, "layers.0.attn.weight"), read(out, "layers.0.attn.weight")));
        assertArrayEquals(values(baseTs, "attn.weight"), read(out, "attn.weight"));
        Path bad = adapter(dir.resolve("bad"), config(4, 4), linear("wrap.layers.3.attn", 4, 16, 16, 4));
        String msg = LoraAdapterTest.oneLine(() -> fold(base, dir.resolve("out2"), LoraFold.Options.defaults(), bad, 1.0));
        assertTrue(msg.contains("has no tensor 'wrap.layers.3.attn.weight'"), msg);
    }

    @Test
    void moduleTheBaseLacks() {
        Path base = base(dir.resolve("base"));
        List<T> ts = new ArrayList<>(attention(4, 1));
        ts.addAll(linear("model.layers.9.self_attn.q_proj", 4, 16, 16, 7));
        Path ad = adapter(dir.resolve("a"), config(4, 8), ts);
        String msg = LoraAdapterTest.oneLine(() -> fold(base, dir.resolve("out"), LoraFold.Options.defaults(), ad, 1.0));
        assertTrue(msg.contains(ad.resolve("adapter_model.safetensors").toString()), msg);
        assertTrue(msg.contains("'base_model.model.model.layers.9.self_attn.q_proj.lora_A.weight'"), msg);
        assertTrue(msg.contains("has no tensor 'model.layers.9.self_attn.q_proj.weight'") && msg.contains(base.toString()), msg);
        assertFalse(Files.exists(dir.resolve("out")));
        assertEquals(List.of(), leftovers(dir, "alloy-"));
    }

    @Test
    void deltaShapeMismatch() {
        Path base = base(dir.resolve("base"));
        // down_proj is (16, 32); this adapter's B·A is (32, 16): trained with the wrong orientation
        List<T> ts = linear("model.layers.0.mlp.down_proj", 4, 16, 32, 8);
        Path ad = adapter(dir.resolve("a"), config(4, 8), ts);
        String msg = LoraAdapterTest.oneLine(() -> fold(base, dir.resolve("out"), LoraFold.Options.defaults(), ad, 1.0));
        assertTrue(msg.contains("adapter_model.safetensors") && msg.contains("lora_A.weight' [4, 16]") && msg.contains("delta of shape [32, 16]")
                && msg.contains("'model.layers.0.mlp.down_proj.weight'") && msg.contains("has shape [16, 32]") && msg.contains("fan_in_fan_out"), msg);
        assertFalse(Files.exists(dir.resolve("out")));
    }

    @Test
    void failureMidWriteLeavesNothingAndKeepsTheOldOutput() throws Exception {
        Path base = base(dir.resolve("base"));
        Path ad = adapter(dir.resolve("a"), config(4, 8), attention(4, 1));
        Path out = dir.resolve("out");
        LoraFold.Listener boom = (name, bytes, folded) -> {
            if (folded) throw new IllegalStateException("disk full while writing " + name);
        };
        try (Checkpoint b = Checkpoints.open(base); LoraAdapter a = LoraAdapter.open(ad)) {
            var e = assertThrows(IllegalStateException.class,
                    () -> LoraFold.fold(b, List.of(new WeightedAdapter(a, 1)), out, LoraFold.Options.defaults(), boom));
            assertTrue(e.getMessage().startsWith("disk full"));
            assertFalse(Files.exists(out));
            assertEquals(List.of(), leftovers(dir, "alloy-"));

            // an earlier output survives a failed --overwrite, byte for byte
            LoraFold.fold(b, List.of(new WeightedAdapter(a, 0.5)), out, LoraFold.Options.defaults(), LoraFold.Listener.NONE);
            byte[] before = Files.readAllBytes(out.resolve("model.safetensors"));
            assertThrows(IllegalStateException.class,
                    () -> LoraFold.fold(b, List.of(new WeightedAdapter(a, 1)), out, LoraFold.Options.defaults().withOverwrite(true), boom));
            assertArrayEquals(before, Files.readAllBytes(out.resolve("model.safetensors")));
            assertEquals(List.of(), leftovers(dir, "alloy-"));
            // and without --overwrite it is refused before anything is done
            var refused = assertThrows(CheckpointException.class,
                    () -> LoraFold.fold(b, List.of(new WeightedAdapter(a, 1)), out, LoraFold.Options.defaults(), LoraFold.Listener.NONE));
            assertTrue(refused.getMessage().contains("--overwrite"));
        }
        Set<String> names = Files.list(out).map(p -> p.getFileName().toString()).collect(Collectors.toSet());
        assertTrue(names.contains("model.safetensors") && names.contains(".alloy-output"), names.toString());
    }
}
