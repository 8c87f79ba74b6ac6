package alloy.merge;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

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
}
