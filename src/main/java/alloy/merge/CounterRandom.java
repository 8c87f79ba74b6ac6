package alloy.merge;

import alloy.tensor.Blocks;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Counter-based uniform numbers for DARE and DELLA masks: {@code uniform(i)} is a pure function of
 * (seed, stream, i), so a mask does not depend on which thread merges a tensor, in which order, or how the
 * work is split. Each value is two rounds of the SplitMix64 finaliser (Steele, Lea and Flood, "Fast
 * splittable pseudorandom number generators", OOPSLA 2014) over the Weyl sequence {@code key + i * golden};
 * the second round, keyed again, decorrelates streams whose keys differ by a multiple of the Weyl constant.
 *
 * <p>Masks cannot be bit-identical to mergekit's, which draws from torch's global Philox/MT state in tensor
 * order; what matches is the distribution: each element is kept independently with the requested probability.
 */
final class CounterRandom {

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private static final long M1 = 0xBF58476D1CE4E5B9L, M2 = 0x94D049BB133111EBL;
    private static final VectorSpecies<Long> L = LongVector.SPECIES_PREFERRED;
    /** Lane j holds j * golden: the Weyl offsets of a vector's lanes from its first element. */
    private static final LongVector LANE_STEPS = LongVector.fromArray(L, laneSteps(), 0);

    private final long key;

    /** {@code stream} separates the models of one tensor (their position among the merged task vectors). */
    CounterRandom(long seed, long stream) {
        this.key = mix(mix(seed) + (stream + 1) * GOLDEN);
    }

    /** A uniform double in [0, 1) with 53 random bits. */
    double uniform(long index) { return bits53(index) * 0x1.0p-53; }

    /** 53 uniform bits for element {@code index}. */
    long bits53(long index) { return mix(mix(key + (index + 1) * GOLDEN) ^ key) >>> 11; }

    /** The integer form of probability p for {@link #below}: uniform(i) < p exactly when bits53(i) < threshold(p). */
    static long threshold(double p) {
        if (!(p > 0)) return 0;
        if (p >= 1) return 1L << 53;
        return (long) Math.ceil(p * 0x1.0p53);
    }

    /** 1 when uniform(index) < p (p given as {@link #threshold}), else 0, without a branch. */
    int below(long index, long threshold) { return (int) ((bits53(index) - threshold) >>> 63); }

    /**
     * Bit j of {@code words} (word j / 64, bit j % 64) becomes {@code below(j, threshold)}, for j < n: a whole
     * Bernoulli mask. Lanes of the preferred long species walk the Weyl sequence by adding {@code lanes * golden}
     * instead of multiplying per index; the integer arithmetic is exact, so the result equals
     * {@link #fillBelowReference} bit for bit.
     */
    void fillBelow(long threshold, MemorySegment words, long n) {
        if (64 % L.length() != 0) {
            fillBelowReference(threshold, words, n);
            return;
        }
        // per block of whole words (Blocks: JIT-friendly, and idle executor workers take blocks)
        Blocks.forEach(n, (from, to) -> fillBelow(threshold, words, from, to));
    }

    /** Elements [from, to), from a multiple of 64: whole words by lanes, a last partial word by {@link #below}. */
    private void fillBelow(long threshold, MemorySegment words, long from, long to) {
        int lanes = L.length();
        long whole = to >>> 6;
        long[] first = new long[lanes];
        for (int j = 0; j < lanes; j++) first[j] = key + (from + j + 1) * GOLDEN;
        LongVector weyl = LongVector.fromArray(L, first, 0), step = LongVector.broadcast(L, lanes * GOLDEN);
        LongVector keys = LongVector.broadcast(L, key), limit = LongVector.broadcast(L, threshold);
        for (long w = from >>> 6; w < whole; w++) {
            long word = 0;
            for (int b = 0; b < 64; b += lanes) {
                LongVector bits = mix(mix(weyl).lanewise(VectorOperators.XOR, keys)).lanewise(VectorOperators.LSHR, 11);
                word |= bits.compare(VectorOperators.LT, limit).toLong() << b;
                weyl = weyl.add(step);
            }
            words.setAtIndex(ValueLayout.JAVA_LONG, w, word);
        }
        fillScalar(threshold, words, Math.max(from >>> 6, whole), to);
    }

    /** True where {@link #fillBelow} runs lanes (a mask word holds whole vectors of longs). */
    static boolean vectorised() { return 64 % L.length() == 0; }

    /**
     * Mask word {@code w} (elements 64w to 64w + 63, all of them below n) exactly as {@link #fillBelow} writes
     * it, for a caller that fuses the draw with a pass over the same elements: the Weyl lanes start from
     * the word's first index instead of being carried from the previous word (the same values: integer
     * arithmetic mod 2^64). Needs {@link #vectorised()}.
     */
    long word(long w, long threshold) {
        int lanes = L.length();
        LongVector weyl = LongVector.broadcast(L, key + ((w << 6) + 1) * GOLDEN).add(LANE_STEPS);
        LongVector step = LongVector.broadcast(L, lanes * GOLDEN), keys = LongVector.broadcast(L, key), limit = LongVector.broadcast(L, threshold);
        long word = 0;
        for (int b = 0; b < 64; b += lanes) {
            // a signed compare after the shift: the unsigned one is named differently from one JDK's incubator API to the next
            LongVector bits = mix(mix(weyl).lanewise(VectorOperators.XOR, keys)).lanewise(VectorOperators.LSHR, 11);
            word |= bits.compare(VectorOperators.LT, limit).toLong() << b;
            weyl = weyl.add(step);
        }
        return word;
    }

    private static long[] laneSteps() {
        long[] s = new long[L.length()];
        for (int j = 0; j < s.length; j++) s[j] = j * GOLDEN;
        return s;
    }

    /** The words from {@code fromWord} on, up to element n (exclusive), by {@link #below}: a mask's partial last word. */
    void fillTail(long threshold, MemorySegment words, long fromWord, long n) { fillScalar(threshold, words, fromWord, n); }

    /** The plain twin of {@link #fillBelow}: {@link #below} element by element. */
    void fillBelowReference(long threshold, MemorySegment words, long n) { fillScalar(threshold, words, 0, n); }

    private void fillScalar(long threshold, MemorySegment words, long fromWord, long n) {
        for (long w = fromWord, i = fromWord << 6; i < n; w++) {
            long word = 0;
            for (int b = 0; b < 64 && i < n; b++, i++) word |= (long) below(i, threshold) << b;
            words.setAtIndex(ValueLayout.JAVA_LONG, w, word);
        }
    }

    private static LongVector mix(LongVector z) {
        z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 30)).mul(M1);
        z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 27)).mul(M2);
        return z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 31));
    }

    /** SplitMix64's output function (variant 13 of Stafford's MurmurHash3 finaliser). */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * M1;
        z = (z ^ (z >>> 27)) * M2;
        return z ^ (z >>> 31);
    }
}
