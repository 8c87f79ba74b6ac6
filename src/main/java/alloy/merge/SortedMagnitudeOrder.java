package alloy.merge;

import alloy.tensor.FloatTensor;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Comparator;

/** The plain twin of {@link RadixMagnitudeOrder}: sort everything, read the answer off the sorted order. */
final class SortedMagnitudeOrder implements MagnitudeOrder {

    static final SortedMagnitudeOrder INSTANCE = new SortedMagnitudeOrder();

    private SortedMagnitudeOrder() {}

    @Override public Cut top(FloatTensor x, long k) {
        int n = Math.toIntExact(x.size());
        if (k < 0 || k > n) throw new IllegalArgumentException("top " + k + " of " + n + " elements");
        if (k == 0) return Cut.NONE;
        int[] bits = new int[n];
        for (int i = 0; i < n; i++) bits[i] = MagnitudeOrder.magnitudeBits(x.data(), i);
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) order[i] = i;
        Arrays.sort(order, Comparator.<Integer>comparingInt(i -> -bits[i]).thenComparingInt(i -> i));
        int kth = bits[order[(int) k - 1]];
        long ties = 0;
        for (int r = 0; r < k; r++) if (bits[order[r]] == kth) ties++;
        long equal = 0;
        for (int b : bits) if (b == kth) equal++;
        return new Cut(k, kth, ties, equal);
    }

    @Override public void keepBand(FloatTensor x, Cut lower, Cut upper) {
        Scan outer = upper.scan(), inner = lower.scan();
        for (long i = 0, n = x.size(); i < n; i++) {
            int b = MagnitudeOrder.magnitudeBits(x.data(), i);
            boolean keep = outer.test(b) & !inner.test(b);   // both scans see every element, in order
            if (!keep) x.set(i, 0f);
        }
    }

    @Override public MemorySegment bandBits(FloatTensor x, Cut lower, Cut upper, Arena arena) {
        MemorySegment bits = MergeSupport.bitWords(x.size(), arena);
        MagnitudeOrder.bandBitsScalar(x.data(), 0, x.size(), upper.scan(), lower.scan(), bits);
        return bits;
    }

    @Override public FiberSorter sorter(Arena arena, int maxLength) {
        MemorySegment out = arena.allocate(Math.max(1, maxLength) * 4L, 4);
        return (x, start, stride, length) -> {
            Integer[] order = new Integer[length];
            int[] bits = new int[length];
            for (int i = 0; i < length; i++) {
                order[i] = i;
                bits[i] = MagnitudeOrder.magnitudeBits(x.data(), start + i * stride);
            }
            Arrays.sort(order, Comparator.<Integer>comparingInt(i -> bits[i]).thenComparingInt(i -> i));
            for (int i = 0; i < length; i++) out.setAtIndex(ValueLayout.JAVA_INT, i, order[i]);
            return out.asSlice(0, length * 4L);
        };
    }
}
