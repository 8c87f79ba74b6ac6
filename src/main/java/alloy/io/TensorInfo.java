package alloy.io;

import alloy.tensor.DType;
import alloy.tensor.Shape;
import java.nio.file.Path;
import java.util.Objects;

/** Where one stored tensor lives and what it holds, as read from a checkpoint's header. */
public record TensorInfo(String name, DType dtype, Shape shape, Path file) {

    public TensorInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(dtype, "dtype of " + name);
        Objects.requireNonNull(shape, "shape of " + name);
        Objects.requireNonNull(file, "file of " + name);
    }

    public long byteSize() { return shape.numel() * dtype.byteSize(); }
}
