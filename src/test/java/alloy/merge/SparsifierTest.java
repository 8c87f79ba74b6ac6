package alloy.merge;

import static alloy.merge.Fixture.*;
import static org.junit.jupiter.api.Assertions.*;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** DARE, breadcrumbs and DELLA masks: rates, expectations, reproducibility. */
class SparsifierTest {

    /** Which entries of a one-model merge moved away from the base. */
    private static boolean[] kept(float[] out, float[] base) {
        boolean[] k = new boolean[out.length];
        for (int i = 0; i < out.length; i++) k[i] = out[i] != base[i];
        return k;
    }

    private static double fraction(boolean[] k) {
        int c = 0;
        for (boolean b : k) if (b) c++;
        return c / (double) k.length;
    }

    private static Fixture dare(float[] base, float[] x, double density, long seed) {
        return Fixture.of("dare_linear").base(base).model("a", Map.of("weight", 1.0, "density", density), x).seed(seed);
    }

    /**
     * The kept set and norms that the sign election reads ({@link Sparsifier#keep}) agree with thinning the
     * materialised delta ({@link Sparsifier#apply}): DARE's override never writes the delta, magnitude takes
     * the default; fast and reference kernels alike.
     */
    @Test
    void keepAgreesWithApply() {
        int n = 64 * 50 + 13;
        java.util.SplittableRandom r = new java.util.SplittableRandom(4);
        try (java.lang.foreign.Arena a = java.lang.foreign.Arena.ofConfined()) {
            alloy.tensor.FloatTensor b = alloy.tensor.FloatTensor.allocate(a, alloy.tensor.Shape.of(n)), x = alloy.tensor.FloatTensor.allocate(a, alloy.tensor.Shape.of(n));
            for (int i = 0; i < n; i++) {
                b.set(i, (float) r.nextGaussian());
                x.set(i, i % 17 == 0 ? b.get(i) : b.get(i) + (float) (0.1 * r.nextGaussian()));   // some deltas exactly 0
            }
            Params gamma = new Params(Map.of("gamma", 0.05));
            for (Sparsifier s : new Sparsifier[] {new Sparsifier.Bernoulli(), new Sparsifier.Magnitude(), new Sparsifier.MagnitudeOutliers()}) {
                for (alloy.tensor.Kernels kernels : new alloy.tensor.Kernels[] {alloy.tensor.Kernels.fast(), alloy.tensor.Kernels.reference()}) {
                    var context = new Sparsifier.Context("t", "m", 99, 1, a);
                    Sparsifier.Kept k = s.keep(x, b, () -> alloy.tensor.FloatTensor.allocate(a, alloy.tensor.Shape.of(n)), 0.4, gamma, context, kernels, true);
                    alloy.tensor.FloatTensor delta = alloy.tensor.FloatTensor.allocate(a, alloy.tensor.Shape.of(n));
                    kernels.sub(x, b, delta);
                    double before = kernels.sumAbs(delta);
                    s.apply(delta, 0.4, gamma, context);
                    for (int i = 0; i < n; i++) {
                        if (delta.get(i) != 0f) assertTrue(MergeSupport.bit(k.bits(), i), s.name() + ": kept entry " + i + " has no bit");
                        else if (MergeSupport.bit(k.bits(), i)) assertEquals(b.get(i), x.get(i), s.name() + ": bit " + i + " set on a dropped entry");
                    }
                    assertEquals(before, k.before(), 1e-9 * before, s.name());
                    assertEquals(kernels.sumAbs(delta), k.after(), 1e-9 * before, s.name());
                }
            }
        }
    }

    @Test
    void dareKeepsTheRequestedDensity() {
        int n = 100_000;
        float[] base = new float[n], x = filled(n, 1f);
        for (double density : new double[] {0.1, 0.3, 0.5, 0.9}) {
            double f = fraction(kept(dare(base, x, density, 7).set("rescale", 0).merge(), base));
            assertEquals(density, f, 0.006, "density " + density);   // 4 standard deviations at most
        }
    }

    @Test
    void dareKeepsTheExpectedValue() {
        // Without rescale E[out - base] = density * d; with the L1 rescale and |d| all equal the factor is
        // n / kept, and by symmetry E[out - base] = d exactly.
        int n = 200, seeds = 2000;
        float[] base = gaussian(n, 1, 0.05), d = new float[n];
        for (int i = 0; i < n; i++) d[i] = i % 3 == 0 ? -0.5f : 0.5f;
        float[] x = plus(base, d);
        double[] plain = new double[n], rescaled = new double[n];
        for (int s = 0; s < seeds; s++) {
            float[] a = dare(base, x, 0.3, s).set("rescale", 0).merge(), b = dare(base, x, 0.3, s).merge();
            for (int i = 0; i < n; i++) {
                plain[i] += (a[i] - base[i]) / seeds;
                rescaled[i] += (b[i] - base[i]) / seeds;
            }
        }
        double meanErrPlain = 0, meanErrRescaled = 0;
        for (int i = 0; i < n; i++) {
            assertEquals(0.3 * d[i], plain[i], 0.06, "element " + i);
            assertEquals(d[i], rescaled[i], 0.12, "element " + i);
            meanErrPlain += (plain[i] - 0.3 * d[i]) * Math.signum(d[i]) / n;
            meanErrRescaled += (rescaled[i] - d[i]) * Math.signum(d[i]) / n;
        }
        assertEquals(0, meanErrPlain, 0.005);
        assertEquals(0, meanErrRescaled, 0.01);
    }

    @Test
    void sameSeedSameMaskOtherSeedOtherMask() {
        int n = 10_000;
        float[] base = new float[n], x = filled(n, 1f);
        boolean[] a = kept(dare(base, x, 0.5, 11).merge(), base), b = kept(dare(base, x, 0.5, 11).merge(), base);
        boolean[] c = kept(dare(base, x, 0.5, 12).merge(), base);
        assertArrayEquals(a, b);
        int differ = 0;
        for (int i = 0; i < n; i++) if (a[i] != c[i]) differ++;
        assertEquals(0.5, differ / (double) n, 0.03);   // independent masks disagree half the time
    }

    @Test
    void modelsOfOneTensorDrawIndependentMasks() {
        int n = 10_000;
        float[] base = new float[n], x = filled(n, 1f);
        // two models with the same task vector; without consensus the result counts how many kept each entry
        float[] out = Fixture.of("dare_linear").base(base)
                .model("a", Map.of("weight", 1.0, "density", 0.5), x)
                .model("b", Map.of("weight", 1.0, "density", 0.5), x).set("rescale", 0).merge();
        int both = 0;
        for (float v : out) if (v == 2f) both++;
        assertEquals(0.25, both / (double) n, 0.02);
    }

    @Test
    void breadcrumbsDropsTheTopGammaAndKeepsDensity() {
        int n = 1000;
        float[] base = new float[n], x = new float[n];
        for (int i = 0; i < n; i++) x[i] = ((i * 337) % n + 1) * (i % 2 == 0 ? 0.001f : -0.001f);   // |x| a permutation of 1..1000 (x 0.001)
        float[] out = Fixture.of("breadcrumbs").base(base).model("a", Map.of("weight", 1.0, "density", 0.5, "gamma", 0.05), x).merge();
        // by decreasing magnitude: drop the 50 largest (951..1000), keep the next 500 (451..950), drop the rest
        for (int i = 0; i < n; i++) {
            long m = Math.round(Math.abs(x[i]) * 1000);
            assertEquals(m >= 451 && m <= 950 ? x[i] : 0f, out[i], "magnitude " + m);
        }
        // gamma + density > 1: fewer outliers dropped, density still holds: keep the 500 smallest
        float[] wide = Fixture.of("breadcrumbs").base(base).model("a", Map.of("weight", 1.0, "density", 0.5, "gamma", 0.6), x).merge();
        for (int i = 0; i < n; i++) assertEquals(Math.abs(x[i]) <= 0.5005f ? x[i] : 0f, wide[i]);
    }

    @Test
    void breadcrumbsOnTensorsSmallerThanOneOverGammaKeepsTheTopDensity() {
        // floor(0.01 * 10) = 0 outliers. mergekit drops the whole task vector here (indices[n_bot:-0] is empty);
        // Alloy keeps the top half, as the method intends.
        float[] base = new float[10], x = {1, -2, 3, -4, 5, -6, 7, -8, 9, -10};
        float[] out = Fixture.of("breadcrumbs").base(base).model("a", Map.of("weight", 1.0, "density", 0.5), x).merge();
        assertArrayEquals(new float[] {0, 0, 0, 0, 0, -6, 7, -8, 9, -10}, out);
    }

    @Test
    void dellaKeepRateIsDensityAndRisesWithMagnitude() {
        int rows = 200, cols = 500, n = rows * cols;
        float[] base = new float[n], x = gaussian(n, 9, 1.0);
        for (int i = 0; i < n; i++) if (x[i] == 0f) x[i] = 1f;
        float[] out = Fixture.of("della_linear").shape(rows, cols).base(base)
                .model("a", Map.of("weight", 1.0, "density", 0.4, "epsilon", 0.2), x).set("rescale", 0).merge();
        boolean[] k = kept(out, base);
        assertEquals(0.4, fraction(k), 0.006);
        // per row, the 10% largest magnitudes are kept with mean probability 0.4 + 0.2 * 0.9, the 10% smallest 0.4 - 0.2 * 0.9
        int topKept = 0, topAll = 0, lowKept = 0, lowAll = 0;
        for (int r = 0; r < rows; r++) {
            float[] mags = new float[cols];
            for (int c = 0; c < cols; c++) mags[c] = Math.abs(x[r * cols + c]);
            float[] sorted = mags.clone();
            java.util.Arrays.sort(sorted);
            float hi = sorted[cols - cols / 10], lo = sorted[cols / 10 - 1];
            for (int c = 0; c < cols; c++) {
                if (mags[c] >= hi) { topAll++; if (k[r * cols + c]) topKept++; }
                if (mags[c] <= lo) { lowAll++; if (k[r * cols + c]) lowKept++; }
            }
        }
        assertEquals(0.58, topKept / (double) topAll, 0.025);
        assertEquals(0.22, lowKept / (double) lowAll, 0.025);
    }

    @Test
    void dellaOnVectorsRanksTheWholeVector() {
        int n = 50_000;
        float[] base = new float[n], x = gaussian(n, 10, 1.0);
        float[] out = Fixture.of("della").base(base).model("a", Map.of("weight", 1.0, "density", 0.7, "epsilon", 0.1), x)
                .set("rescale", 0).merge();
        assertEquals(0.7, fraction(kept(out, base)), 0.01);
    }

    @Test
    void dellaRefusesEpsilonOutsideTheDensity() {
        Fixture f = Fixture.of("della").named("model.norm.weight").base(new float[4])
                .model("tuned", Map.of("weight", 1.0, "density", 0.1, "epsilon", 0.15), 1, 2, 3, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, f::merge);
        assertTrue(e.getMessage().contains("model.norm.weight") && e.getMessage().contains("tuned") && e.getMessage().contains("epsilon"),
                e.getMessage());
    }

    @Test
    void negativeDensityIsRefused() {
        Fixture f = Fixture.of("ties").base(new float[4]).model("m", Map.of("weight", 1.0, "density", -0.5), 1, 2, 3, 4);
        assertThrows(IllegalArgumentException.class, f::merge);
    }

    @Test
    void densityZeroDropsEverything() {
        float[] base = {1, 1, 1, 1};
        for (String m : new String[] {"ties", "dare_linear", "breadcrumbs", "della_linear"}) {
            float[] out = Fixture.of(m).base(base).model("a", Map.of("weight", 1.0, "density", 0.0), 2, 3, 4, 5).merge();
            assertArrayEquals(base, out, m);
        }
    }
}
