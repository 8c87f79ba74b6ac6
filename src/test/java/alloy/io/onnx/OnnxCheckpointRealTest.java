package alloy.io.onnx;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.io.Checkpoint;
import alloy.io.resolve.Checkpoints;
import alloy.io.HfConfig;
import alloy.io.TensorInfo;
import alloy.tensor.DType;
import alloy.tensor.FloatTensor;
import alloy.tensor.Kernels;
import alloy.tensor.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Reading the real LangChain4j ONNX encoders under Hugging Face names. */
class OnnxCheckpointRealTest {

    static final List<String> LINEAR_ORDER = List.of("attention.self.query", "attention.self.key", "attention.self.value",
            "attention.output.dense", "intermediate.dense", "output.dense");

    static OnnxCheckpoint bge, bge15, e5, minilm;

    @BeforeAll
    static void open() {
        bge = RealModels.open(RealModels.BGE);
        bge15 = RealModels.open(RealModels.BGE15);
        e5 = RealModels.open(RealModels.E5);
        minilm = RealModels.open(RealModels.MINILM6);
    }

    @AfterAll
    static void close() {
        for (Checkpoint c : new Checkpoint[] {bge, bge15, e5, minilm}) if (c != null) c.close();
    }

    @Test
    void twelveLayerFilesHaveTheSameNamesAndShapes() {
        List<TensorInfo> ref = bge.tensors();
        assertEquals(5 + 12 * 16, ref.size()); // embeddings (3 + LayerNorm 2) and 16 per layer: 6 Linear x 2 + 2 LayerNorm x 2
        for (OnnxCheckpoint other : List.of(bge15, e5)) {
            assertEquals(ref.stream().map(TensorInfo::name).toList(), other.tensors().stream().map(TensorInfo::name).toList(), other.label());
            for (TensorInfo t : ref) {
                assertEquals(t.shape(), other.info(t.name()).shape(), other.label() + ": " + t.name());
                assertEquals(DType.F32, other.info(t.name()).dtype());
            }
        }
        assertEquals(Shape.of(30522, 384), bge.info("embeddings.word_embeddings.weight").shape());
        assertFalse(bge.has("bert.embeddings.word_embeddings.weight"));
        assertFalse(bge.has("pooler.dense.weight")); // the export ends at last_hidden_state
        // e5's int64 position_ids buffer is kept for writing but is not a weight.
        assertFalse(e5.has("embeddings.position_ids"));
        assertTrue(e5.nameMapping().stream().anyMatch(m -> m.onnxName().equals("embeddings.position_ids") && !m.exposed()));
        // all-MiniLM-L6 has the same widths but 6 layers: not mergeable with the others layer for layer.
        assertEquals(5 + 6 * 16, minilm.tensors().size());
        assertFalse(minilm.has("encoder.layer.6.output.dense.weight"));
    }

    @Test
    void everyMatMulWeightMapsToItsLinearLayerInOrder() {
        for (OnnxCheckpoint c : List.of(bge, bge15, e5, minilm)) {
            List<NameMapping> linear = c.nameMapping().stream().filter(m -> m.onnxName().startsWith("onnx::MatMul_")).toList();
            int layers = c == minilm ? 6 : 12;
            assertEquals(6 * layers, linear.size(), c.label());
            int previous = -1;
            for (int i = 0; i < linear.size(); i++) {
                NameMapping m = linear.get(i);
                assertEquals(NameMapping.Rule.BIAS_ADD, m.rule(), m.describe());
                assertTrue(m.transposed(), m.describe());
                String expected = "encoder.layer." + (i / 6) + "." + LINEAR_ORDER.get(i % 6) + ".weight";
                assertEquals(expected, m.hfName().orElseThrow(), c.label() + ": " + m.describe());
                int number = Integer.parseInt(m.onnxName().substring("onnx::MatMul_".length()));
                assertTrue(number > previous, "exporter numbering increases along the graph: " + m.describe());
                previous = number;
                assertEquals(m.onnxName(), c.onnxName(expected));
            }
            assertTrue(c.nameMapping().stream().filter(m -> m.exposed() && !m.transposed()).allMatch(m -> m.rule() == NameMapping.Rule.OWN_NAME));
        }
        assertEquals(Shape.of(384, 384), bge.info("encoder.layer.0.attention.self.query.weight").shape());
        assertEquals(Shape.of(1536, 384), bge.info("encoder.layer.0.intermediate.dense.weight").shape());
        assertEquals(Shape.of(384, 1536), bge.info("encoder.layer.0.output.dense.weight").shape());
        assertEquals("onnx::MatMul_1525 -> encoder.layer.0.attention.self.query.weight (bias added to its product, transposed)",
                bge.nameMapping().stream().filter(m -> m.onnxName().equals("onnx::MatMul_1525")).findFirst().orElseThrow().describe());
    }

    @Test
    void linearWeightsAreTransposedBackElementForElement() {
        String name = "encoder.layer.3.intermediate.dense.weight"; // HF [1536, 384]; stored [384, 1536]
        OnnxModel.Tensor stored = bge.model().initializers().get(bge.onnxName(name));
        assertArrayEquals(new long[] {384, 1536}, stored.dims());
        try (Arena a = Arena.ofConfined()) {
            MemorySegment s = bge.model().data(stored, a);
            FloatTensor hf = bge.read(name, a);
            for (long out = 0; out < 1536; out += 97) {
                for (long in = 0; in < 384; in += 13) {
                    assertEquals(s.getAtIndex(FloatTensor.F32, in * 1536 + out), hf.get(out * 384 + in), name + "[" + out + "," + in + "]");
                }
            }
        }
        // Untransposed tensors are views of the file itself.
        assertTrue(bge.raw("embeddings.word_embeddings.weight").isMapped());
        assertTrue(bge.raw("embeddings.word_embeddings.weight").isReadOnly());
    }

    @Test
    void derivesABertConfigFromShapesAndGraph() {
        HfConfig c = bge.derivedConfig().orElseThrow();
        assertEquals("BertModel", c.architecture().orElseThrow());
        assertEquals(12, c.numLayers().getAsInt());
        assertEquals(12, c.intField("num_attention_heads").getAsInt()); // from scores / sqrt(32)
        assertEquals(384, c.intField("hidden_size").getAsInt());
        assertEquals(1536, c.intField("intermediate_size").getAsInt());
        assertEquals(30522, c.intField("vocab_size").getAsInt());
        assertEquals(512, c.intField("max_position_embeddings").getAsInt());
        assertEquals(2, c.intField("type_vocab_size").getAsInt());
        assertEquals("gelu", c.json().get("hidden_act").asText());
        assertEquals(1e-12, c.json().get("layer_norm_eps").asDouble());
        assertEquals(6, minilm.derivedConfig().orElseThrow().numLayers().getAsInt());
        // The Maven cache entry holds the same config on disk, beside model.onnx and tokenizer.json.
        assertEquals(c.json().toString(), bge.config().orElseThrow().json().toString());
        assertTrue(Files.isRegularFile(bge.modelDirectory().orElseThrow().resolve("tokenizer.json")));
        assertEquals("onnx", bge.metadata().get("format"));
        assertEquals(List.of("input_ids", "attention_mask", "token_type_ids"), bge.model().inputs());
    }

    @Test
    void siblingsAreCloseAndDistantModelsAreNot() {
        double near = meanCosine(bge, bge15, "bge-small-en vs bge-small-en-v1.5");
        double far = meanCosine(bge, e5, "bge-small-en vs e5-small-v2");
        assertTrue(near > 0.995, "bge vs bge-v1.5 mean cosine " + near);
        assertTrue(far > 0.6 && far < 0.95, "bge vs e5 mean cosine " + far);
    }

    /** Mean per-tensor cosine similarity, printed by layer. */
    static double meanCosine(Checkpoint a, Checkpoint b, String what) {
        Kernels k = Kernels.fast();
        Map<String, double[]> byLayer = new TreeMap<>();
        double sum = 0;
        for (TensorInfo t : a.tensors()) {
            try (Arena arena = Arena.ofConfined()) {
                FloatTensor x = a.read(t.name(), arena), y = b.read(t.name(), arena);
                double cos = k.dot(x, y) / Math.sqrt(k.sumSquares(x) * k.sumSquares(y));
                sum += cos;
                String[] parts = t.name().split("\\.");
                String key = parts[0].equals("encoder") ? String.format("layer %2s", parts[2]) : parts[0];
                double[] acc = byLayer.computeIfAbsent(key, x2 -> new double[2]);
                acc[0] += cos;
                acc[1]++;
            }
        }
        List<String> cells = new ArrayList<>();
        byLayer.forEach((key, acc) -> cells.add(key + " " + String.format("%.4f", acc[0] / acc[1])));
        double mean = sum / a.tensors().size();
        System.out.printf("%s: mean per-tensor cosine %.4f; %s%n", what, mean, String.join(", ", cells));
        return mean;
    }

    @Test
    void checkpointsOpensFilesDirectoriesAndCoordinates() {
        String before = System.getProperty("alloy.cache");
        String repoBefore = System.getProperty("maven.repo.local");
        System.setProperty("alloy.cache", RealModels.cache().toString());
        System.setProperty("maven.repo.local", RealModels.repository(RealModels.BGE).toString());
        try {
            for (String ref : List.of(RealModels.ref(RealModels.BGE), "dev.langchain4j:" + RealModels.BGE + ":" + RealModels.VERSION,
                    RealModels.dir(RealModels.BGE).toString(), RealModels.dir(RealModels.BGE).resolve("model.onnx").toString())) {
                try (Checkpoint c = Checkpoints.open(ref, null)) {
                    assertInstanceOf(OnnxCheckpoint.class, c, ref);
                    assertEquals(bge.tensors(), c.tensors(), ref);
                }
            }
        } finally {
            restore("alloy.cache", before);
            restore("maven.repo.local", repoBefore);
        }
    }

    static void restore(String key, String value) {
        if (value == null) System.clearProperty(key);
        else System.setProperty(key, value);
    }
}
