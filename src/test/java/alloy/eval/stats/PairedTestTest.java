package alloy.eval.stats;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Random;
import org.junit.jupiter.api.Test;

class PairedTestTest {

    @Test
    void signTestExactValues() {
        assertEquals(0.021484375, PairedTest.signTest(9, 1), 0);   // 2 · (C(10,0) + C(10,1)) / 2^10 = 22 / 1024
        assertEquals(0.021484375, PairedTest.signTest(1, 9), 0);
        assertEquals(0.109375, PairedTest.signTest(8, 2), 0);       // 2 · (1 + 10 + 45) / 1024
        assertEquals(0.001953125, PairedTest.signTest(10, 0), 0);   // 2 / 1024
        assertEquals(0.0625, PairedTest.signTest(0, 5), 0);         // 2 / 32
        assertEquals(1.0, PairedTest.signTest(5, 5), 0);
        assertEquals(1.0, PairedTest.signTest(0, 0), 0);
        assertEquals(1.0, PairedTest.signTest(1, 0), 0);
    }

    @Test
    void signTestAgreesWithALogSpaceSumForLargeCounts() {
        int wins = 600, losses = 400, n = wins + losses;
        double tail = 0;
        for (int j = 0; j <= losses; j++) {
            double logChoose = 0;
            for (int i = 1; i <= j; i++) logChoose += Math.log(n - j + i) - Math.log(i);
            tail += Math.exp(logChoose - n * Math.log(2));
        }
        assertEquals(2 * tail, PairedTest.signTest(wins, losses), 2 * tail * 1e-9);
        assertTrue(PairedTest.signTest(wins, losses) < 1e-9);
    }

    @Test
    void findsAConstantGain() {
        Random r = new Random(11);
        double[] a = new double[60], b = new double[60];
        for (int i = 0; i < 60; i++) {
            a[i] = r.nextDouble();
            b[i] = a[i] + 0.1;
        }
        PairedComparison c = PairedTest.compare("acc", a, b, Bootstrap.defaults());
        assertEquals(0.1, c.meanDiff(), 1e-12);
        assertEquals(0.1, c.lower(), 1e-12);
        assertEquals(0.1, c.upper(), 1e-12);
        assertEquals(60, c.wins());
        assertEquals(0, c.losses() + c.ties());
        assertEquals(2.0 / 2001, c.bootstrapP(), 1e-15, "no resample reaches 0: the smallest p 2000 resamples can give");
        assertEquals(Math.scalb(1.0, -59), c.signTestP(), 0);
        assertTrue(c.significant());
        assertTrue(c.significant(0.01));
        String v = c.verdict();
        assertTrue(v.startsWith("acc: B better than A by +0.100 [0.100, 0.100], p<0.001 (paired bootstrap), sign test 60-0 p<0.001"), v);
        assertTrue(v.endsWith(": real"), v);
        PairedComparison back = PairedTest.compare("acc", b, a, Bootstrap.defaults());
        assertTrue(back.verdict("base", "merge").startsWith("acc: merge worse than base by -0.100"), back.verdict("base", "merge"));
    }

    @Test
    void symmetricNoiseIsWithinNoise() {
        Random r = new Random(12);
        double[] a = new double[60], b = new double[60];
        for (int i = 0; i < 60; i++) {
            a[i] = r.nextDouble();
            b[i] = a[i] + (i % 2 == 0 ? 0.05 : -0.05);
        }
        PairedComparison c = PairedTest.compare("acc", a, b, Bootstrap.defaults());
        assertEquals(0, c.meanDiff(), 1e-12);
        assertTrue(c.lower() < 0 && c.upper() > 0, c.toString());
        assertTrue(c.bootstrapP() > 0.5, c.toString());
        assertEquals(30, c.wins());
        assertEquals(30, c.losses());
        assertEquals(1.0, c.signTestP(), 0);
        assertFalse(c.significant());
        assertTrue(c.verdict().endsWith(": within noise"), c.verdict());
    }

    @Test
    void identicalCandidatesDoNotDiffer() {
        double[] a = {1, 0, 1, 1, 0};
        PairedComparison c = PairedTest.compare("em", a, a.clone(), Bootstrap.defaults());
        assertEquals(0, c.meanDiff(), 0);
        assertEquals(1, c.bootstrapP(), 0);
        assertEquals(5, c.ties());
        assertTrue(c.verdict().contains("B same as A"), c.verdict());
    }

    @Test
    void verdictReadsAsOneLine() {
        PairedComparison c = new PairedComparison("recall@1", 0.06, 0.02, 0.10, 0.004, 9, 2, 39, 0.065);
        assertEquals("recall@1: B better than A by +0.060 [0.020, 0.100], p=0.004 (paired bootstrap), sign test 9-2 p=0.065: real"
                + " (bootstrap decides; the sign test disagrees)", c.verdict());
        PairedComparison agree = new PairedComparison("recall@1", 0.06, 0.02, 0.10, 0.004, 9, 1, 40, 0.021);
        assertTrue(agree.verdict().endsWith("p=0.021: real"), agree.verdict());
        // a mean difference that rounds to zero is printed as equal, not as "worse by -0.000"
        PairedComparison tiny = new PairedComparison("mrr", -0.0001, -0.01, 0.01, 0.9, 1, 1, 28, 1.0);
        assertTrue(tiny.verdict().contains("B same as A by +0.000"), tiny.verdict());
        assertFalse(c.significant(0.001));
        assertThrows(IllegalArgumentException.class, () -> c.significant(0));
    }

    @Test
    void unequalLengthsAreNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PairedTest.compare("acc", new double[60], new double[3], Bootstrap.defaults()));
        assertTrue(e.getMessage().contains("acc") && e.getMessage().contains("A has 60") && e.getMessage().contains("B has 3"), e.getMessage());
        Score spearman = Bootstrap.defaults().statistic("spearman", 3, Metrics.spearmanOf(new double[] {1, 2, 3}, new double[] {1, 3, 2}));
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                () -> PairedTest.compare("spearman", spearman.items(), spearman.items(), Bootstrap.defaults()));
        assertTrue(none.getMessage().contains("whole-set statistic"), none.getMessage());
    }

    @Test
    void comparesWholeSetStatisticsOnTheSameResamples() {
        int n = 40;
        double[] gold = new double[n], good = new double[n], poor = new double[n];
        Random r = new Random(13);
        for (int i = 0; i < n; i++) {
            gold[i] = 5.0 * i / n;
            good[i] = gold[i] + 0.3 * r.nextGaussian();
            poor[i] = r.nextGaussian();
        }
        PairedComparison c = PairedTest.compare("spearman", n, Metrics.spearmanOf(poor, gold), Metrics.spearmanOf(good, gold), Bootstrap.defaults());
        assertEquals(Metrics.spearman(good, gold) - Metrics.spearman(poor, gold), c.meanDiff(), 1e-12);
        assertTrue(c.significant(), c.verdict());
        assertFalse(c.hasSignTest());
        assertFalse(c.verdict().contains("sign test"), c.verdict());
        PairedComparison same = PairedTest.compare("spearman", n, Metrics.spearmanOf(good, gold), Metrics.spearmanOf(good, gold), Bootstrap.defaults());
        assertEquals(0, same.meanDiff(), 0);
        assertFalse(same.significant());
    }
}
