package alloy.merge;

import java.nio.charset.StandardCharsets;

/**
 * The seed of one tensor's random draws (DARE and DELLA masks) from a run's seed and the tensor's name, so that
 * a tensor gets the same mask whatever the order or thread it is merged in, in a recipe merge and in a LoRA
 * combine alike.
 */
public final class TensorSeeds {

    private TensorSeeds() {}

    /** SplitMix64 finaliser over (seed, FNV-1a 64 of the UTF-8 name). */
    public static long of(long seed, String tensorName) {
        long h = 0xcbf29ce484222325L;
        for (byte b : tensorName.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        long z = seed + h * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
