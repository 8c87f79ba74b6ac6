package alloy.merge;

import static org.junit.jupiter.api.Assertions.*;

import alloy.tensor.FloatTensor;
import alloy.tensor.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The Vector API vote against its scalar twin: the same bits, on lengths that exercise the tail. */
class SignVoteTest {

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 15, 16, 17, 64, 1000, 65_537})
    void fastEqualsReferenceBitForBit(int n) {
        // 1 to 4 models take the unrolled kernel, 5 the loop over models
        for (int m = 1; m <= SignVote.UNROLLED + 1; m++) fastEqualsReference(n, m);
    }

    private static void fastEqualsReference(int n, int m) {
        try (Arena a = Arena.ofConfined()) {
            SplittableRandom r = new SplittableRandom(n + 1000L * m);
            FloatTensor base = tensor(a, n, r, 0.05);
            // signed zeros in the base: b + (+0) and b + (-0) differ only there
            for (long j = 0; j < n; j += 7) base.set(j, j % 14 == 0 ? -0f : 0f);
            FloatTensor[] x = new FloatTensor[m];
            MemorySegment[] kept = new MemorySegment[m];
            for (int i = 0; i < m; i++) {
                x[i] = tensor(a, n, r, 0.01);
                for (long j = 0; j < n; j++) {
                    // some exact zeros and exact copies of the base, so that ties and zero deltas occur
                    if (r.nextInt(8) == 0) x[i].set(j, base.get(j));
                    else x[i].set(j, base.get(j) + x[i].get(j));
                }
                if (i % 2 == 0) {
                    FloatTensor mask = tensor(a, n, r, 1);
                    for (long j = 0; j < n; j++) if (r.nextBoolean()) mask.set(j, 0f);
                    kept[i] = MergeSupport.nonZeroBits(mask, a);
                }
            }
            float[] w = Arrays.copyOf(new float[] {0.5f, -0.25f, 1f, 0.75f, 0.3f}, m), scale = Arrays.copyOf(new float[] {1f, 1.5f, 2f, 1f, 0.5f}, m);
            for (boolean byCount : new boolean[] {false, true}) {
                for (boolean normalize : new boolean[] {false, true}) {
                    for (float lambda : new float[] {1f, 0.8f}) {
                        SignVote vote = new SignVote(base, x, w, scale, kept, byCount, normalize, lambda);
                        FloatTensor fast = FloatTensor.allocate(a, Shape.of(n)), ref = FloatTensor.allocate(a, Shape.of(n));
                        vote.fast(fast);
                        vote.reference(ref);
                        assertArrayEquals(ref.data().toArray(ValueLayout.JAVA_INT), fast.data().toArray(ValueLayout.JAVA_INT),
                                m + " models, byCount " + byCount + " normalize " + normalize + " lambda " + lambda);
                    }
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 63, 64, 65, 1000, 4096 + 17})
    void vectorBitsEqualScalarBits(int n) {
        try (Arena a = Arena.ofConfined()) {
            SplittableRandom r = new SplittableRandom(n);
            FloatTensor x = tensor(a, n, r, 1);
            for (long j = 0; j < n; j++) if (r.nextInt(3) == 0) x.set(j, r.nextBoolean() ? 0f : -0f);
            long words = Math.max(1, (n + 63) / 64);
            assertArrayEquals(MergeSupport.nonZeroBitsScalar(x, a).asSlice(0, words * 8).toArray(java.lang.foreign.ValueLayout.JAVA_LONG),
                    MergeSupport.nonZeroBits(x, a).asSlice(0, words * 8).toArray(java.lang.foreign.ValueLayout.JAVA_LONG));
            for (long j = 0; j < n; j++) assertEquals(x.get(j) != 0f, MergeSupport.bit(MergeSupport.nonZeroBits(x, a), j));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 63, 64, 65, 1000, 4096 + 17})
    void vectorKeepBitsEqualsScalar(int n) {
        try (Arena a = Arena.ofConfined()) {
            SplittableRandom r = new SplittableRandom(n + 5);
            FloatTensor x = tensor(a, n, r, 1), y = x.copy(a);
            long words = Math.max(1, (n + 63) / 64);
            MemorySegment mask = a.allocate(words * 8, 8);
            for (long w = 0; w < words; w++) mask.setAtIndex(ValueLayout.JAVA_LONG, w, w % 5 == 0 ? -1L : r.nextLong());
            MergeSupport.keepBits(x, mask);
            MergeSupport.keepBitsScalar(y, mask);
            assertArrayEquals(y.toArray(), x.toArray());
            FloatTensor original = tensor(a, n, new SplittableRandom(n + 5), 1);
            for (long j = 0; j < n; j++) {
                assertEquals(MergeSupport.bit(mask, j) ? original.get(j) : 0f, x.get(j), "element " + j);
            }
        }
    }

    private static FloatTensor tensor(Arena a, int n, SplittableRandom r, double sd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * sd);
        return FloatTensor.of(a, Shape.of(n), v);
    }
}
