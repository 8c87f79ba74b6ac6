package alloy.tensor;

import java.util.Arrays;

/** Tensor dimensions, outermost first (row-major), as safetensors and torch list them. */
public record Shape(long[] dims) {

    public Shape {
        dims = dims.clone();
        for (int i = 0; i < dims.length; i++) {
            if (dims[i] < 0) {
                throw new IllegalArgumentException("negative dimension " + dims[i] + " at axis " + i + " of " + Arrays.toString(dims));
            }
        }
        // numel must fit a long: refuse shapes whose product overflows.
        long n = 1;
        for (long d : dims) n = Math.multiplyExact(n, d);
    }

    public static Shape of(long... dims) { return new Shape(dims); }

    @Override public long[] dims() { return dims.clone(); }

    public int rank() { return dims.length; }

    public long dim(int axis) { return dims[axis]; }

    public long numel() {
        long n = 1;
        for (long d : dims) n *= d;
        return n;
    }

    /** Same shape with the leading axis set to {@code rows} (vocabulary truncation of embeddings). */
    public Shape withDim(int axis, long size) {
        long[] d = dims.clone();
        d[axis] = size;
        return new Shape(d);
    }

    @Override public boolean equals(Object o) { return o instanceof Shape s && Arrays.equals(dims, s.dims); }

    @Override public int hashCode() { return Arrays.hashCode(dims); }

    @Override public String toString() { return Arrays.toString(dims); }
}
