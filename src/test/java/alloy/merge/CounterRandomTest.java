package alloy.merge;

import static org.junit.jupiter.api.Assertions.*;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CounterRandomTest {

    @Test
    void valuesArePureFunctionsOfSeedStreamAndIndex() {
        CounterRandom a = new CounterRandom(42, 3), b = new CounterRandom(42, 3);
        for (long i = 0; i < 1000; i += 7) assertEquals(a.uniform(i), b.uniform(i));
        // order of evaluation does not matter
        double late = a.uniform(999_999);
        assertEquals(late, new CounterRandom(42, 3).uniform(999_999));
    }

    @Test
    void uniformInUnitIntervalWithTheRightMoments() {
        CounterRandom r = new CounterRandom(7, 0);
        int n = 200_000;
        double sum = 0, sq = 0;
        for (int i = 0; i < n; i++) {
            double u = r.uniform(i);
            assertTrue(u >= 0 && u < 1);
            sum += u;
            sq += u * u;
        }
        assertEquals(0.5, sum / n, 0.003);
        assertEquals(1.0 / 3, sq / n, 0.003);
    }

    @Test
    void streamsAndSeedsAreUncorrelated() {
        int n = 100_000;
        for (long[] other : new long[][] {{7, 1}, {8, 0}}) {
            CounterRandom a = new CounterRandom(7, 0), b = new CounterRandom(other[0], other[1]);
            double cov = 0;
            int equalBits = 0;
            for (int i = 0; i < n; i++) {
                double u = a.uniform(i), v = b.uniform(i);
                cov += (u - 0.5) * (v - 0.5);
                if ((u < 0.5) == (v < 0.5)) equalBits++;
                // neighbouring indices of the other stream, which a Weyl-sequence shift would reproduce
                assertNotEquals(u, b.uniform(i + 1));
            }
            assertEquals(0, cov / n, 0.002);
            assertEquals(0.5, equalBits / (double) n, 0.01);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 7, 63, 64, 65, 1000, 4096 + 17})
    void vectorMaskEqualsElementByElement(int n) {
        try (Arena a = Arena.ofConfined()) {
            long words = Math.max(1, (n + 63) / 64);
            for (double p : new double[] {0, 1e-6, 0.1, 0.5, 0.9, 1}) {
                CounterRandom r = new CounterRandom(11, 2);
                long threshold = CounterRandom.threshold(p);
                MemorySegment fast = a.allocate(words * 8, 8), plain = a.allocate(words * 8, 8);
                r.fillBelow(threshold, fast, n);
                r.fillBelowReference(threshold, plain, n);
                assertArrayEquals(plain.toArray(ValueLayout.JAVA_LONG), fast.toArray(ValueLayout.JAVA_LONG), "p = " + p);
                for (int i = 0; i < n; i++) {
                    long bit = fast.getAtIndex(ValueLayout.JAVA_LONG, i >>> 6) >>> (i & 63) & 1;
                    assertEquals(r.uniform(i) < p ? 1 : 0, bit, "element " + i + ", p = " + p);
                }
            }
        }
    }

    @Test
    void maskKeepsTheRequestedFraction() {
        int n = 1 << 20;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment bits = a.allocate(n / 8, 8);
            new CounterRandom(3, 0).fillBelow(CounterRandom.threshold(0.3), bits, n);
            long kept = 0;
            for (long w = 0; w < n / 64; w++) kept += Long.bitCount(bits.getAtIndex(ValueLayout.JAVA_LONG, w));
            // binomial sd = sqrt(n p (1 - p)) ~ 469 elements
            assertEquals(0.3 * n, kept, 5 * 469);
        }
    }
}
