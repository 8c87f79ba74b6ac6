package alloy.lora;

import static org.junit.jupiter.api.Assertions.*;

import alloy.tensor.FloatTensor;
import alloy.tensor.Shape;
import java.lang.foreign.Arena;
import org.junit.jupiter.api.Test;

class LoraKernelsTest {

    /** Shapes that exercise 4-vector tiles, single vectors, scalar tails and several column panels. */
    private static final int[][] SHAPES = {{1, 1, 1}, {3, 4, 5}, {17, 8, 33}, {64, 16, 300}, {5, 1, 257}, {40, 64, 520}, {2, 3, 1030}};

    @Test
    void fastAgreesWithReference() {
        long seed = 1;
        for (int[] s : SHAPES) {
            int m = s[0], k = s[1], n = s[2];
            try (Arena a = Arena.ofConfined()) {
                FloatTensor l = FloatTensor.of(a, Shape.of(m, k), LoraFixtures.gaussian((long) m * k, seed++, 1));
                FloatTensor r = FloatTensor.of(a, Shape.of(k, n), LoraFixtures.gaussian((long) k * n, seed++, 1));
                float[] init = LoraFixtures.gaussian((long) m * n, seed++, 1);
                FloatTensor fast = FloatTensor.of(a, Shape.of(m, n), init);
                FloatTensor ref = FloatTensor.of(a, Shape.of(m, n), init);
                LoraKernels.fast().matmulAdd(l, r, fast);
                LoraKernels.reference().matmulAdd(l, r, ref);
                for (int i = 0; i < m; i++) {
                    for (int j = 0; j < n; j++) {
                        double mag = Math.abs(init[i * n + j]);
                        for (int p = 0; p < k; p++) mag += Math.abs(l.get((long) i * k + p) * r.get((long) p * n + j));
                        float f = fast.get((long) i * n + j), g = ref.get((long) i * n + j);
                        // the rigorous bound of a float sum of k + 1 terms: (k + 1) · unit roundoff · sum of magnitudes
                        assertTrue(Math.abs(f - g) <= (k + 1) * 0x1p-23 * mag + 1e-30,
                                "shape " + m + "x" + k + "x" + n + " element (" + i + "," + j + "): fast " + f + ", reference " + g);
                    }
                }
            }
        }
    }

    @Test
    void referenceIsTheTextbookProduct() {
        try (Arena a = Arena.ofConfined()) {
            // (2,3)·(3,2) by hand
            FloatTensor l = FloatTensor.of(a, Shape.of(2, 3), 1, 2, 3, 4, 5, 6);
            FloatTensor r = FloatTensor.of(a, Shape.of(3, 2), 7, 8, 9, 10, 11, 12);
            FloatTensor out = FloatTensor.of(a, Shape.of(2, 2), 1, 0, 0, -1);
            LoraKernels.reference().matmulAdd(l, r, out);
            assertArrayEquals(new float[] {59, 64, 139, 153}, out.toArray());
            FloatTensor out2 = FloatTensor.of(a, Shape.of(2, 2), 1, 0, 0, -1);
            LoraKernels.fast().matmulAdd(l, r, out2);
            assertArrayEquals(new float[] {59, 64, 139, 153}, out2.toArray());
        }
    }

    @Test
    void transposedDeltaIsTheExactTranspose() {
        try (Arena a = Arena.ofConfined()) {
            int r = 6, in = 37, out = 21;
            FloatTensor aT = FloatTensor.of(a, Shape.of(r, in), LoraFixtures.gaussian(r * in, 5, 1));
            FloatTensor bT = FloatTensor.of(a, Shape.of(out, r), LoraFixtures.gaussian(out * r, 6, 1));
            FloatTensor plain = FloatTensor.allocate(a, Shape.of(out, in));
            FloatTensor flipped = FloatTensor.allocate(a, Shape.of(in, out));
            LoraKernels.fast().addDelta(aT, bT, 0.75, false, plain, a);
            LoraKernels.fast().addDelta(aT, bT, 0.75, true, flipped, a);
            for (int i = 0; i < out; i++) {
                for (int j = 0; j < in; j++) assertEquals(plain.get((long) i * in + j), flipped.get((long) j * out + i), "(" + i + "," + j + ")");
            }
            double[] want = LoraFixtures.matmul(bT.toArray(), aT.toArray(), out, r, in);
            for (int i = 0; i < want.length; i++) want[i] *= 0.75;
            assertTrue(LoraFixtures.maxRelErr(plain.toArray(), want) < 1e-5);
        }
    }

    @Test
    void shapeErrorsNameBothShapes() {
        try (Arena a = Arena.ofConfined()) {
            FloatTensor l = FloatTensor.allocate(a, Shape.of(2, 3));
            FloatTensor r = FloatTensor.allocate(a, Shape.of(4, 2));
            FloatTensor out = FloatTensor.allocate(a, Shape.of(2, 2));
            var e = assertThrows(IllegalArgumentException.class, () -> LoraKernels.fast().matmulAdd(l, r, out));
            assertTrue(e.getMessage().contains("[2, 3]") && e.getMessage().contains("[4, 2]"), e.getMessage());
        }
    }
}
