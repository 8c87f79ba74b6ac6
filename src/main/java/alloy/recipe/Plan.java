package alloy.recipe;

import alloy.merge.MergeMethod;
import alloy.merge.Params;
import alloy.tensor.DType;
import alloy.tensor.Shape;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The whole merge as data, decided before any tensor is read: one step per output tensor with the exact
 * source tensors, resolved parameters, output dtype and shape. Printing a plan ({@code --dry-run}) shows
 * exactly what a merge will do.
 */
public record Plan(Recipe recipe, MergeMethod method, List<Step> steps, DType outDtype, int outLayers, List<String> notes) {

    /** One input tensor: which model (as the recipe names it) and which tensor in it. */
    public record Source(String model, String tensor, boolean isBase) {
        public Source {
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(tensor, "tensor");
        }
    }

    /** How an output tensor is produced. */
    public enum Kind {
        /** Computed by the merge method from {@code sources} (and {@code base}). */
        MERGE,
        /** Bytes copied from the first source: tensors Alloy cannot compute with (integer buffers). */
        COPY
    }

    /**
     * One output tensor. {@code shape} is the output shape; sources larger than it (vocabularies of
     * different size) are cut to their leading rows and columns, as mergekit does for embeddings.
     */
    public record Step(String name, Kind kind, Shape shape, DType dtype, List<Source> sources, Optional<Source> base,
                       Params global, List<Params> perModel, double t) {
        public Step {
            Objects.requireNonNull(name, "name");
            sources = List.copyOf(sources);
            perModel = List.copyOf(perModel);
            if (kind == Kind.MERGE && perModel.size() != sources.size()) {
                throw new IllegalArgumentException("tensor '" + name + "': " + sources.size() + " sources but " + perModel.size() + " parameter sets");
            }
        }

        public long byteSize() { return shape.numel() * dtype.byteSize(); }
    }

    public Plan {
        steps = List.copyOf(steps);
        notes = List.copyOf(notes);
    }

    public long outputBytes() { return steps.stream().mapToLong(Step::byteSize).sum(); }
}
