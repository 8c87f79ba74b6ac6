package alloy.merge;

import alloy.tensor.Shape;

/**
 * The 1-D fibres of a row-major tensor along one axis. Viewing the shape as (outer, length, inner), fibre
 * {@code f < count = outer * inner} holds the elements {@code start(f) + i * stride} for {@code i < length},
 * with {@code stride = inner}. torch's "vectors along dim=-1" are the fibres along the last axis (stride 1,
 * contiguous rows); "along dim=0" are columns of a matrix (stride = row length).
 */
record Fibers(long count, long length, long stride) {

    Fibers {
        if (count < 0 || length < 0 || stride < 1) {
            throw new IllegalArgumentException("fibres: count " + count + ", length " + length + ", stride " + stride);
        }
    }

    /** The whole tensor as one flat fibre (torch's {@code view(-1)}). */
    static Fibers whole(long n) { return new Fibers(1, n, 1); }

    /** Fibres along {@code axis} (negative counts from the end); a scalar is one fibre of one element. */
    static Fibers along(Shape shape, int axis) {
        int rank = shape.rank();
        if (rank == 0) return whole(1);
        int a = axis < 0 ? rank + axis : axis;
        if (a < 0 || a >= rank) throw new IllegalArgumentException("axis " + axis + " out of range for shape " + shape);
        long outer = 1, inner = 1;
        for (int i = 0; i < a; i++) outer *= shape.dim(i);
        for (int i = a + 1; i < rank; i++) inner *= shape.dim(i);
        return new Fibers(outer * inner, shape.dim(a), Math.max(1, inner));
    }

    /** Flat index of the first element of fibre {@code f}. */
    long start(long f) { return (f / stride) * length * stride + f % stride; }

    boolean contiguous() { return stride == 1; }
}
