package alloy.eval.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.io.Checkpoint;
import alloy.io.CheckpointException;
import alloy.io.MemoryCheckpoint;
import alloy.io.TensorInfo;
import alloy.tensor.DType;
import alloy.tensor.FloatTensor;
import alloy.tensor.Shape;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** WeightLoader's copies (and the DJL behaviour they rest on) and BertWeights' fused projections. */
class BertWeightsTest {

    private static NDManager manager;

    @TempDir static Path tmp;

    @BeforeAll static void start() { manager = DjlEngine.newManager(); }

    @AfterAll static void stop() { manager.close(); }

    /**
     * What WeightLoader is built on, and what it avoids: a FloatBuffer view is copied by DJL, a direct
     * ByteBuffer is aliased (torch::from_blob), and toByteBuffer(true) of a new tensor is a writable view of
     * its storage. Should a DJL upgrade change any of these, this test says so.
     */
    @Test void djlCopiesFloatBuffersAliasesDirectByteBuffersAndExposesStorage() {
        try (Arena arena = Arena.ofConfined(); NDManager m = manager.newSubManager()) {
            MemorySegment seg = arena.allocate(16, 64);
            for (int i = 0; i < 4; i++) seg.setAtIndex(FloatTensor.F32, i, i + 1);
            NDArray viaFloats = m.create(seg.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer(), new ai.djl.ndarray.types.Shape(4));
            NDArray viaBytes = m.create(seg.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN), new ai.djl.ndarray.types.Shape(4), DataType.FLOAT32);
            for (int i = 0; i < 4; i++) seg.setAtIndex(FloatTensor.F32, i, -1);
            assertArrayEquals(new float[] {1, 2, 3, 4}, viaFloats.toFloatArray(), "FloatBuffer: copied");
            assertArrayEquals(new float[] {-1, -1, -1, -1}, viaBytes.toFloatArray(), "direct ByteBuffer: aliased");
            NDArray empty = m.create(new ai.djl.ndarray.types.Shape(4), DataType.FLOAT32);
            MemorySegment.ofBuffer(empty.toByteBuffer(true)).setAtIndex(FloatTensor.F32, 2, 42f);
            assertEquals(42f, empty.toFloatArray()[2], "toByteBuffer(true): a view of the storage");
        }
    }

    @Test void loadedArraysOutliveTheCheckpointAndBelongToTheManager() {
        float[] values = {0.5f, -1.25f, 3f, 7f, 11f, -2f};
        NDArray loaded;
        try (NDManager m = manager.newSubManager()) {
            try (MemoryCheckpoint ck = new MemoryCheckpoint("mem", Optional.empty())) {
                ck.put("w", FloatTensor.of(ck.arena(), Shape.of(2, 3), values));
                loaded = new WeightLoader(ck, m).load("w", 2, 3);
                ck.tensor("w").set(0, 99f);                                                      // the source changes...
            }                                                                                    // ...and its arena closes
            assertArrayEquals(values, loaded.toFloatArray());
            assertEquals(new ai.djl.ndarray.types.Shape(2, 3), loaded.getShape());
            assertEquals(m, loaded.getManager());
            assertEquals(1, m.getManagedArrays().size(), "nothing but the weight is left in the manager");
        }
        assertTrue(loaded.isReleased(), "closing the candidate's manager frees its weights");
    }

    @Test void sixteenBitAndUnalignedTensorsLoad() {
        float[] values = {1.5f, -0.25f, 2048f, 0.125f};
        try (Arena arena = Arena.ofConfined(); NDManager m = manager.newSubManager()) {
            MemorySegment f16 = arena.allocate(8, 2);
            for (int i = 0; i < 4; i++) f16.setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, Float.floatToFloat16(values[i]));
            MemorySegment unaligned = arena.allocate(18, 8).asSlice(2, 16);
            for (int i = 0; i < 4; i++) unaligned.setAtIndex(FloatTensor.F32, i, values[i]);
            Checkpoint ck = fixed(Map.of("half", new Stored(DType.F16, f16), "odd", new Stored(DType.F32, unaligned)));
            WeightLoader loader = new WeightLoader(ck, m);
            assertArrayEquals(values, loader.load("half", 4).toFloatArray());
            assertArrayEquals(values, loader.load("odd").toFloatArray());
            var e = assertThrows(CheckpointException.class, () -> loader.load("half", 2, 2));
            assertEquals("fixed: tensor 'half' expected shape [2, 2], found [4]", e.getMessage());
        }
    }

    @Test void queryKeyValueAreStackedWithTheQueryScaled() {
        try (MemoryCheckpoint ck = BertTinyModels.random(BertTinyModels.TINY, "", tmp.resolve("qkv"), 4); NDManager m = manager.newSubManager()) {
            BertWeights w = BertWeights.load(new WeightLoader(ck, m), BertTinyModels.TINY);
            float[] q = ck.tensor("encoder.layer.1.attention.self.query.weight").toArray();
            float[] k = ck.tensor("encoder.layer.1.attention.self.key.weight").toArray();
            float[] v = ck.tensor("encoder.layer.1.attention.self.value.weight").toArray();
            float[] qkv = w.layers().get(1).qkvWeight().toFloatArray();                           // (3 · hidden, hidden)
            assertEquals(3 * q.length, qkv.length);
            float scale = (float) (1 / Math.sqrt(BertTinyModels.TINY.headDim()));
            for (int i = 0; i < q.length; i++) {
                assertEquals(q[i] * scale, qkv[i], 1e-6);
                assertEquals(k[i], qkv[q.length + i]);
                assertEquals(v[i], qkv[2 * q.length + i]);
            }
            float[] qb = ck.tensor("encoder.layer.1.attention.self.query.bias").toArray();
            assertEquals(qb[3] * scale, w.layers().get(1).qkvBias().toFloatArray()[3], 1e-6);
            var e = assertThrows(CheckpointException.class, () -> new WeightLoader(ck, m).stack(
                    List.of("encoder.layer.0.attention.self.query.weight", "encoder.layer.0.intermediate.dense.weight"), new float[] {1, 1}, 8, 8));
            assertTrue(e.getMessage().endsWith("tensor 'encoder.layer.0.intermediate.dense.weight' expected shape [8, 8], found [16, 8]"), e.getMessage());
        }
    }

    private record Stored(DType dtype, MemorySegment bytes) {}

    /** A checkpoint over fixed 1-D tensors of any dtype. */
    private static Checkpoint fixed(Map<String, Stored> tensors) {
        return new Checkpoint() {
            @Override public String label() { return "fixed"; }
            @Override public Optional<Path> modelDirectory() { return Optional.empty(); }
            @Override public List<Path> sources() { return List.of(); }
            @Override public List<TensorInfo> tensors() { return tensors.keySet().stream().map(n -> find(n).orElseThrow()).toList(); }
            @Override public Optional<TensorInfo> find(String name) {
                Stored s = tensors.get(name);
                return s == null ? Optional.empty()
                        : Optional.of(new TensorInfo(name, s.dtype(), Shape.of(s.bytes().byteSize() / s.dtype().byteSize()), Path.of("fixed")));
            }
            @Override public MemorySegment raw(String name) { return tensors.get(name).bytes().asReadOnly(); }
            @Override public Map<String, String> metadata() { return Map.of(); }
            @Override public void close() {}
        };
    }
}
