package alloy.merge;

import alloy.tensor.FloatTensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Ordering of tensor elements by magnitude, the primitive behind TIES' top-k, breadcrumbs' band and
 * DELLA's ranks. One total order is used everywhere: by |x|, ties broken by flat index (the order a stable
 * sort gives), so that every mask is deterministic. mergekit sorts with torch.argsort, whose tie order is
 * unspecified; on data without exact ties the masks agree.
 *
 * <p>{@link #fast()} selects with a two-pass radix histogram over the float bits and sorts fibres with an
 * LSD radix sort, both O(n); {@link #reference()} is the obvious comparison sort, kept as the twin that
 * tests compare with. Magnitudes are compared as {@code floatToRawIntBits(x) & 0x7FFFFFFF}, which orders
 * non-negative floats (including infinity) exactly as their values and makes -0 equal to +0.
 */
interface MagnitudeOrder {

    static MagnitudeOrder fast() { return RadixMagnitudeOrder.INSTANCE; }

    static MagnitudeOrder reference() { return SortedMagnitudeOrder.INSTANCE; }

    /** Raw float bits, read as int: one load per element and no float-to-int move. */
    ValueLayout.OfInt BITS = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static int magnitudeBits(MemorySegment data, long i) { return data.getAtIndex(BITS, i) & 0x7FFFFFFF; }

    /** The set of the {@code k} largest-magnitude elements of {@code x} (ties: lower index first). */
    Cut top(FloatTensor x, long k);

    /**
     * Zeroes, in place, every element of {@code x} outside the band {@code upper \ lower} (in the top
     * upper.k but not in the top lower.k); with {@code lower = Cut.NONE}, everything outside the top k.
     */
    void keepBand(FloatTensor x, Cut lower, Cut upper);

    /**
     * One bit per element (word i / 64, bit i % 64), set for the elements that {@link #keepBand} would
     * keep, computed without writing {@code x}: the kept set that a sign election reads.
     */
    MemorySegment bandBits(FloatTensor x, Cut lower, Cut upper, Arena arena);

    /** The plain element-by-element form of {@link #bandBits}, shared by both twins for their tails. */
    static void bandBitsScalar(MemorySegment s, long from, long to, Scan outer, Scan inner, MemorySegment bits) {
        for (long i = from; i < to; i++) {
            int b = magnitudeBits(s, i);
            long keep = outer.member(b) & (1 ^ inner.member(b));   // both scans see every element, in order
            long w = bits.getAtIndex(ValueLayout.JAVA_LONG, i >>> 6);
            bits.setAtIndex(ValueLayout.JAVA_LONG, i >>> 6, w | keep << (i & 63));
        }
    }

    /** A reusable sorter for fibres of up to {@code maxLength} elements, its scratch allocated in {@code arena}. */
    FiberSorter sorter(Arena arena, int maxLength);

    interface FiberSorter {
        /**
         * Sorts the fibre {@code x[start + i * stride], i < length} by increasing magnitude (ties: lower i
         * first) and returns the positions i in that order as native ints; valid until the next call.
         */
        MemorySegment ascending(FloatTensor x, long start, long stride, int length);
    }

    /**
     * The top-k set in a form that a single pass in index order can test: an element belongs iff its
     * magnitude bits exceed {@code bits}, or equal them and it is among the first {@code ties} such elements.
     */
    record Cut(long k, int bits, long ties, long equal) {

        /** The empty set (k = 0). */
        static final Cut NONE = new Cut(0, Integer.MAX_VALUE, 0);

        /**
         * {@code equal}: how many elements have exactly {@code bits} (-1 when not counted). It tells whether a
         * membership test needs the elements in index order: only when some but not all of them belong.
         */
        public Cut {
            if (k < 0 || ties < 0 || ties > k || bits < 0 || equal < -1 || equal >= 0 && ties > equal) {
                throw new IllegalArgumentException("cut k=" + k + " bits=" + bits + " ties=" + ties + " equal=" + equal);
            }
        }

        Cut(long k, int bits, long ties) { this(k, bits, ties, -1); }

        /**
         * True when {@link Scan} must see the elements in index order: some elements equal to the cut belong
         * and some do not. Otherwise membership is a plain comparison, and blocks may be tested in any order.
         */
        boolean ordered() { return ties != 0 && ties != equal; }

        /** A fresh membership test; feed it every element's magnitude bits in index order. */
        Scan scan() { return new Scan(bits, ties); }
    }

    final class Scan {
        private final int bits;
        private long tiesLeft;

        private Scan(int bits, long ties) {
            this.bits = bits;
            this.tiesLeft = ties;
        }

        boolean test(int magnitudeBits) { return member(magnitudeBits) != 0; }

        /** 1 for a member, else 0; branch-free except on exact ties with the cut, which are rare. */
        int member(int magnitudeBits) {
            if (magnitudeBits == bits) {
                if (tiesLeft == 0) return 0;
                tiesLeft--;
                return 1;
            }
            return (bits - magnitudeBits) >>> 31;   // both in [0, 2^31): negative exactly when above the cut
        }
    }
}
