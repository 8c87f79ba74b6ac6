package alloy.io.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.io.CheckpointException;
import alloy.io.resolve.Checkpoints;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input fails on open with one line that names the file. */
class MalformedOnnxTest {

    private static CheckpointException refused(Path file) {
        CheckpointException e = assertThrows(CheckpointException.class, () -> Checkpoints.open(file).close());
        assertTrue(e.getMessage().contains(file.getFileName().toString()), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e;
    }

    @Test
    void truncatedRealFile(@TempDir Path tmp) throws Exception {
        Path model = RealModels.dir(RealModels.BGE).resolve("model.onnx");
        Path cut = tmp.resolve("cut.onnx");
        try (InputStream in = Files.newInputStream(model)) {
            Files.write(cut, in.readNBytes(1 << 20));
        }
        CheckpointException e = refused(cut);
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void truncatedInsideATensor(@TempDir Path tmp) throws Exception {
        byte[] full = Proto.linearModel(3, 2, new float[6], new float[2], Proto.Layout.RAW);
        Path cut = tmp.resolve("tiny-cut.onnx");
        Files.write(cut, java.util.Arrays.copyOf(full, full.length - 20));
        assertTrue(refused(cut).getMessage().contains("not a readable ONNX model"));
    }

    @Test
    void foreignFiles(@TempDir Path tmp) throws Exception {
        Path json = tmp.resolve("config.onnx");
        Files.writeString(json, "{\"architectures\": [\"BertModel\"]}\n");
        refused(json);
        Path text = tmp.resolve("notes.onnx");
        Files.writeString(text, "hello, this is not a model\n");
        refused(text);
        Path empty = tmp.resolve("empty.onnx");
        Files.write(empty, new byte[0]);
        assertTrue(refused(empty).getMessage().contains("empty"));
        // Valid protobuf, but no graph: not a ModelProto.
        Path noGraph = tmp.resolve("nograph.onnx");
        Files.write(noGraph, new Proto().varint(1, 7).string(2, "x").toBytes());
        assertTrue(refused(noGraph).getMessage().contains("no graph"));
    }

    @Test
    void externalDataIsRefusedByName(@TempDir Path tmp) throws Exception {
        Proto t = new Proto().varint(1, 2).varint(2, 1).string(8, "encoder.big.weight")
                .message(13, new Proto().string(1, "location").string(2, "model.onnx_data")).varint(14, 1);
        Path f = tmp.resolve("ext.onnx");
        Files.write(f, Proto.model(new Proto().message(5, t)));
        CheckpointException e = refused(f);
        assertTrue(e.getMessage().contains("'encoder.big.weight'") && e.getMessage().contains("model.onnx_data")
                && e.getMessage().contains("external"), e.getMessage());
    }

    @Test
    void sizeMismatchNamesTheTensor(@TempDir Path tmp) throws Exception {
        Proto t = new Proto().varint(1, 4).varint(2, 1).string(8, "w").bytes(9, new byte[12]);
        Path f = tmp.resolve("short.onnx");
        Files.write(f, Proto.model(new Proto().message(5, t)));
        assertEquals(f + ": initializer 'w': shape [4] of FLOAT needs 16 bytes, raw_data holds 12", refused(f).getMessage());
    }

    @Test
    void hugeShapeWithOneValueIsRefusedBeforeAllocating(@TempDir Path tmp) throws Exception {
        Proto t = new Proto().varint(1, 1L << 40).varint(2, 1).string(8, "encoder.w").fixed32(4, 1f);
        Path f = tmp.resolve("huge.onnx");
        Files.write(f, Proto.model(new Proto().message(5, t)));
        assertEquals(f + ": initializer 'encoder.w': shape [1099511627776] of FLOAT needs 1099511627776 values, the file holds 1 (float_data)",
                refused(f).getMessage());
    }

    @Test
    void wrongValueCountIsRefused(@TempDir Path tmp) throws Exception {
        float[] fifteen = new float[15];
        for (Proto.Layout layout : new Proto.Layout[] {Proto.Layout.PACKED_FLOAT_DATA, Proto.Layout.UNPACKED_FLOAT_DATA}) {
            Path f = tmp.resolve("count-" + layout + ".onnx");
            Files.write(f, Proto.model(new Proto().message(5, Proto.floatTensor("encoder.w", new long[] {4, 4}, fifteen, layout))));
            assertTrue(refused(f).getMessage().contains("needs 16 values, the file holds 15"), layout.toString());
        }
        Proto ints = new Proto().varint(1, 4).varint(2, 7).string(8, "ids").bytes(7, new byte[] {1, 2, 3});
        Path f = tmp.resolve("ints.onnx");
        Files.write(f, Proto.model(new Proto().message(5, ints)));
        assertTrue(refused(f).getMessage().contains("needs 4 values, the file holds 3 (int64_data)"));
    }

    @Test
    void byteCountOverflowIsRefused(@TempDir Path tmp) throws Exception {
        // 2^62 floats are 2^64 bytes: the product wraps to 0, which an empty raw_data would match
        Proto t = new Proto().varint(1, 1L << 62).varint(2, 1).string(8, "w").bytes(9, new byte[0]);
        Path f = tmp.resolve("wrap.onnx");
        Files.write(f, Proto.model(new Proto().message(5, t)));
        assertTrue(refused(f).getMessage().contains("'w'"));
    }

    @Test
    void inspectReportsOneLine(@TempDir Path tmp) throws Exception {
        Proto t = new Proto().varint(1, 1L << 40).varint(2, 1).string(8, "encoder.w").fixed32(4, 1f);
        Path f = tmp.resolve("huge.onnx");
        Files.write(f, Proto.model(new Proto().message(5, t)));
        var err = System.err;
        var captured = new java.io.ByteArrayOutputStream();
        int code;
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            code = alloy.cli.Main.run("inspect", f.toString(), f.toString());
        } finally {
            System.setErr(err);
        }
        String out = captured.toString(java.nio.charset.StandardCharsets.UTF_8).strip();
        assertEquals(1, code, out);
        assertTrue(out.startsWith("error: " + f) && out.contains("'encoder.w'") && !out.contains("\n"), out);
    }

    @Test
    void truncatedAfterOpenIsRefusedByName(@TempDir Path tmp) throws Exception {
        float[] w = new float[64 * 64];
        for (int i = 0; i < w.length; i++) w[i] = i;
        Path f = tmp.resolve("model.onnx");
        Files.write(f, Proto.linearModel(64, 64, w, new float[64], Proto.Layout.RAW));
        try (var c = Checkpoints.open(f); var arena = java.lang.foreign.Arena.ofConfined()) {
            try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.WRITE)) {
                ch.truncate(200);
            }
            for (var t : c.tensors()) {
                CheckpointException e = assertThrows(CheckpointException.class, () -> c.read(t.name(), arena), t.name());
                assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("'" + t.name() + "'"), e.getMessage());
            }
        }
    }
}
