package alloy.io;

import alloy.tensor.FloatTensor;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;

/**
 * Where a merge streams its output tensors: a safetensors checkpoint or an ONNX model rebuilt from a
 * template. Writes may come from several threads; nothing appears under the output name before
 * {@link #commit()}, and closing without commit removes everything written.
 */
public interface TensorSink extends AutoCloseable {

    /** Encodes {@code t} into the planned dtype of tensor {@code name}. */
    void write(String name, FloatTensor t);

    /** Copies stored bytes through unchanged. */
    void writeRaw(String name, MemorySegment bytes);

    Path commit();

    @Override void close();
}
