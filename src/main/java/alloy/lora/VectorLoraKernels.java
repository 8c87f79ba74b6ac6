package alloy.lora;

import alloy.tensor.FloatTensor;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@code out += L·R} for a small inner dimension K. The columns of R and out are cut into panels of
 * {@link #PANEL} floats; for each panel, every row of out is finished in registers: four vector accumulators
 * (a tile of 4 vectors) loaded from out, one fused multiply-add per k with L[m, k] broadcast, stored once. The
 * panel of R (K x PANEL floats, 32 KiB at K = 32) stays in L1 across all M rows, so R is read from memory
 * once; L is read once per panel.
 *
 * <p>Per output element the order is the same in every code path (vector tiles, single vectors, scalar
 * tail): acc = out; for k = 0..K-1: acc = fma(L[m,k], R[k,n], acc). Vector fma and Math.fma both round once,
 * so the path an element takes does not change its value.
 */
final class VectorLoraKernels implements LoraKernels {

    static final VectorLoraKernels INSTANCE = new VectorLoraKernels();

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    private static final int V = F.length();
    /** Panel width in floats: a multiple of every vector length (4 to 16 floats). */
    static final int PANEL = 256;

    private VectorLoraKernels() {}

    @Override public void matmulAdd(FloatTensor left, FloatTensor right, FloatTensor out) {
        long[] mkn = LoraKernels.checkProduct(left, right, out);
        long m = mkn[0], k = mkn[1], n = mkn[2];
        MemorySegment l = left.data(), r = right.data(), o = out.data();
        for (long p0 = 0; p0 < n; p0 += PANEL) {
            long p1 = Math.min(n, p0 + PANEL);
            for (long i = 0; i < m; i++) row(l, r, o, i, k, n, p0, p1);
        }
    }

    /** Columns [p0, p1) of row i. */
    private static void row(MemorySegment l, MemorySegment r, MemorySegment o, long i, long k, long n, long p0, long p1) {
        long lRow = i * k, oRow = i * n;
        long j = p0;
        for (; j + 4L * V <= p1; j += 4L * V) {
            long ob = (oRow + j) * 4L;
            FloatVector a0 = FloatVector.fromMemorySegment(F, o, ob, LE);
            FloatVector a1 = FloatVector.fromMemorySegment(F, o, ob + V * 4L, LE);
            FloatVector a2 = FloatVector.fromMemorySegment(F, o, ob + 2L * V * 4L, LE);
            FloatVector a3 = FloatVector.fromMemorySegment(F, o, ob + 3L * V * 4L, LE);
            for (long p = 0; p < k; p++) {
                FloatVector x = FloatVector.broadcast(F, l.getAtIndex(FloatTensor.F32, lRow + p));
                long rb = (p * n + j) * 4L;
                a0 = x.fma(FloatVector.fromMemorySegment(F, r, rb, LE), a0);
                a1 = x.fma(FloatVector.fromMemorySegment(F, r, rb + V * 4L, LE), a1);
                a2 = x.fma(FloatVector.fromMemorySegment(F, r, rb + 2L * V * 4L, LE), a2);
                a3 = x.fma(FloatVector.fromMemorySegment(F, r, rb + 3L * V * 4L, LE), a3);
            }
            a0.intoMemorySegment(o, ob, LE);
            a1.intoMemorySegment(o, ob + V * 4L, LE);
            a2.intoMemorySegment(o, ob + 2L * V * 4L, LE);
            a3.intoMemorySegment(o, ob + 3L * V * 4L, LE);
        }
        for (; j + V <= p1; j += V) {
            long ob = (oRow + j) * 4L;
            FloatVector a = FloatVector.fromMemorySegment(F, o, ob, LE);
            for (long p = 0; p < k; p++) {
                FloatVector x = FloatVector.broadcast(F, l.getAtIndex(FloatTensor.F32, lRow + p));
                a = x.fma(FloatVector.fromMemorySegment(F, r, (p * n + j) * 4L, LE), a);
            }
            a.intoMemorySegment(o, ob, LE);
        }
        for (; j < p1; j++) {
            float acc = o.getAtIndex(FloatTensor.F32, oRow + j);
            for (long p = 0; p < k; p++) {
                acc = Math.fma(l.getAtIndex(FloatTensor.F32, lRow + p), r.getAtIndex(FloatTensor.F32, p * n + j), acc);
            }
            o.setAtIndex(FloatTensor.F32, oRow + j, acc);
        }
    }
}
