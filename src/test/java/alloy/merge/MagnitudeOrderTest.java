package alloy.merge;

import static org.junit.jupiter.api.Assertions.*;

import alloy.tensor.FloatTensor;
import alloy.tensor.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The radix selection and sort against their sort-based twins. */
class MagnitudeOrderTest {

    private final MagnitudeOrder fast = MagnitudeOrder.fast(), ref = MagnitudeOrder.reference();

    /** Values with many exact ties (including +0 and -0) and a spread of exponents. */
    static FloatTensor tied(Arena a, int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (r.nextInt(4)) {
                case 0 -> r.nextInt(9) - 4;                               // small integers, zeros of both signs below
                case 1 -> (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-6, 4)));
                case 2 -> r.nextBoolean() ? 0f : -0f;
                default -> (float) r.nextGaussian();
            };
        }
        return FloatTensor.of(a, Shape.of(n), v);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 7, 64, 1000, 100_003})
    void topCutsEqualTheReference(int n) {
        try (Arena a = Arena.ofConfined()) {
            FloatTensor x = tied(a, n, n);
            for (long k : new long[] {0, 1, n / 3, n / 2, n - 1, n}) {
                if (k < 0 || k > n) continue;
                assertEquals(ref.top(x, k), fast.top(x, k), "n " + n + " k " + k);
            }
        }
    }

    /** A million elements: buckets of the first histogram hold many thousands, and one magnitude may fill all. */
    @Test
    void cutsOfLargeTensorsEqualTheReference() {
        int n = (1 << 20) + 17;
        try (Arena a = Arena.ofConfined()) {
            FloatTensor gaussian = FloatTensor.allocate(a, Shape.of(n)), constant = FloatTensor.allocate(a, Shape.of(n));
            SplittableRandom r = new SplittableRandom(5);
            for (int i = 0; i < n; i++) {
                gaussian.set(i, (float) (r.nextGaussian() * 0.01));
                constant.set(i, i % 2 == 0 ? 0.5f : -0.5f);   // one magnitude: only the tie count decides
            }
            for (FloatTensor x : new FloatTensor[] {gaussian, constant}) {
                for (long k : new long[] {1, n / 2, n - 1}) {
                    assertEquals(ref.top(x, k), fast.top(x, k), "k " + k);
                }
            }
        }
    }

    @Test
    void topCutKeepsExactlyKAndNothingSmallerThanWhatItDrops() {
        try (Arena a = Arena.ofConfined()) {
            FloatTensor x = tied(a, 5000, 3);
            for (long k : new long[] {1, 17, 2500, 4999}) {
                MagnitudeOrder.Scan s = fast.top(x, k).scan();
                float minKept = Float.MAX_VALUE, maxDropped = -1;
                long kept = 0;
                for (int i = 0; i < 5000; i++) {
                    float m = Math.abs(x.get(i));
                    if (s.test(MagnitudeOrder.magnitudeBits(x.data(), i))) {
                        kept++;
                        minKept = Math.min(minKept, m);
                    } else {
                        maxDropped = Math.max(maxDropped, m);
                    }
                }
                assertEquals(k, kept);
                assertTrue(minKept >= maxDropped, "k " + k);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 5, 16, 33, 1000, 65_537})
    void keepBandEqualsTheReferenceAndTheRankDefinition(int n) {
        try (Arena a = Arena.ofConfined()) {
            FloatTensor x = tied(a, n, 100 + n);
            // rank by decreasing magnitude, ties by index: the definition the cuts implement
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) order[i] = i;
            java.util.Arrays.sort(order, java.util.Comparator.<Integer>comparingInt(i -> -MagnitudeOrder.magnitudeBits(x.data(), i))
                    .thenComparingInt(i -> i));
            int[] rank = new int[n];
            for (int r = 0; r < n; r++) rank[order[r]] = r;
            for (long[] band : new long[][] {{0, n / 2}, {n / 10, n / 2}, {0, n}, {n / 3, n / 3}, {1, n - 1}, {0, 0}}) {
                if (band[0] > band[1] || band[1] > n) continue;
                FloatTensor f = x.copy(a), r = x.copy(a);
                fast.keepBand(f, fast.top(x, band[0]), fast.top(x, band[1]));
                ref.keepBand(r, ref.top(x, band[0]), ref.top(x, band[1]));
                assertArrayEquals(r.toArray(), f.toArray(), "band " + java.util.Arrays.toString(band));
                MemorySegment fastBits = fast.bandBits(x, fast.top(x, band[0]), fast.top(x, band[1]), a);
                MemorySegment refBits = ref.bandBits(x, ref.top(x, band[0]), ref.top(x, band[1]), a);
                for (int i = 0; i < n; i++) {
                    boolean in = rank[i] >= band[0] && rank[i] < band[1];
                    assertEquals(Float.floatToRawIntBits(in ? x.get(i) : 0f), Float.floatToRawIntBits(f.get(i)), "element " + i);
                    assertEquals(in, MergeSupport.bit(fastBits, i), "bit " + i + " of band " + java.util.Arrays.toString(band));
                    assertEquals(in, MergeSupport.bit(refBits, i), "reference bit " + i);
                }
            }
        }
    }

    @Test
    void topRefusesKOutsideTheTensor() {
        FloatTensor x = FloatTensor.of(1, 2, 3);
        assertThrows(IllegalArgumentException.class, () -> fast.top(x, 4));
        assertThrows(IllegalArgumentException.class, () -> fast.top(x, -1));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 255, 256, 257, 4096, 70_000})
    void fibreSortsEqualTheReference(int length) {
        try (Arena a = Arena.ofConfined()) {
            int fibres = 3;
            FloatTensor x = tied(a, length * fibres, length);
            MagnitudeOrder.FiberSorter fs = fast.sorter(a, length), rs = ref.sorter(a, length);
            for (int f = 0; f < fibres; f++) {
                // contiguous rows, then columns of the (length, fibres) matrix
                for (long[] startStride : new long[][] {{(long) f * length, 1}, {f, fibres}}) {
                    MemorySegment got = fs.ascending(x, startStride[0], startStride[1], length);
                    MemorySegment want = rs.ascending(x, startStride[0], startStride[1], length);
                    assertArrayEquals(want.toArray(ValueLayout.JAVA_INT), got.toArray(ValueLayout.JAVA_INT));
                }
            }
        }
    }
}
