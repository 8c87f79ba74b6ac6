package alloy.eval.embed;

import static org.junit.jupiter.api.Assertions.assertEquals;

import alloy.tensor.FloatTensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The tiled transpose that hands MatMul weights to ONNX Runtime equals the plain one, ragged tiles included. */
class OrtTransposeTest {

    @Test
    void tiledTransposeEqualsThePlainOneOnEveryShape() {
        long[][] shapes = {{1, 1}, {1, 7}, {7, 1}, {3, 5}, {64, 64}, {65, 130}, {384, 1536}, {1536, 384}};
        Random random = new Random(5);
        try (Arena arena = Arena.ofConfined()) {
            for (long[] s : shapes) {
                long n = s[0] * s[1];
                MemorySegment in = arena.allocate(n * 4, 64), tiled = arena.allocate(n * 4, 64), plain = arena.allocate(n * 4, 64);
                for (long i = 0; i < n; i++) in.setAtIndex(FloatTensor.F32, i, random.nextFloat());
                OrtEncoderEngine.transpose(in, s[0], s[1], tiled);
                OrtEncoderEngine.transposePlain(in, s[0], s[1], plain);
                assertEquals(-1, tiled.mismatch(plain), s[0] + " x " + s[1]);
                // and it is a transpose: (r, c) lands at (c, r)
                long r = s[0] - 1, c = s[1] / 2;
                assertEquals(in.getAtIndex(FloatTensor.F32, r * s[1] + c), tiled.getAtIndex(FloatTensor.F32, c * s[0] + r), s[0] + " x " + s[1]);
            }
        }
    }
}
