package alloy.io;

import static alloy.io.SafetensorsTest.floats;
import static alloy.io.SafetensorsTest.handMade;
import static org.junit.jupiter.api.Assertions.*;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Headers that lie: every one is a one-line CheckpointException naming the file and tensor, never a truncation or an OOM. */
class MalformedSafetensorsTest {

    @TempDir Path dir;

    private CheckpointException refused(String header, byte[] data) throws IOException {
        Path f = handMade(dir.resolve("bad.safetensors"), header, data);
        CheckpointException e = assertThrows(CheckpointException.class, () -> SafetensorsFile.open(f).close());
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        return e;
    }

    @Test
    void fractionalShapeIsRefusedNotTruncated() throws IOException {
        // asLong would read [2.5] as [2], which matches the 8 bytes
        CheckpointException e = refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}", floats(1, 2));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("2.5"), e.getMessage());
    }

    @Test
    void fractionalOffsetsAreRefusedNotTruncated() throws IOException {
        // asLong would read [0.9, 8.9] as [0, 8]
        CheckpointException e = refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0.9,8.9]}}", floats(1, 2));
        assertTrue(e.getMessage().contains("'w'") && e.getMessage().contains("data_offsets"), e.getMessage());
    }

    @Test
    void textAndNegativeNumbersAreRefused() throws IOException {
        assertTrue(refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", floats(1, 2)).getMessage().contains("shape"));
        assertTrue(refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", floats(1, 2)).getMessage().contains("data_offsets"));
        assertTrue(refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[1e30],\"data_offsets\":[0,8]}}", floats(1, 2)).getMessage().contains("shape"));
    }

    @Test
    void byteCountOverflowIsRefused() throws IOException {
        // 2^62 float32 elements are 2^64 bytes: the product wraps to 0, which empty offsets would match
        CheckpointException e = refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,0]}}", new byte[0]);
        assertTrue(e.getMessage().contains("'w'"), e.getMessage());
    }

    @Test
    void aNameTwiceIsRefused() throws IOException {
        CheckpointException e = refused("{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", floats(1, 2));
        assertTrue(e.getMessage().contains("'w'"), e.getMessage());
    }

    /** A header declaring 10^12 float32 elements over a sparse file of 4 TB: consistent, and far beyond memory. */
    private Path sparseGiant(String name) throws IOException {
        String header = "{\"model.embed.weight\":{\"dtype\":\"F32\",\"shape\":[1000000,1000000],\"data_offsets\":[0,4000000000000]}}";
        Path f = handMade(dir.resolve(name), header, new byte[0]);
        try (RandomAccessFile raf = new RandomAccessFile(f.toFile(), "rw")) {
            raf.setLength(8 + header.getBytes(StandardCharsets.UTF_8).length + 4_000_000_000_000L);
        }
        return f;
    }

    @Test
    void giantTensorOverASparseFileIsRefusedOnRead() throws IOException {
        Path f = sparseGiant("giant.safetensors");
        try (SafetensorsFile st = SafetensorsFile.open(f); Arena a = Arena.ofConfined()) {
            CheckpointException e = assertThrows(CheckpointException.class, () -> st.read("model.embed.weight", a));
            assertTrue(e.getMessage().startsWith(f.toString()) && e.getMessage().contains("'model.embed.weight'")
                    && e.getMessage().contains("memory"), e.getMessage());
        }
    }

    @Test
    void inspectOfGiantTensorsEndsWithOneLine() throws IOException {
        Path a = sparseGiant("a.safetensors"), b = sparseGiant("b.safetensors");
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        int code;
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            code = alloy.cli.Main.run("inspect", a.toString(), b.toString());
        } finally {
            System.setErr(err);
        }
        String out = captured.toString(StandardCharsets.UTF_8).strip();
        assertEquals(1, code, out);
        assertTrue(out.startsWith("error: ") && out.contains("'model.embed.weight'") && !out.contains("\n"), out);
    }
}
