package alloy.eval.stats;

import static org.junit.jupiter.api.Assertions.*;

import org.junit.jupiter.api.Test;

class QuadraticFitTest {

    private static final double[] XS = {0, 0.2, 0.4, 0.6, 0.8, 1.0};

    private static double[] parabola(double a, double b, double c) {
        double[] ys = new double[XS.length];
        for (int i = 0; i < XS.length; i++) ys[i] = a * XS[i] * XS[i] + b * XS[i] + c;
        return ys;
    }

    @Test
    void recoversAnExactParabola() {
        QuadraticFit f = QuadraticFit.fit(XS, parabola(-2, 1.6, 0.3));
        assertEquals(-2, f.a(), 1e-12);
        assertEquals(1.6, f.b(), 1e-12);
        assertEquals(0.3, f.c(), 1e-12);
        assertEquals(1, f.r2(), 1e-12);
        assertTrue(f.isConcave());
        assertEquals(0.4, f.vertex(), 1e-12);
        assertEquals(0.62, f.at(0.4), 1e-12);
        QuadraticFit.Proposal p = f.proposal(0, 1, 0.5);
        assertEquals(0.4, p.x(), 1e-12);
        assertEquals(QuadraticFit.Rule.VERTEX, p.rule());
        assertTrue(p.reason().contains("vertex"), p.reason());
    }

    @Test
    void clampsTheVertexToTheRange() {
        QuadraticFit f = QuadraticFit.fit(XS, parabola(-2, 1.6, 0.3));
        QuadraticFit.Proposal below = f.proposal(0, 0.3, 0.5), above = f.proposal(0.5, 1, 0.5);
        assertEquals(0.3, below.x(), 0);
        assertEquals(0.5, above.x(), 0);
        assertEquals(QuadraticFit.Rule.CLAMPED_VERTEX, below.rule());
        assertTrue(below.reason().contains("clamped"), below.reason());
    }

    @Test
    void convexDataFallsBackToTheBestSample() {
        QuadraticFit f = QuadraticFit.fit(XS, parabola(1, -0.9, 0));   // minimum at 0.45; best sampled at x = 1 (0.1)
        assertFalse(f.isConcave());
        QuadraticFit.Proposal p = f.proposal(0, 1, 0.5);
        assertEquals(QuadraticFit.Rule.BEST_SAMPLE, p.rule());
        assertEquals(1.0, p.x(), 0);
        assertTrue(p.reason().contains("not concave"), p.reason());
        assertEquals(0.0, f.proposal(0, 0.9, 0.5).x(), 0, "only samples inside the range count");
    }

    @Test
    void handComputedLeastSquaresFit() {
        // x = -2..2, y = (0,1,1,1,0): Σx = Σx³ = 0, Σx² = 10, Σx⁴ = 34, Σy = 3, Σxy = 0, Σx²y = 2.
        // b = 0; [34 10; 10 5] (a, c) = (2, 3) gives a = -2/7, c = 41/35; SSres = 2/35, SStot = 6/5, R² = 20/21.
        QuadraticFit f = QuadraticFit.fit(new double[] {-2, -1, 0, 1, 2}, new double[] {0, 1, 1, 1, 0});
        assertEquals(-2.0 / 7, f.a(), 1e-12);
        assertEquals(0, f.b(), 1e-12);
        assertEquals(41.0 / 35, f.c(), 1e-12);
        assertEquals(20.0 / 21, f.r2(), 1e-12);
        assertEquals(QuadraticFit.Rule.VERTEX, f.proposal(-2, 2, 0.9).rule());
        QuadraticFit.Proposal strict = f.proposal(-2, 2, 0.99);
        assertEquals(QuadraticFit.Rule.BEST_SAMPLE, strict.rule());
        assertEquals(-1, strict.x(), 0, "the first of the equally best samples");
        assertTrue(strict.reason().contains("R²=0.952 < 0.990"), strict.reason());
    }

    @Test
    void staysAccurateFarFromZeroAndAtSmallScales() {
        double[] xs = {1000, 1001, 1002, 1003}, ys = new double[4];
        for (int i = 0; i < 4; i++) ys[i] = -(xs[i] - 1001.5) * (xs[i] - 1001.5) + 3;
        QuadraticFit far = QuadraticFit.fit(xs, ys);
        assertEquals(1001.5, far.vertex(), 1e-8);
        assertEquals(1, far.r2(), 1e-9);
        double[] tiny = {1e-6, 2e-6, 3e-6, 4e-6}, ty = new double[4];
        for (int i = 0; i < 4; i++) ty[i] = -1e12 * (tiny[i] - 2.2e-6) * (tiny[i] - 2.2e-6);
        assertEquals(2.2e-6, QuadraticFit.fit(tiny, ty).vertex(), 1e-15);
    }

    @Test
    void repeatedXValuesAreAllowedButThreeDistinctAreNeeded() {
        QuadraticFit f = QuadraticFit.fit(new double[] {0, 0, 1, 2}, new double[] {0, 2, 0, -3});
        assertTrue(f.r2() < 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> QuadraticFit.fit(new double[] {1, 1, 2}, new double[] {1, 2, 3}));
        assertTrue(e.getMessage().contains("3 distinct") && e.getMessage().contains("got 2"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> QuadraticFit.fit(new double[] {0, 1, 2}, new double[] {1, 2}));
        assertThrows(IllegalArgumentException.class, () -> QuadraticFit.fit(new double[] {0, 1, 2}, new double[] {1, Double.NaN, 2}));
        assertThrows(IllegalArgumentException.class, () -> QuadraticFit.fit(XS, parabola(-1, 0, 0)).proposal(1, 0, 0.5));
    }

    @Test
    void constantScoresFitExactlyAndFallBack() {
        QuadraticFit f = QuadraticFit.fit(XS, new double[] {0.5, 0.5, 0.5, 0.5, 0.5, 0.5});
        assertEquals(1, f.r2(), 0);
        assertEquals(0, f.a(), 1e-12);
        assertEquals(QuadraticFit.Rule.BEST_SAMPLE, f.proposal(0, 1, 0.5).rule());
    }
}
