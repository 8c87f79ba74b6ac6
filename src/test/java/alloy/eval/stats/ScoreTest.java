package alloy.eval.stats;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class ScoreTest {

    @Test
    void printsValueIntervalAndCount() {
        Score s = new Score("recall@1", 0.78, 0.7, 0.86, 50, new double[50]);
        assertEquals("recall@1 0.780 [0.700, 0.860] (n=50)", s.toString());
        assertEquals(0.08, s.halfWidth(), 1e-12);
        assertTrue(s.hasItems());
        assertTrue(s.contains(0.7) && !s.contains(0.69));
    }

    @Test
    void refusesInconsistentValues() {
        assertThrows(IllegalArgumentException.class, () -> new Score("acc", 0.9, 0.1, 0.5, 3, new double[3]));
        assertThrows(IllegalArgumentException.class, () -> new Score("acc", 0.3, 0.5, 0.1, 3, new double[3]));
        assertThrows(IllegalArgumentException.class, () -> new Score("acc", 0.3, 0.1, 0.5, 0, new double[0]));
        assertThrows(IllegalArgumentException.class, () -> new Score(" ", 0.3, 0.1, 0.5, 1));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Score("acc", 0.3, 0.1, 0.5, 4, new double[3]));
        assertTrue(e.getMessage().contains("acc") && e.getMessage().contains("n=4"), e.getMessage());
    }

    @Test
    void undefinedStatisticsAreAllowed() {
        Score s = new Score("spearman", Double.NaN, Double.NaN, Double.NaN, 10);
        assertFalse(s.hasItems());
        assertEquals("spearman NaN [NaN, NaN] (n=10)", s.toString());
        new Score("spearman", 0.4, Double.NaN, Double.NaN, 10);   // an interval no resample could estimate
    }

    @Test
    void keepsItsOwnCopyOfTheItems() {
        double[] items = {1, 0, 1};
        Score s = new Score("acc", 2 / 3.0, 0, 1, 3, items);
        items[0] = 7;
        assertEquals(1, s.items()[0]);
        s.items()[1] = 7;
        assertEquals(0, s.items()[1]);
        assertEquals(new Score("acc", 2 / 3.0, 0, 1, 3, new double[] {1, 0, 1}), s, "equal by content");
    }
}
