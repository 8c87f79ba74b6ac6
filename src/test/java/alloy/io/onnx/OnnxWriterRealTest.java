package alloy.io.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import alloy.io.Checkpoint;
import alloy.io.resolve.Checkpoints;
import alloy.io.OutputTarget;
import alloy.io.SafetensorsFile;
import alloy.io.TensorInfo;
import alloy.tensor.FloatTensor;
import alloy.tensor.Kernels;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Writing ONNX and Hugging Face outputs from the real encoders, checked byte for byte and in ONNX Runtime. */
class OnnxWriterRealTest {

    /** "[CLS] hello world [SEP]" in the uncased BERT vocabulary the three models share. */
    static final long[] TOKENS = {101, 7592, 2088, 102};

    static OnnxCheckpoint bge, bge15;

    @BeforeAll
    static void open() {
        bge = RealModels.open(RealModels.BGE);
        bge15 = RealModels.open(RealModels.BGE15);
    }

    @AfterAll
    static void close() {
        if (bge != null) bge.close();
        if (bge15 != null) bge15.close();
    }

    @Test
    void unchangedTensorsGiveTheTemplateBack(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("bge-copy");
        try (OnnxWriter w = OnnxWriter.create(bge, OutputTarget.of(out, false)); Arena a = Arena.ofConfined()) {
            assertEquals(bge.tensors(), w.tensors());
            for (TensorInfo t : bge.tensors()) w.write(t.name(), bge.read(t.name(), a));
            assertEquals(out, w.commit());
        }
        Path model = out.resolve("model.onnx");
        // In-place raw_data replacement: the whole file, graph and non-weight initializers included, is identical.
        assertEquals(-1, Files.mismatch(model, bge.file()));
        assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")));
        assertTrue(Files.isRegularFile(out.resolve("config.json")));
        try (Checkpoint c = Checkpoints.open(out)) {
            OnnxCheckpoint o = assertInstanceOf(OnnxCheckpoint.class, c);
            for (OnnxModel.Tensor t : bge.model().initializers().values()) {
                try (Arena a = Arena.ofConfined()) {
                    assertEquals(-1, bge.model().data(t, a).mismatch(o.model().data(o.model().initializers().get(t.name()), a)), t.name());
                }
            }
            assertEquals("BertModel", c.config().orElseThrow().architecture().orElseThrow());
        }
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(out), s.toList(), "no temporary left beside the output");
        }
    }

    @Test
    void averagedSiblingsRunInOnnxRuntime(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("bge-avg.onnx");
        try (OnnxWriter w = OnnxWriter.create(bge, OutputTarget.of(out, false))) {
            for (TensorInfo t : bge.tensors()) {
                try (Arena a = Arena.ofConfined()) {
                    FloatTensor x = bge.read(t.name(), a), y = bge15.read(t.name(), a);
                    FloatTensor avg = FloatTensor.allocate(a, x.shape());
                    Kernels.fast().lerp(x, y, 0.5f, avg);
                    w.write(t.name(), avg);
                }
            }
            w.commit();
        }
        assertTrue(Files.isRegularFile(out));
        // Read back under HF names: the values written, transposition undone.
        try (Checkpoint merged = Checkpoints.open(out); Arena a = Arena.ofConfined()) {
            String q = "encoder.layer.5.attention.self.query.weight";
            FloatTensor m = merged.read(q, a), x = bge.read(q, a), y = bge15.read(q, a);
            for (long i = 0; i < m.size(); i += 1001) assertEquals((x.get(i) + y.get(i)) / 2, m.get(i), 1e-6f, q + "[" + i + "]");
        }
        float[] base = cls(bge.file()), merged = cls(out);
        for (float v : merged) assertTrue(Float.isFinite(v), "finite output");
        double toBase = cosine(merged, base);
        System.out.printf("ONNX Runtime [CLS] cosine, average of bge and bge-v1.5 vs bge: %.4f%n", toBase);
        assertTrue(toBase > 0.5, "the average stays near its parent: " + toBase);
        assertTrue(toBase < 0.99999, "the merge changed the output: " + toBase);
    }

    /** last_hidden_state[0, 0, :] of the model at {@code file} for {@link #TOKENS}. */
    static float[] cls(Path file) throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(2);
            try (OrtSession s = env.createSession(file.toString(), opts)) {
                assertEquals(Set.of("input_ids", "attention_mask", "token_type_ids"), s.getInputNames());
                long[] mask = new long[TOKENS.length], types = new long[TOKENS.length];
                java.util.Arrays.fill(mask, 1);
                Map<String, OnnxTensor> in = new HashMap<>();
                try (OnnxTensor ids = OnnxTensor.createTensor(env, new long[][] {TOKENS});
                     OnnxTensor am = OnnxTensor.createTensor(env, new long[][] {mask});
                     OnnxTensor tt = OnnxTensor.createTensor(env, new long[][] {types})) {
                    in.put("input_ids", ids);
                    in.put("attention_mask", am);
                    in.put("token_type_ids", tt);
                    try (OrtSession.Result r = s.run(in)) {
                        float[][][] h = (float[][][]) r.get(0).getValue(); // (batch, seq, hidden)
                        assertEquals(TOKENS.length, h[0].length);
                        assertEquals(384, h[0][0].length);
                        return h[0][0];
                    }
                }
            }
        }
    }

    static double cosine(float[] a, float[] b) {
        double d = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            d += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return d / Math.sqrt(na * nb);
    }

    @Test
    void hfExportRoundTripsExactly(@TempDir Path tmp) throws Exception {
        Path out = HfExport.export(bge, tmp.resolve("bge-hf"), false);
        assertTrue(Files.isRegularFile(out.resolve("tokenizer.json")));
        try (SafetensorsFile st = SafetensorsFile.open(out.resolve("model.safetensors"))) {
            assertEquals(bge.tensors().size(), st.tensors().size());
            for (TensorInfo t : bge.tensors()) {
                TensorInfo s = st.info(t.name());
                assertEquals(t.shape(), s.shape(), t.name());
                assertEquals(t.dtype(), s.dtype(), t.name());
                assertEquals(-1, bge.raw(t.name()).mismatch(st.raw(t.name())), t.name());
            }
            assertEquals("pt", st.metadata().get("format"));
            var config = st.config().orElseThrow();
            assertEquals("BertModel", config.architecture().orElseThrow());
            assertEquals(12, config.intField("num_attention_heads").getAsInt());
            assertEquals("bert", config.json().get("model_type").asText());
        }
    }

    @Test
    void refusesWrongShapesUnknownNamesAndIncompleteOutputs(@TempDir Path tmp) {
        Path out = tmp.resolve("partial");
        try (OnnxWriter w = OnnxWriter.create(bge, OutputTarget.of(out, false)); Arena a = Arena.ofConfined()) {
            var e = assertThrows(IllegalArgumentException.class,
                    () -> w.write("encoder.layer.0.output.dense.weight", FloatTensor.allocate(a, alloy.tensor.Shape.of(1536, 384))));
            assertTrue(e.getMessage().contains("expected shape [384, 1536], found [1536, 384]"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> w.write("bert.pooler.dense.weight", FloatTensor.of(1f)));
            w.writeRaw("embeddings.LayerNorm.bias", bge.raw("embeddings.LayerNorm.bias"));
            var missing = assertThrows(IllegalStateException.class, w::commit);
            assertTrue(missing.getMessage().contains("196 of 197 weights were not written"), missing.getMessage());
        }
        assertFalse(Files.exists(out));
        assertTrue(tmp.toFile().list().length == 0, "close() without commit removes the temporary output");
        // An existing output is kept unless overwrite is asked for.
        assertThrows(alloy.io.CheckpointException.class, () -> OnnxWriter.create(bge, OutputTarget.of(bge.file(), false)));
    }

    @Test
    void writesThroughTypedStorageToo(@TempDir Path tmp) throws Exception {
        // W stored as float_data [in=3, out=2]; the writer re-encodes it as raw_data and ONNX Runtime still runs it.
        float[] w = {1, 2, 3, 4, 5, 6};
        for (Proto.Layout layout : new Proto.Layout[] {Proto.Layout.PACKED_FLOAT_DATA, Proto.Layout.UNPACKED_FLOAT_DATA}) {
            Path src = tmp.resolve("tiny-" + layout + ".onnx");
            Files.write(src, Proto.linearModel(3, 2, w, new float[] {0.5f, -0.5f}, layout));
            Path out = tmp.resolve("tiny-" + layout + "-out.onnx");
            try (OnnxCheckpoint c = OnnxCheckpoint.open(src); Arena a = Arena.ofConfined()) {
                FloatTensor lin = c.read("lin.weight", a); // HF [out=2, in=3]
                assertEquals(alloy.tensor.Shape.of(2, 3), lin.shape());
                assertEquals(List.of(1f, 3f, 5f, 2f, 4f, 6f), List.of(box(lin.toArray())));
                assertEquals(NameMapping.Rule.BIAS_ADD, c.nameMapping().get(0).rule());
                try (OnnxWriter wr = OnnxWriter.create(c, OutputTarget.of(out, false))) {
                    Kernels.fast().scale(lin, 2f);
                    wr.write("lin.weight", lin);
                    wr.write("lin.bias", c.read("lin.bias", a));
                    wr.commit();
                }
            }
            try (OnnxCheckpoint o = OnnxCheckpoint.open(out); Arena a = Arena.ofConfined()) {
                assertEquals(OnnxModel.Storage.RAW, o.model().initializers().get("onnx::MatMul_7").storage());
                assertEquals(List.of(2f, 6f, 10f, 4f, 8f, 12f), List.of(box(o.read("lin.weight", a).toArray())));
            }
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession s = env.createSession(out.toString(), new OrtSession.SessionOptions());
                 OnnxTensor x = OnnxTensor.createTensor(env, new float[][] {{1, 1, 1}});
                 OrtSession.Result r = s.run(Map.of("x", x))) {
                float[] y = ((float[][]) r.get(0).getValue())[0];
                assertEquals(2 * (1 + 3 + 5) + 0.5f, y[0], 1e-5f); // x @ (2W) + b
                assertEquals(2 * (2 + 4 + 6) - 0.5f, y[1], 1e-5f);
            }
        }
    }

    private static Float[] box(float[] v) {
        Float[] b = new Float[v.length];
        for (int i = 0; i < v.length; i++) b[i] = v[i];
        return b;
    }
}
