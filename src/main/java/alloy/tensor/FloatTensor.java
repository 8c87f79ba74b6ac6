package alloy.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A float32 tensor in native memory: the working form of every merged tensor. The bytes belong to the
 * {@link Arena} that allocated them (one per merge task, or one per in-memory model), never to this object,
 * so the tensor is valid exactly as long as that arena is open.
 */
public final class FloatTensor {

    /** Little-endian float32, the layout of safetensors F32 data; unaligned so mmapped views qualify too. */
    public static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Shape shape;
    private final MemorySegment data;

    public FloatTensor(Shape shape, MemorySegment data) {
        if (data.byteSize() != shape.numel() * 4L) {
            throw new IllegalArgumentException("shape " + shape + " needs " + shape.numel() * 4L
                    + " bytes of float32, segment has " + data.byteSize());
        }
        this.shape = shape;
        this.data = data;
    }

    /** A zero-filled tensor owned by {@code arena}. */
    public static FloatTensor allocate(Arena arena, Shape shape) {
        return new FloatTensor(shape, arena.allocate(shape.numel() * 4L, 64));
    }

    /**
     * A tensor owned by {@code arena} whose contents are unspecified, for a buffer that the caller
     * overwrites in full before reading it: a {@link ScratchArena} skips the zero fill, any other arena
     * zero-fills as {@link #allocate} does.
     */
    public static FloatTensor uninitialized(Arena arena, Shape shape) {
        long bytes = shape.numel() * 4L;
        return new FloatTensor(shape, arena instanceof ScratchArena s ? s.allocateUninitialized(bytes, 64) : arena.allocate(bytes, 64));
    }

    /** A tensor holding {@code values}, owned by {@code arena}. */
    public static FloatTensor of(Arena arena, Shape shape, float... values) {
        if (values.length != shape.numel()) {
            throw new IllegalArgumentException("shape " + shape + " holds " + shape.numel() + " values, got " + values.length);
        }
        FloatTensor t = allocate(arena, shape);
        MemorySegment.copy(values, 0, t.data, F32, 0, values.length);
        return t;
    }

    /** A 1-D tensor for tests and small computations, memory managed by the garbage collector. */
    public static FloatTensor of(float... values) {
        return of(Arena.ofAuto(), Shape.of(values.length), values);
    }

    public Shape shape() { return shape; }

    public long size() { return shape.numel(); }

    public MemorySegment data() { return data; }

    public float get(long i) { return data.getAtIndex(F32, i); }

    public void set(long i, float v) { data.setAtIndex(F32, i, v); }

    public float[] toArray() {
        if (size() > Integer.MAX_VALUE - 8) throw new IllegalStateException("tensor of " + size() + " elements does not fit an array");
        return data.toArray(F32);
    }

    /** A copy in {@code arena}. */
    public FloatTensor copy(Arena arena) {
        FloatTensor t = allocate(arena, shape);
        MemorySegment.copy(data, 0, t.data, 0, data.byteSize());
        return t;
    }

    /** The same elements viewed with another shape of equal size. */
    public FloatTensor reshape(Shape other) { return new FloatTensor(other, data); }

    /**
     * Rows {@code [0, rows)} of a tensor whose leading axis is longer: the common sub-matrix of embeddings
     * whose vocabularies differ in size. Only the leading axis can be cut without a copy.
     */
    public FloatTensor leadingRows(long rows) {
        long rowElems = shape.rank() == 0 ? 1 : shape.numel() / Math.max(1, shape.dim(0));
        return new FloatTensor(shape.withDim(0, rows), data.asSlice(0, rows * rowElems * 4L));
    }
}
