package alloy.io;

import alloy.io.resolve.Checkpoints;
import static org.junit.jupiter.api.Assertions.*;

import alloy.tensor.DType;
import alloy.tensor.FloatTensor;
import alloy.tensor.Shape;
import alloy.testing.RandomModels;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {

    @TempDir Path dir;

    /** A safetensors file assembled byte by byte, independently of CheckpointWriter. */
    static Path handMade(Path file, String header, byte[] data) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        Files.write(file, b.array());
        return file;
    }

    static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) b.putFloat(x);
        return b.array();
    }

    @Test
    void readsHandMadeFileWithAllFloatDtypes() throws IOException {
        ByteBuffer data = ByteBuffer.allocate(8 + 4 + 4 + 16).order(ByteOrder.LITTLE_ENDIAN);
        data.putFloat(1.5f).putFloat(-2f);                                    // a: F32 [2]
        data.putShort(Float.floatToFloat16(0.25f)).putShort(Float.floatToFloat16(-3f)); // b: F16 [2]
        data.putShort((short) (Float.floatToIntBits(7f) >>> 16)).putShort((short) (Float.floatToIntBits(-0.5f) >>> 16)); // c: BF16
        data.putDouble(1e-3).putDouble(4.0);                                  // d: F64 [2]
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[8,12]},"
                + "\"c\":{\"dtype\":\"BF16\",\"shape\":[1,2],\"data_offsets\":[12,16]},"
                + "\"d\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[16,32]}}";
        Path f = handMade(dir.resolve("m.safetensors"), header, data.array());
        try (SafetensorsFile st = SafetensorsFile.open(f); Arena a = Arena.ofConfined()) {
            assertEquals(List.of("a", "b", "c", "d"), st.tensors().stream().map(TensorInfo::name).toList());
            assertEquals("pt", st.metadata().get("format"));
            assertArrayEquals(new float[] {1.5f, -2f}, st.read("a", a).toArray());
            assertArrayEquals(new float[] {0.25f, -3f}, st.read("b", a).toArray());
            assertEquals(Shape.of(1, 2), st.read("c", a).shape());
            assertArrayEquals(new float[] {7f, -0.5f}, st.read("c", a).toArray());
            assertArrayEquals(new float[] {1e-3f, 4f}, st.read("d", a).toArray());
        }
    }

    @Test
    void nonFloatDtypeIsCopiedButNotDecoded() throws IOException {
        Path f = handMade(dir.resolve("i.safetensors"), "{\"ids\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]);
        try (SafetensorsFile st = SafetensorsFile.open(f); Arena a = Arena.ofConfined()) {
            assertEquals(8, st.raw("ids").byteSize());
            CheckpointException e = assertThrows(CheckpointException.class, () -> st.read("ids", a));
            assertTrue(e.getMessage().contains("'ids'") && e.getMessage().contains("I64"), e.getMessage());
        }
    }

    @Test
    void writerRoundTripsShardedWithIndexAndMetadata() {
        Path out = RandomModels.write(dir.resolve("m"), RandomModels.Spec.tiny(), DType.BF16, 1, 2, 1.0, 20_000);
        assertTrue(Files.isRegularFile(out.resolve(Checkpoints.INDEX)));
        assertTrue(Files.isRegularFile(out.resolve("config.json")));
        try (Checkpoint c = Checkpoints.open(out); Arena a = Arena.ofConfined()) {
            assertInstanceOf(ShardedCheckpoint.class, c);
            Map<String, Shape> layout = RandomModels.layout(RandomModels.Spec.tiny());
            assertEquals(layout.size(), c.tensors().size());
            for (var e : layout.entrySet()) {
                FloatTensor t = c.read(e.getKey(), a);
                assertEquals(e.getValue(), t.shape());
                float[] want = RandomModels.values(e.getKey(), e.getValue().numel(), 1, 2, 1.0);
                for (int i = 0; i < want.length; i++) {
                    assertEquals(want[i], t.get(i), Math.abs(want[i]) / 128 + 1e-6, e.getKey() + "[" + i + "] bf16 rounding");
                }
            }
        }
    }

    @Test
    void truncatedFileNamesFile() throws IOException {
        Path f = dir.resolve("short.safetensors");
        Files.write(f, new byte[] {1, 2, 3});
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void headerLongerThanFile() throws IOException {
        Path f = dir.resolve("h.safetensors");
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).putLong(0);
        Files.write(f, b.array());
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().contains("header length 1000"), e.getMessage());
    }

    @Test
    void dataCutShortIsOutOfBounds() throws IOException {
        Path f = handMade(dir.resolve("cut.safetensors"), "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", floats(1, 2));
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("beyond the data buffer"), e.getMessage());
    }

    @Test
    void overlappingTensorsAreRefused() throws IOException {
        Path f = handMade(dir.resolve("o.safetensors"), "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", floats(1, 2, 3));
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().contains("overlap") && e.getMessage().contains("'a'") && e.getMessage().contains("'b'"), e.getMessage());
    }

    @Test
    void shapeAndOffsetsMustAgree() throws IOException {
        Path f = handMade(dir.resolve("s.safetensors"), "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", floats(1, 2));
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(f));
        assertTrue(e.getMessage().contains("needs 12 bytes"), e.getMessage());
    }

    @Test
    void indexNamingFileOutsideModelDirIsRefused() throws IOException {
        Path model = Files.createDirectories(dir.resolve("model"));
        handMade(dir.resolve("outside.safetensors"), "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", floats(1));
        Files.writeString(model.resolve(Checkpoints.INDEX), "{\"weight_map\":{\"w\":\"../outside.safetensors\"}}");
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.open(model));
        assertTrue(e.getMessage().contains("outside the model directory") && e.getMessage().contains("'w'"), e.getMessage());
    }

    @Test
    void writerLeavesNothingBehindWhenNotCommitted() {
        Path out = dir.resolve("never");
        var entries = List.of(new CheckpointWriter.Entry("a", DType.F32, Shape.of(4)), new CheckpointWriter.Entry("b", DType.F32, Shape.of(2)));
        try (CheckpointWriter w = CheckpointWriter.create(OutputTarget.of(out, false), entries, 1 << 20, Map.of())) {
            w.write("a", FloatTensor.of(1, 2, 3, 4));
            assertThrows(IllegalStateException.class, w::commit, "b was never written");
        }
        assertFalse(Files.exists(out));
        assertEquals(0, dir.toFile().list().length, "temporary directory removed");
    }

    @Test
    void writerRefusesToReplaceWithoutOverwrite() throws IOException {
        Path out = Files.createDirectories(dir.resolve("exists"));
        Files.writeString(out.resolve("keep.txt"), "precious");
        var entries = List.of(new CheckpointWriter.Entry("a", DType.F32, Shape.of(1)));
        CheckpointException e = assertThrows(CheckpointException.class, () -> CheckpointWriter.create(OutputTarget.of(out, false), entries, 1 << 20, Map.of()));
        assertTrue(e.getMessage().contains("--overwrite"), e.getMessage());
        assertEquals("precious", Files.readString(out.resolve("keep.txt")));
    }

    @Test
    void inputsAreNotModified() throws IOException {
        Path m = RandomModels.write(dir.resolve("m"), RandomModels.Spec.tiny(), DType.F32, 1, 1, 0, 1 << 30);
        Path f = m.resolve("model.safetensors");
        byte[] before = Files.readAllBytes(f);
        long mtime = Files.getLastModifiedTime(f).toMillis();
        try (Checkpoint c = Checkpoints.open(m); Arena a = Arena.ofConfined()) {
            for (TensorInfo t : c.tensors()) c.read(t.name(), a);
            assertThrows(IllegalArgumentException.class, () -> c.raw("model.norm.weight").set(java.lang.foreign.ValueLayout.JAVA_BYTE, 0, (byte) 1));
        }
        assertArrayEquals(before, Files.readAllBytes(f));
        assertEquals(mtime, Files.getLastModifiedTime(f).toMillis());
    }
}
