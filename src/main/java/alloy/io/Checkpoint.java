package alloy.io;

import alloy.tensor.Codec;
import alloy.tensor.DType;
import alloy.tensor.FloatTensor;
import alloy.tensor.MachineMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A set of named tensors read lazily: safetensors (single or sharded), ONNX initializers, or a merge result
 * held in memory. Each open checkpoint owns its native memory (an Arena) and releases it on close; views
 * returned by {@link #raw} are valid until then and are read-only.
 */
public interface Checkpoint extends AutoCloseable {

    /** What the user named: a directory, a file, or a merge in memory. Used in every error message. */
    String label();

    /** The Hugging Face-style model directory holding config.json and tokenizer files, when there is one. */
    Optional<Path> modelDirectory();

    /** The files this checkpoint reads its tensors from (none for a merge in memory); an output may never touch them. */
    List<Path> sources();

    /** Tensors in storage order. */
    List<TensorInfo> tensors();

    Optional<TensorInfo> find(String name);

    /** The stored bytes of one tensor, read-only. */
    MemorySegment raw(String name);

    /** {@code __metadata__} of safetensors files, or the equivalent; empty when there is none. */
    Map<String, String> metadata();

    /** config.json when the checkpoint has one. */
    default Optional<HfConfig> config() { return modelDirectory().flatMap(HfConfig::read); }

    default TensorInfo info(String name) {
        return find(name).orElseThrow(() -> new CheckpointException(label() + ": no tensor named '" + name + "'"));
    }

    default boolean has(String name) { return find(name).isPresent(); }

    /** The tensor decoded to float32 in {@code arena}. */
    default FloatTensor read(String name, Arena arena) {
        TensorInfo info = info(name);
        if (!info.dtype().arithmetic()) {
            throw new CheckpointException(label() + ": tensor '" + name + "' has dtype " + info.dtype()
                    + ", which Alloy copies but cannot merge");
        }
        long numel = info.shape().numel();
        if (!MachineMemory.fitsFloat32(numel)) {
            throw new CheckpointException(label() + ": tensor '" + name + "' " + info.shape() + " needs "
                    + MachineMemory.human(MachineMemory.float32Bytes(numel)) + " as float32, more than this machine's "
                    + MachineMemory.human(MachineMemory.total()) + " of memory");
        }
        MemorySegment raw = raw(name);
        try {
            return Codec.decode(raw, info.dtype(), info.shape(), arena);
        } catch (InternalError e) {
            if (!MappedReads.isFault(e)) throw e;
            throw new CheckpointException(label() + ": tensor '" + name + "' could not be read from the mapped file (truncated while open?)", e);
        } catch (OutOfMemoryError e) {
            // the decode buffer is native memory: failing to get it leaves the heap as it was
            throw new CheckpointException(label() + ": tensor '" + name + "' " + info.shape() + ": cannot allocate "
                    + MachineMemory.human(MachineMemory.float32Bytes(numel)) + " to decode it (" + e.getMessage() + ")");
        }
    }

    /**
     * The tensor as float32 for reading only: F32 data as a read-only view of the checkpoint's own memory
     * (no copy; valid while the checkpoint is open, and any write throws), other dtypes decoded into
     * {@code arena} as by {@link #read}.
     */
    default FloatTensor view(String name, Arena arena) {
        TensorInfo info = info(name);
        if (info.dtype() != DType.F32) return read(name, arena);
        return new FloatTensor(info.shape(), raw(name).asReadOnly());
    }

    @Override void close();
}
