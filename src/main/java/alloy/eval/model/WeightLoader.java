package alloy.eval.model;

import alloy.io.Checkpoint;
import alloy.io.CheckpointException;
import alloy.io.TensorInfo;
import alloy.tensor.DType;
import alloy.tensor.FloatTensor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * Moves checkpoint tensors into NDArrays owned by a caller's NDManager (a candidate's sub-manager:
 * closing it frees the weights). Safetensors on disk, ONNX initializers and in-memory merge results load
 * the same way.
 *
 * <p>How the bytes travel. DJL's {@code NDManager.create(Buffer)} on the PyTorch engine behaves in two
 * ways: a direct {@link ByteBuffer} becomes a tensor that <em>aliases</em> the buffer's memory
 * ({@code torch::from_blob}, no copy), which is unsafe for memory we do not keep open; any other buffer (a
 * FloatBuffer view of a native segment included) is copied into a fresh {@code ByteBuffer.allocateDirect},
 * zero-filled first, copied element-wise, and freed only by the garbage collector, outside the manager.
 * Neither is used. Instead torch allocates an uninitialized tensor in the manager ({@code torch::empty}),
 * DJL hands out a direct view of its storage ({@code toByteBuffer(true)} on a contiguous CPU tensor), and
 * one bulk {@link MemorySegment#copy} moves the float32 bytes straight from where they lie (the mapped
 * file, the merge result's arena) into it. Other dtypes are decoded to float32 in a confined staging arena
 * first. The copy runs on the calling thread, outside PyTorch's OpenMP pool, whose ops stall whenever one
 * of its threads is descheduled on a busy machine. {@code BertWeightsTest} pins down the DJL behaviour
 * this relies on.
 */
public final class WeightLoader {

    /** Most bytes written through one storage view (a ByteBuffer holds under 2 GiB); bigger tensors load in row blocks. */
    private static final long MAX_PIECE_BYTES = 1L << 30;

    private static final boolean LITTLE_ENDIAN_HOST = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    /** float32 as torch stores it: in the host's byte order. */
    private static final ValueLayout.OfFloat TORCH_F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;

    private final Checkpoint checkpoint;
    private final NDManager manager;

    public WeightLoader(Checkpoint checkpoint, NDManager manager) {
        this.checkpoint = checkpoint;
        this.manager = manager;
    }

    public Checkpoint checkpoint() { return checkpoint; }

    public NDManager manager() { return manager; }

    public boolean has(String name) { return checkpoint.has(name); }

    /**
     * The tensor {@code name} as a float32 NDArray in this loader's manager, checked against
     * {@code expected} dims when any are given (the error names the checkpoint and tensor, expected vs found).
     */
    public NDArray load(String name, long... expected) {
        TensorInfo info = checkpoint.info(name);
        checkShape(name, info, expected);
        long[] dims = info.shape().dims();
        if (info.dtype() == DType.F32) return copyOf(checkpoint.raw(name), dims, name);
        try (Arena staging = Arena.ofConfined()) {
            FloatTensor t = checkpoint.read(name, staging);
            return copyOf(t.data(), dims, name);
        }
    }

    /**
     * Tensors of one shape ({@code expected}) stacked along a new leading block of rows, tensor {@code i}
     * multiplied by {@code scales[i]}: {@code [a; b; c]} for names a, b, c, shape (count · expected[0], ...).
     * Written straight into the new tensor, so building a fused projection costs no torch op.
     */
    public NDArray stack(List<String> names, float[] scales, long... expected) {
        if (names.isEmpty() || scales.length != names.size() || expected.length == 0) {
            throw new IllegalArgumentException("stack: " + names.size() + " names, " + scales.length + " scales, shape " + Arrays.toString(expected));
        }
        long[] dims = expected.clone();
        dims[0] = expected[0] * names.size();
        long blockBytes = Arrays.stream(expected).reduce(1, Math::multiplyExact) * Float.BYTES;
        NDArray out = manager.create(new Shape(dims), DataType.FLOAT32);
        try {
            MemorySegment storage = storageOf(out, blockBytes * names.size());
            for (int i = 0; i < names.size(); i++) {
                String name = names.get(i);
                TensorInfo info = checkpoint.info(name);
                checkShape(name, info, expected);
                MemorySegment block = storage.asSlice(i * blockBytes, blockBytes);
                try (Arena staging = Arena.ofConfined()) {
                    MemorySegment src = info.dtype() == DType.F32 ? checkpoint.raw(name) : checkpoint.read(name, staging).data();
                    if (scales[i] == 1f) {
                        copyFloats(src, block);
                    } else {
                        for (long k = 0, n = blockBytes / Float.BYTES; k < n; k++) {
                            block.setAtIndex(TORCH_F32, k, src.getAtIndex(FloatTensor.F32, k) * scales[i]);
                        }
                    }
                }
            }
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    private void checkShape(String name, TensorInfo info, long[] expected) {
        if (expected.length > 0 && !Arrays.equals(info.shape().dims(), expected)) {
            throw new CheckpointException(checkpoint.label() + ": tensor '" + name + "' expected shape "
                    + Arrays.toString(expected) + ", found " + info.shape());
        }
    }

    /** A torch-owned copy of little-endian float32 {@code data} with shape {@code dims}. */
    private NDArray copyOf(MemorySegment data, long[] dims, String name) {
        if (data.byteSize() <= MAX_PIECE_BYTES || dims.length == 0) return copyInto(data, new Shape(dims));
        // Row blocks of the leading axis, each under the ByteBuffer limit, joined by torch.
        long rowBytes = data.byteSize() / dims[0];
        if (rowBytes > MAX_PIECE_BYTES) {
            throw new CheckpointException(checkpoint.label() + ": tensor '" + name + "' has rows of " + rowBytes
                    + " bytes, more than the " + MAX_PIECE_BYTES + " one piece may hold");
        }
        long rowsPerPiece = MAX_PIECE_BYTES / rowBytes;
        NDList pieces = new NDList();
        try {
            for (long r = 0; r < dims[0]; r += rowsPerPiece) {
                long rows = Math.min(rowsPerPiece, dims[0] - r);
                long[] pieceDims = dims.clone();
                pieceDims[0] = rows;
                pieces.add(copyInto(data.asSlice(r * rowBytes, rows * rowBytes), new Shape(pieceDims)));
            }
            return NDArrays.concat(pieces, 0);
        } finally {
            pieces.close();
        }
    }

    /** A new uninitialized float32 tensor in the manager, filled from {@code data} by one bulk copy. */
    private NDArray copyInto(MemorySegment data, Shape shape) {
        NDArray out = manager.create(shape, DataType.FLOAT32);
        try {
            copyFloats(data, storageOf(out, data.byteSize()));
            return out;
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /** Little-endian float32 {@code src} into torch storage {@code dst} of the same size: one bulk copy on little-endian hosts. */
    private static void copyFloats(MemorySegment src, MemorySegment dst) {
        if (LITTLE_ENDIAN_HOST) {
            MemorySegment.copy(src, 0, dst, 0, src.byteSize());
        } else {
            for (long k = 0, n = src.byteSize() / Float.BYTES; k < n; k++) dst.setAtIndex(TORCH_F32, k, src.getAtIndex(FloatTensor.F32, k));
        }
    }

    /** The storage of a new contiguous CPU tensor as a writable segment of {@code bytes} bytes. */
    private static MemorySegment storageOf(NDArray array, long bytes) {
        ByteBuffer storage = array.toByteBuffer(true);
        if (!storage.isDirect() || storage.isReadOnly() || storage.capacity() != bytes) {
            throw new IllegalStateException("DJL returned a " + (storage.isDirect() ? "" : "non-direct ") + (storage.isReadOnly() ? "read-only " : "")
                    + "view of " + storage.capacity() + " bytes for a new tensor of " + bytes + " bytes; WeightLoader writes into the storage itself");
        }
        return MemorySegment.ofBuffer(storage);
    }
}
