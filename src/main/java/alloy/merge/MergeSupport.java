package alloy.merge;

import alloy.tensor.Blocks;
import alloy.tensor.FloatTensor;
import alloy.tensor.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Small shared pieces of the methods: parameter access that names the tensor and model, views, bit masks. */
final class MergeSupport {

    /** Tensors are processed in slices of this many elements where a statistic spans a whole tensor. */
    static final int CHUNK = 1 << 16;

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

    private MergeSupport() {}

    static IllegalArgumentException fail(TensorTask task, MergeMethod method, String message) {
        return new IllegalArgumentException("tensor '" + task.tensorName() + "': merge_method '" + method.name() + "': " + message);
    }

    static FloatTensor requireBase(TensorTask task, MergeMethod method) {
        return task.base().orElseThrow(() -> fail(task, method, "needs base_model, none given"));
    }

    static double global(TensorTask task, MergeMethod method, String name) {
        if (!task.global().has(name)) throw fail(task, method, "global parameter '" + name + "' has no value");
        double v = task.global().get(name);
        if (Double.isNaN(v)) throw fail(task, method, "global parameter '" + name + "' is NaN");
        return v;
    }

    static boolean flag(TensorTask task, MergeMethod method, String name) { return global(task, method, name) != 0.0; }

    static double perModel(TensorTask task, MergeMethod method, MergeInput in, String name) {
        if (!in.params().has(name)) throw fail(task, method, "model '" + in.model() + "' has no value for parameter '" + name + "'");
        double v = in.params().get(name);
        if (Double.isNaN(v)) throw fail(task, method, "model '" + in.model() + "': parameter '" + name + "' is NaN");
        return v;
    }

    /** Every input, the base model added (last) when the recipe did not list it: what mergekit gathers. */
    static List<FloatTensor> allWithBase(TensorTask task) {
        List<FloatTensor> all = new ArrayList<>(task.inputs().stream().map(MergeInput::tensor).toList());
        if (task.base().isPresent() && task.inputs().stream().noneMatch(MergeInput::isBase)) all.add(task.base().get());
        return all;
    }

    static void checkShapes(TensorTask task, MergeMethod method, Shape shape, List<MergeInput> inputs) {
        for (MergeInput in : inputs) {
            if (!in.tensor().shape().equals(shape)) {
                throw fail(task, method, "model '" + in.model() + "' has shape " + in.tensor().shape() + ", expected " + shape);
            }
        }
    }

    /** Elements [start, start + length) of {@code t} as a 1-D tensor sharing its memory. */
    static FloatTensor slice(FloatTensor t, long start, long length) {
        return new FloatTensor(Shape.of(length), t.data().asSlice(start * 4L, length * 4L));
    }

    static FloatTensor copyOf(FloatTensor t, Arena arena) { return t.copy(arena); }

    /**
     * One bit per element, set where {@code x} is non-zero (-0 counts as zero): a sparsified task vector's
     * kept entries. Whole 64-element words go through Vector API compares; {@link #nonZeroBitsScalar} is the twin.
     */
    static MemorySegment nonZeroBits(FloatTensor x, Arena arena) {
        long n = x.size();
        MemorySegment bits = bitWords(n, arena);
        if (64 % F.length() != 0) return scalarBits(x, bits, 0, n);
        MemorySegment s = x.data();
        Blocks.forEach(n, (from, to) -> nonZeroBits(s, bits, from, to));   // blocks start on whole words
        return bits;
    }

    private static void nonZeroBits(MemorySegment s, MemorySegment bits, long from, long to) {
        int lanes = F.length();
        long words = to >>> 6;
        for (long w = from >>> 6; w < words; w++) {
            long word = 0;
            for (int b = 0; b < 64; b += lanes) {
                word |= FloatVector.fromMemorySegment(F, s, ((w << 6) + b) * 4, ByteOrder.LITTLE_ENDIAN)
                        .compare(VectorOperators.NE, 0f).toLong() << b;
            }
            bits.setAtIndex(ValueLayout.JAVA_LONG, w, word);
        }
        scalarBits(s, bits, Math.max(from >>> 6, words), to);
    }

    static MemorySegment nonZeroBitsScalar(FloatTensor x, Arena arena) {
        return scalarBits(x, bitWords(x.size(), arena), 0, x.size());
    }

    /** Zeroed words for one bit per element of an n-element tensor (word i / 64, bit i % 64). */
    static MemorySegment bitWords(long n, Arena arena) { return arena.allocate(Math.max(1, (n + 63) >>> 6) * 8L, 8); }

    private static MemorySegment scalarBits(FloatTensor x, MemorySegment bits, long fromWord, long n) {
        scalarBits(x.data(), bits, fromWord, n);
        return bits;
    }

    /** Words from {@code fromWord} on, up to element n (exclusive), one element at a time. */
    private static void scalarBits(MemorySegment s, MemorySegment bits, long fromWord, long n) {
        for (long w = fromWord, i = fromWord << 6; i < n; w++) {
            long word = 0;
            for (int b = 0; b < 64 && i < n; b++, i++) word |= (long) nonZero(MagnitudeOrder.magnitudeBits(s, i)) << b;
            bits.setAtIndex(ValueLayout.JAVA_LONG, w, word);
        }
    }

    /** 1 where magnitude bits are non-zero, else 0, without a branch (keep/drop patterns are random). */
    static int nonZero(int magnitudeBits) { return (magnitudeBits + 0x7FFFFFFF) >>> 31; }

    /**
     * Zeroes, in place, every element of {@code x} whose bit in {@code bits} is clear (a mask from
     * {@link #nonZeroBits} or {@link CounterRandom#fillBelow}). Whole 64-element words blend by Vector API
     * masks; {@link #keepBitsScalar} is the twin.
     */
    static void keepBits(FloatTensor x, MemorySegment bits) {
        if (64 % F.length() != 0) {
            keepScalar(x, bits, 0, x.size());
            return;
        }
        Blocks.forEach(x.size(), (from, to) -> keepBits(x, bits, from, to));   // blocks start on whole words
    }

    private static void keepBits(FloatTensor x, MemorySegment bits, long from, long to) {
        int lanes = F.length();
        MemorySegment s = x.data();
        long words = to >>> 6;
        FloatVector zero = FloatVector.zero(F);
        for (long w = from >>> 6; w < words; w++) {
            long word = bits.getAtIndex(ValueLayout.JAVA_LONG, w);
            if (word == -1L) continue;
            for (int b = 0; b < 64; b += lanes) {
                long at = ((w << 6) + b) * 4;
                zero.blend(FloatVector.fromMemorySegment(F, s, at, ByteOrder.LITTLE_ENDIAN), VectorMask.fromLong(F, word >>> b))
                        .intoMemorySegment(s, at, ByteOrder.LITTLE_ENDIAN);
            }
        }
        keepScalar(x, bits, Math.max(from >>> 6, words), to);
    }

    static void keepBitsScalar(FloatTensor x, MemorySegment bits) { keepScalar(x, bits, 0, x.size()); }

    /**
     * {sum |x - b|, sum of |x - b| where {@code bits} is set}: a task vector's L1 norm before and after a mask
     * thins it, read straight from the inputs. Double lanes, as {@code VectorKernels.sumAbs};
     * {@link #maskedAbsSumsScalar} is the twin (equal up to the order of the double additions).
     */
    static double[] maskedAbsSums(FloatTensor x, FloatTensor b, MemorySegment bits) {
        int lanes = F.length();
        if (64 % lanes != 0 || D.length() * 2 != lanes) return maskedAbsSumsScalar(x, b, bits, 0, x.size(), new double[2]);
        // one pair of partial sums per block, added in block order (as Blocks.sum): the same whatever ran where
        long n = x.size();
        double[][] partial = new double[Math.toIntExact(Blocks.count(n))][];
        Blocks.forEach(n, (from, to) -> partial[(int) (from / Blocks.SIZE)] = maskedAbsSums(x, b, bits, from, to));
        double[] sums = new double[2];
        for (double[] p : partial) {
            if (p == null) continue;   // alloy.blocks=off: one call covered everything
            sums[0] += p[0];
            sums[1] += p[1];
        }
        return sums;
    }

    private static double[] maskedAbsSums(FloatTensor x, FloatTensor b, MemorySegment bits, long from, long to) {
        int lanes = F.length();
        MemorySegment xs = x.data(), bs = b.data();
        long words = to >>> 6;
        FloatVector zero = FloatVector.zero(F);
        DoubleVector all = DoubleVector.zero(D), kept = DoubleVector.zero(D);
        for (long w = from >>> 6; w < words; w++) {
            long word = bits.getAtIndex(ValueLayout.JAVA_LONG, w);
            for (int k = 0; k < 64; k += lanes) {
                long at = ((w << 6) + k) * 4;
                FloatVector a = FloatVector.fromMemorySegment(F, xs, at, ByteOrder.LITTLE_ENDIAN)
                        .sub(FloatVector.fromMemorySegment(F, bs, at, ByteOrder.LITTLE_ENDIAN)).abs();
                FloatVector m = zero.blend(a, VectorMask.fromLong(F, word >>> k));
                all = all.add((DoubleVector) a.convertShape(VectorOperators.F2D, D, 0)).add((DoubleVector) a.convertShape(VectorOperators.F2D, D, 1));
                kept = kept.add((DoubleVector) m.convertShape(VectorOperators.F2D, D, 0)).add((DoubleVector) m.convertShape(VectorOperators.F2D, D, 1));
            }
        }
        double[] sums = {all.reduceLanes(VectorOperators.ADD), kept.reduceLanes(VectorOperators.ADD)};
        return maskedAbsSumsScalar(x, b, bits, Math.max(from >>> 6, words), to, sums);
    }

    static double[] maskedAbsSumsScalar(FloatTensor x, FloatTensor b, MemorySegment bits) {
        return maskedAbsSumsScalar(x, b, bits, 0, x.size(), new double[2]);
    }

    /** Adds elements from word {@code fromWord} on, up to n, to {@code sums}: the scalar end of a block of {@link #maskedAbsSums}. */
    static double[] maskedAbsSumsTail(FloatTensor x, FloatTensor b, MemorySegment bits, long fromWord, long n, double[] sums) {
        return maskedAbsSumsScalar(x, b, bits, fromWord, n, sums);
    }

    private static double[] maskedAbsSumsScalar(FloatTensor x, FloatTensor b, MemorySegment bits, long fromWord, long n, double[] sums) {
        for (long i = fromWord << 6; i < n; i++) {
            float a = Math.abs(x.get(i) - b.get(i));
            sums[0] += a;
            if (bitOf(bits, i) != 0) sums[1] += a;
        }
        return sums;
    }

    private static void keepScalar(FloatTensor x, MemorySegment bits, long fromWord, long n) {
        for (long i = fromWord << 6; i < n; i++) x.set(i, keepIf(x.get(i), bitOf(bits, i)));
    }

    /** {@code x} where {@code keep} is 1, +0 where it is 0, without a branch. */
    static float keepIf(float x, int keep) { return Float.intBitsToFloat(Float.floatToRawIntBits(x) & -keep); }

    static boolean bit(MemorySegment bits, long i) { return bitOf(bits, i) != 0; }

    /** Bit {@code i} as 0 or 1. */
    static int bitOf(MemorySegment bits, long i) {
        return (int) (bits.getAtIndex(ValueLayout.JAVA_LONG, i >>> 6) >>> (i & 63)) & 1;
    }

    static void setBit(MemorySegment bits, long i) {
        long w = bits.getAtIndex(ValueLayout.JAVA_LONG, i >>> 6);
        bits.setAtIndex(ValueLayout.JAVA_LONG, i >>> 6, w | 1L << (i & 63));
    }
}
