package alloy.tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Conversion between stored element types and the float32 working form. */
public final class Codec {

    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private Codec() {}

    /** Decodes {@code raw} (elements of {@code dtype}) into a new float32 tensor owned by {@code arena}. */
    public static FloatTensor decode(MemorySegment raw, DType dtype, Shape shape, Arena arena) {
        if (!dtype.arithmetic()) throw new IllegalArgumentException("cannot compute with dtype " + dtype);
        long n = shape.numel();
        if (raw.byteSize() != n * dtype.byteSize()) {
            throw new IllegalArgumentException("shape " + shape + " of " + dtype + " needs " + n * dtype.byteSize()
                    + " bytes, found " + raw.byteSize());
        }
        FloatTensor out = FloatTensor.allocate(arena, shape);
        MemorySegment o = out.data();
        switch (dtype) {
            case F32 -> MemorySegment.copy(raw, 0, o, 0, n * 4L);
            case F16 -> { for (long i = 0; i < n; i++) o.setAtIndex(FloatTensor.F32, i, Float.float16ToFloat(raw.getAtIndex(I16, i))); }
            case BF16 -> { for (long i = 0; i < n; i++) o.setAtIndex(FloatTensor.F32, i, bf16ToFloat(raw.getAtIndex(I16, i))); }
            case F64 -> { for (long i = 0; i < n; i++) o.setAtIndex(FloatTensor.F32, i, (float) raw.getAtIndex(F64, i)); }
            default -> throw new AssertionError(dtype);
        }
        return out;
    }

    /** Encodes {@code t} as {@code dtype} into {@code out}, which must hold exactly its bytes. */
    public static void encode(FloatTensor t, DType dtype, MemorySegment out) {
        if (!dtype.arithmetic()) throw new IllegalArgumentException("cannot write float values as dtype " + dtype);
        long n = t.size();
        if (out.byteSize() != n * dtype.byteSize()) {
            throw new IllegalArgumentException("encoding " + n + " values as " + dtype + " needs " + n * dtype.byteSize()
                    + " bytes, target has " + out.byteSize());
        }
        MemorySegment src = t.data();
        switch (dtype) {
            case F32 -> MemorySegment.copy(src, 0, out, 0, n * 4L);
            case F16 -> { for (long i = 0; i < n; i++) out.setAtIndex(I16, i, Float.floatToFloat16(src.getAtIndex(FloatTensor.F32, i))); }
            case BF16 -> { for (long i = 0; i < n; i++) out.setAtIndex(I16, i, floatToBf16(src.getAtIndex(FloatTensor.F32, i))); }
            case F64 -> { for (long i = 0; i < n; i++) out.setAtIndex(F64, i, src.getAtIndex(FloatTensor.F32, i)); }
            default -> throw new AssertionError(dtype);
        }
    }

    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** Round to nearest even, as torch's float32 to bfloat16 conversion does; NaN stays a quiet NaN. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7FFFFFFF) > 0x7F800000) return (short) ((bits >>> 16) | 0x0040);
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16);
    }
}
