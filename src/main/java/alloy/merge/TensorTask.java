package alloy.merge;

import alloy.tensor.FloatTensor;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything a method needs to merge one tensor. {@code inputs} are the recipe's {@code models} in recipe
 * order, the base model included (flagged) when the recipe lists it; {@code base} is the base model's
 * tensor whether listed or not. All tensors have the same shape. {@code seed} is derived from the run's
 * --random-seed and the tensor name, so random methods give the same mask whatever the execution order.
 */
public record TensorTask(String tensorName, Optional<FloatTensor> base, List<MergeInput> inputs, Params global, long seed) {
    public TensorTask {
        Objects.requireNonNull(tensorName, "tensorName");
        Objects.requireNonNull(base, "base");
        inputs = List.copyOf(inputs);
        Objects.requireNonNull(global, "global");
        if (inputs.isEmpty() && base.isEmpty()) throw new IllegalArgumentException("tensor '" + tensorName + "': nothing to merge");
    }

    /** Inputs other than the base model: the models whose task vectors are merged. */
    public List<MergeInput> nonBase() { return inputs.stream().filter(i -> !i.isBase()).toList(); }
}
