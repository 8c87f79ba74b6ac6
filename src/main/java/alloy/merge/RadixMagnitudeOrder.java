package alloy.merge;

import alloy.tensor.Blocks;
import alloy.tensor.FloatTensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * O(n) magnitude ordering. Selection: a histogram of the top 16 of the 31 magnitude bits finds the bucket
 * holding the k-th largest element, a second histogram of the low 15 bits inside that bucket finds its exact
 * bits; two reads of the tensor, 512 KiB of heap. Sorting: LSD radix sort of (bits, position) pairs, 11 bits
 * a pass (three passes for 31 bits), skipping passes where all keys share the digit; stable, so ties keep position order.
 */
final class RadixMagnitudeOrder implements MagnitudeOrder {

    static final RadixMagnitudeOrder INSTANCE = new RadixMagnitudeOrder();

    private static final VectorSpecies<Integer> I = IntVector.SPECIES_PREFERRED;
    private static final int HIGH_SHIFT = 15;
    private static final int LOW_MASK = (1 << HIGH_SHIFT) - 1;

    private RadixMagnitudeOrder() {}

    @Override public Cut top(FloatTensor x, long k) {
        long n = x.size();
        if (k < 0 || k > n) throw new IllegalArgumentException("top " + k + " of " + n + " elements");
        if (k == 0) return Cut.NONE;
        MemorySegment s = x.data();
        long[] hist = histogram(n, 1 << 16, (h, from, to) -> highCounts(s, h, from, to));
        int high = hist.length - 1;
        long above = 0;
        while (above + hist[high] < k) above += hist[high--];

        int bucket = high;
        hist = histogram(n, LOW_MASK + 1, (h, from, to) -> lowCounts(s, bucket, h, from, to));
        long need = k - above;
        int low = LOW_MASK;
        long above2 = 0;
        while (above2 + hist[low] < need) above2 += hist[low--];
        return new Cut(k, high << HIGH_SHIFT | low, need - above2, hist[low]);
    }

    private interface Counts { void add(long[] hist, long from, long to); }

    /**
     * Counts per block (Blocks), each block into a histogram taken from a small free list, so that blocks
     * running at once never share one; the histograms are added at the end. Counts are integers, so the
     * result does not depend on which block went where.
     */
    private static long[] histogram(long n, int buckets, Counts counts) {
        ConcurrentLinkedQueue<long[]> free = new ConcurrentLinkedQueue<>();
        List<long[]> all = Collections.synchronizedList(new ArrayList<>());
        Blocks.forEach(n, (from, to) -> {
            long[] h = free.poll();
            if (h == null) all.add(h = new long[buckets]);
            counts.add(h, from, to);
            free.add(h);
        });
        long[] total = all.get(0);
        for (int j = 1; j < all.size(); j++) {
            long[] h = all.get(j);
            for (int b = 0; b < buckets; b++) total[b] += h[b];
        }
        return total;
    }

    private static void highCounts(MemorySegment s, long[] hist, long from, long to) {
        for (long i = from; i < to; i++) hist[MagnitudeOrder.magnitudeBits(s, i) >>> HIGH_SHIFT]++;
    }

    private static void lowCounts(MemorySegment s, int high, long[] hist, long from, long to) {
        for (long i = from; i < to; i++) {
            int b = MagnitudeOrder.magnitudeBits(s, i);
            if (b >>> HIGH_SHIFT == high) hist[b & LOW_MASK]++;
        }
    }

    /**
     * Whole vectors compare their magnitude bits with both cuts at once; a vector holding an element equal
     * to either cut's bits (where the tie count decides, rarely) goes through the scans one element at a time.
     */
    @Override public void keepBand(FloatTensor x, Cut lower, Cut upper) {
        MemorySegment s = x.data();
        if (lower.ordered() || upper.ordered()) {   // exact ties split by the cut: one pair of scans, in index order
            Scan outer = upper.scan(), inner = lower.scan();
            Blocks.forEachInOrder(x.size(), (from, to) -> keepBand(s, from, to, lower, upper, outer, inner));
        } else {
            Blocks.forEach(x.size(), (from, to) -> keepBand(s, from, to, lower, upper, upper.scan(), lower.scan()));
        }
    }

    private static void keepBand(MemorySegment s, long from, long to, Cut lower, Cut upper, Scan outer, Scan inner) {
        long bound = to - (to - from) % I.length(), i = from;
        for (; i < bound; i += I.length()) {
            IntVector raw = IntVector.fromMemorySegment(I, s, i * 4, ByteOrder.LITTLE_ENDIAN), bits = raw.and(0x7FFFFFFF);
            if (bits.compare(VectorOperators.EQ, upper.bits()).or(bits.compare(VectorOperators.EQ, lower.bits())).anyTrue()) {
                scalarBand(s, i, i + I.length(), outer, inner);
                continue;
            }
            // no ties in this vector: in the band iff above upper's bits and not above lower's
            VectorMask<Integer> drop = bits.compare(VectorOperators.LE, upper.bits()).or(bits.compare(VectorOperators.GT, lower.bits()));
            raw.blend(0, drop).intoMemorySegment(s, i * 4, ByteOrder.LITTLE_ENDIAN);
        }
        scalarBand(s, i, to, outer, inner);
    }

    private static void scalarBand(MemorySegment s, long from, long to, Scan outer, Scan inner) {
        for (long i = from; i < to; i++) {
            int raw = s.getAtIndex(MagnitudeOrder.BITS, i), b = raw & 0x7FFFFFFF;
            int keep = outer.member(b) & (1 ^ inner.member(b));
            s.setAtIndex(MagnitudeOrder.BITS, i, raw & -keep);
        }
    }

    /** As {@link #keepBand}: whole vectors by compares, a vector holding a cut's exact bits through the scans. */
    @Override public MemorySegment bandBits(FloatTensor x, Cut lower, Cut upper, Arena arena) {
        long n = x.size();
        MemorySegment bits = MergeSupport.bitWords(n, arena);
        MemorySegment s = x.data();
        if (64 % I.length() != 0) {
            MagnitudeOrder.bandBitsScalar(s, 0, n, upper.scan(), lower.scan(), bits);
            return bits;
        }
        if (lower.ordered() || upper.ordered()) {   // exact ties split by the cut: one pair of scans, in index order
            Scan outer = upper.scan(), inner = lower.scan();
            Blocks.forEachInOrder(n, (from, to) -> bandBits(s, from, to, lower, upper, outer, inner, bits));
        } else {
            Blocks.forEach(n, (from, to) -> bandBits(s, from, to, lower, upper, upper.scan(), lower.scan(), bits));
        }
        return bits;
    }

    /** Elements [from, to), from a multiple of 64: whole words by vector compares, the rest one by one. */
    private static void bandBits(MemorySegment s, long from, long to, Cut lower, Cut upper, Scan outer, Scan inner, MemorySegment bits) {
        int lanes = I.length();
        long words = to >>> 6;
        for (long w = from >>> 6; w < words; w++) {
            long word = 0;
            for (int b = 0; b < 64; b += lanes) {
                long i = (w << 6) + b;
                IntVector m = IntVector.fromMemorySegment(I, s, i * 4, ByteOrder.LITTLE_ENDIAN).and(0x7FFFFFFF);
                if (m.compare(VectorOperators.EQ, upper.bits()).or(m.compare(VectorOperators.EQ, lower.bits())).anyTrue()) {
                    for (int j = 0; j < lanes; j++) {
                        int e = MagnitudeOrder.magnitudeBits(s, i + j);
                        word |= (long) (outer.member(e) & (1 ^ inner.member(e))) << (b + j);
                    }
                } else {
                    word |= m.compare(VectorOperators.GT, upper.bits()).andNot(m.compare(VectorOperators.GT, lower.bits())).toLong() << b;
                }
            }
            bits.setAtIndex(ValueLayout.JAVA_LONG, w, word);
        }
        MagnitudeOrder.bandBitsScalar(s, Math.max(from, words << 6), to, outer, inner, bits);
    }

    @Override public FiberSorter sorter(Arena arena, int maxLength) { return new Sorter(arena, maxLength); }

    private static final class Sorter implements FiberSorter {
        private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
        private static final int DIGIT = 11, DIGIT_MASK = (1 << DIGIT) - 1;
        private final int capacity;
        private MemorySegment keys, keys2, pos, pos2;
        private final int[] count = new int[1 << DIGIT];

        Sorter(Arena arena, int maxLength) {
            capacity = maxLength;
            long bytes = Math.max(1, maxLength) * 4L;
            keys = arena.allocate(bytes, 4);
            keys2 = arena.allocate(bytes, 4);
            pos = arena.allocate(bytes, 4);
            pos2 = arena.allocate(bytes, 4);
        }

        @Override public MemorySegment ascending(FloatTensor x, long start, long stride, int length) {
            if (length > capacity) throw new IllegalArgumentException("fibre of " + length + " elements, sorter holds " + capacity);
            MemorySegment data = x.data();
            for (int i = 0; i < length; i++) {
                keys.setAtIndex(INT, i, MagnitudeOrder.magnitudeBits(data, start + i * stride));
                pos.setAtIndex(INT, i, i);
            }
            for (int shift = 0; shift < 31; shift += DIGIT) {
                Arrays.fill(count, 0);
                for (int i = 0; i < length; i++) count[(keys.getAtIndex(INT, i) >>> shift) & DIGIT_MASK]++;
                if (count[(keys.getAtIndex(INT, 0) >>> shift) & DIGIT_MASK] == length) continue;   // one digit: already in order
                for (int d = 0, sum = 0; d < count.length; d++) {
                    int c = count[d];
                    count[d] = sum;
                    sum += c;
                }
                for (int i = 0; i < length; i++) {
                    int key = keys.getAtIndex(INT, i);
                    int at = count[(key >>> shift) & DIGIT_MASK]++;
                    keys2.setAtIndex(INT, at, key);
                    pos2.setAtIndex(INT, at, pos.getAtIndex(INT, i));
                }
                MemorySegment t = keys; keys = keys2; keys2 = t;
                t = pos; pos = pos2; pos2 = t;
            }
            return pos.asSlice(0, length * 4L);
        }
    }
}
