package alloy.tensor;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The Vector API kernels against their scalar twins, on lengths that exercise the tail loops. */
class KernelsTest {

    private final Kernels fast = Kernels.fast(), ref = Kernels.reference();

    static FloatTensor random(Arena a, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
        return FloatTensor.of(a, Shape.of(n), v);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 7, 16, 33, 1000, 100_003})
    void elementwiseOpsEqualReferenceExactly(int n) {
        try (Arena a = Arena.ofConfined()) {
            FloatTensor x = random(a, n, 1), y = random(a, n, 2), z = random(a, n, 3);
            FloatTensor o1 = FloatTensor.allocate(a, x.shape()), o2 = FloatTensor.allocate(a, x.shape());
            float[] w = {0.3f, -1.25f, 0.7f};
            fast.weightedSum(List.of(x, y, z), w, o1);
            ref.weightedSum(List.of(x, y, z), w, o2);
            assertArrayEquals(o2.toArray(), o1.toArray(), 1e-6f);
            fast.sub(x, y, o1);
            ref.sub(x, y, o2);
            assertArrayEquals(o2.toArray(), o1.toArray());
            fast.lerp(x, y, 0.3f, o1);
            ref.lerp(x, y, 0.3f, o2);
            assertArrayEquals(o2.toArray(), o1.toArray(), 1e-6f);
            FloatTensor c1 = x.copy(a), c2 = x.copy(a);
            fast.axpy(-0.5f, y, c1);
            ref.axpy(-0.5f, y, c2);
            assertArrayEquals(c2.toArray(), c1.toArray(), 1e-6f);
            fast.scale(c1, 3f);
            ref.scale(c2, 3f);
            assertArrayEquals(c2.toArray(), c1.toArray(), 1e-5f);
            assertEquals(ref.countOpposite(x, y), fast.countOpposite(x, y));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 15, 1024, 1_000_001})
    void reductionsAgreeWithReference(int n) {
        try (Arena a = Arena.ofConfined()) {
            FloatTensor x = random(a, n, 5), y = random(a, n, 6);
            // The fast path multiplies in float and accumulates in double; the reference multiplies in double.
            // Each product then differs by at most one float rounding (2^-24 relative), hence the bound.
            double scale = Math.sqrt(ref.sumSquares(x) * ref.sumSquares(y));
            assertEquals(ref.dot(x, y), fast.dot(x, y), 0x1p-23 * scale + 1e-12);
            assertEquals(ref.sumSquares(x), fast.sumSquares(x), 0x1p-23 * ref.sumSquares(x));
            assertEquals(ref.sumAbs(x), fast.sumAbs(x), 1e-9 * ref.sumAbs(x));
        }
    }

    @Test
    void nonFiniteFoundAtItsIndex() {
        try (Arena a = Arena.ofConfined()) {
            FloatTensor x = random(a, 1000, 9);
            assertEquals(-1, fast.firstNonFinite(x));
            x.set(517, Float.NaN);
            x.set(900, Float.POSITIVE_INFINITY);
            assertEquals(517, fast.firstNonFinite(x));
            assertEquals(517, ref.firstNonFinite(x));
            x.set(517, 0);
            assertEquals(900, fast.firstNonFinite(x));
            FloatTensor tail = random(a, 19, 3);
            tail.set(18, Float.NEGATIVE_INFINITY);
            assertEquals(18, fast.firstNonFinite(tail));
        }
    }

    @Test
    void codecRoundsBf16ToNearestEvenAndKeepsF16() {
        // 1 + 2^-8 lies exactly halfway between two bf16 values (1 and 1 + 2^-7): ties go to the even mantissa, 1.
        assertEquals(1f, Codec.bf16ToFloat(Codec.floatToBf16(1f + 0x1p-8f)));
        assertEquals(1f + 0x1p-7f, Codec.bf16ToFloat(Codec.floatToBf16(1f + 0x1p-8f + 0x1p-20f)));
        assertTrue(Float.isNaN(Codec.bf16ToFloat(Codec.floatToBf16(Float.NaN))));
        try (Arena a = Arena.ofConfined()) {
            FloatTensor x = FloatTensor.of(a, Shape.of(4), 0.1f, -2.5f, 65504f, 1e-8f);
            var seg = a.allocate(8);
            Codec.encode(x, DType.F16, seg);
            float[] back = Codec.decode(seg, DType.F16, x.shape(), a).toArray();
            assertArrayEquals(new float[] {Float.float16ToFloat(Float.floatToFloat16(0.1f)), -2.5f, 65504f, 0f}, back);
        }
    }
}
