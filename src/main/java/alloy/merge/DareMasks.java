package alloy.merge;

import alloy.tensor.Blocks;
import alloy.tensor.FloatTensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * DARE's kept sets for the thinned models of one tensor, with the L1 norms that rescale needs: what
 * {@link Sparsifier.Bernoulli#keep} gives model by model ({@link CounterRandom#fillBelow}, then
 * {@link MergeSupport#maskedAbsSums} over the inputs), in one pass. Per block, model after model, each mask
 * word is drawn and the 64 elements it covers are summed at once, so the loads of x_i and the base hide
 * under the arithmetic of the draw, and the base's block is read from memory once for all models (it
 * stays in cache between them). The draw and the sums are those of the two kernels, word for word and
 * block for block, so masks and norms are bit for bit the same; {@link #reference} is that model-by-model
 * twin. Both parts are bound by arithmetic rather than memory, so the fusion gains what it saves in
 * work: one 4096 x 11008 tensor, three models, 2 threads: 47-52 ms against 61 ms for the twin, of which
 * the draws alone take 30 ms.
 */
final class DareMasks {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;

    private DareMasks() {}

    /** True where {@link #fast} gives the same bits as {@link #reference}: the species both kernels need. */
    static boolean fused() { return CounterRandom.vectorised() && 64 % F.length() == 0 && D.length() * 2 == F.length(); }

    /**
     * Model i's mask (in {@code bits[i]}, zeroed words of {@link MergeSupport#bitWords}) drawn by
     * {@code random[i]} below {@code threshold[i]}, and, when {@code norms}, {sum |x_i - b|, sum of it over
     * the kept entries} as {@code Kept} norms. Needs {@link #fused()}.
     */
    static Sparsifier.Kept[] fast(FloatTensor base, FloatTensor[] x, CounterRandom[] random, long[] threshold, MemorySegment[] bits, boolean norms) {
        if (!fused()) throw new IllegalStateException("vector species do not fit whole mask words");
        int m = x.length;
        long n = base.size();
        // one pair of partial sums per model and block, added in block order as maskedAbsSums adds them
        double[][][] partial = new double[m][Math.toIntExact(Blocks.count(n))][];
        Blocks.forEach(n, (from, to) -> {
            for (int i = 0; i < m; i++) partial[i][(int) (from / Blocks.SIZE)] = block(base, x[i], random[i], threshold[i], bits[i], norms, from, to);
        });
        Sparsifier.Kept[] kept = new Sparsifier.Kept[m];
        for (int i = 0; i < m; i++) {
            double[] sums = new double[2];
            for (double[] p : partial[i]) {
                if (p == null) continue;   // alloy.blocks=off: one call covered everything
                sums[0] += p[0];
                sums[1] += p[1];
            }
            kept[i] = new Sparsifier.Kept(bits[i], norms ? sums[0] : 0, norms ? sums[1] : 0);
        }
        return kept;
    }

    /** The twin: {@link CounterRandom#fillBelow} and {@link MergeSupport#maskedAbsSums} model by model. */
    static Sparsifier.Kept[] reference(FloatTensor base, FloatTensor[] x, CounterRandom[] random, long[] threshold, MemorySegment[] bits, boolean norms) {
        Sparsifier.Kept[] kept = new Sparsifier.Kept[x.length];
        for (int i = 0; i < x.length; i++) {
            random[i].fillBelow(threshold[i], bits[i], base.size());
            double[] sums = norms ? MergeSupport.maskedAbsSums(x[i], base, bits[i]) : new double[2];
            kept[i] = new Sparsifier.Kept(bits[i], sums[0], sums[1]);
        }
        return kept;
    }

    /** Elements [from, to) of one model, from a multiple of 64: whole words drawn and summed, then the partial last word. */
    private static double[] block(FloatTensor base, FloatTensor x, CounterRandom random, long threshold, MemorySegment bits, boolean norms,
                                  long from, long to) {
        int lanes = F.length();
        MemorySegment xs = x.data(), bs = base.data();
        long words = to >>> 6;
        int half = D.length();
        DoubleVector zeroD = DoubleVector.zero(D);
        DoubleVector all = DoubleVector.zero(D), kept = DoubleVector.zero(D);
        for (long w = from >>> 6; w < words; w++) {
            long word = random.word(w, threshold);
            bits.setAtIndex(ValueLayout.JAVA_LONG, w, word);
            if (!norms) continue;
            for (int k = 0; k < 64; k += lanes) {
                long at = ((w << 6) + k) * 4;
                FloatVector a = FloatVector.fromMemorySegment(F, xs, at, LE).sub(FloatVector.fromMemorySegment(F, bs, at, LE)).abs();
                DoubleVector low = (DoubleVector) a.convertShape(VectorOperators.F2D, D, 0), high = (DoubleVector) a.convertShape(VectorOperators.F2D, D, 1);
                all = all.add(low).add(high);
                // maskedAbsSums masks the floats, then widens; widening first and masking the doubles gives the
                // same lanes (a dropped lane is +0 either way) with two conversions instead of four
                kept = kept.add(zeroD.blend(low, VectorMask.fromLong(D, word >>> k))).add(zeroD.blend(high, VectorMask.fromLong(D, word >>> (k + half))));
            }
        }
        long tail = Math.max(from >>> 6, words);
        random.fillTail(threshold, bits, tail, to);
        double[] sums = {all.reduceLanes(VectorOperators.ADD), kept.reduceLanes(VectorOperators.ADD)};
        return norms ? MergeSupport.maskedAbsSumsTail(x, base, bits, tail, to, sums) : sums;
    }
}
