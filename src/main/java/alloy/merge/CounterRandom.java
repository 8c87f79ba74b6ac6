package alloy.merge;

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

    /** SplitMix64's output function (variant 13 of Stafford's MurmurHash3 finaliser). */
    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
