package alloy.io.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The tiled transpose (ONNX's [in, out] MatMul weights to Hugging Face's [out, in] on read, and back when a
 * candidate is handed to ONNX Runtime) equals the plain one on every shape, ragged tiles included, for 4- and
 * 2-byte elements.
 */
class OnnxTransposeTest {

    @Test
    void tiledTransposeEqualsThePlainOne() {
        long[][] shapes = {{1, 1}, {1, 7}, {7, 1}, {3, 5}, {32, 32}, {33, 65}, {384, 1536}, {1536, 384}};
        Random random = new Random(5);
        try (Arena arena = Arena.ofConfined()) {
            for (int size : new int[] {4, 2}) {
                for (long[] s : shapes) {
                    long bytes = s[0] * s[1] * size;
                    MemorySegment in = arena.allocate(bytes, 64), tiled = arena.allocate(bytes, 64), plain = arena.allocate(bytes, 64);
                    for (long i = 0; i < bytes; i++) in.set(ValueLayout.JAVA_BYTE, i, (byte) random.nextInt());
                    OnnxCheckpoint.transposeInto(in, s[0], s[1], size, tiled);
                    OnnxCheckpoint.transposePlain(in, s[0], s[1], size, plain);
                    assertEquals(-1, tiled.mismatch(plain), size + "-byte " + s[0] + " x " + s[1]);
                    // and it is a transpose: element (r, c) lands at (c, r)
                    long r = s[0] - 1, c = s[1] / 2;
                    assertEquals(-1, in.asSlice((r * s[1] + c) * size, size).mismatch(tiled.asSlice((c * s[0] + r) * size, size)), size + "-byte " + s[0] + " x " + s[1]);
                }
            }
        }
    }
}
