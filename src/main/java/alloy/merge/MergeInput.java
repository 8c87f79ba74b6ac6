package alloy.merge;

import alloy.tensor.FloatTensor;
import java.util.Objects;

/** One model's version of the tensor being merged, with that model's resolved per-model parameters. */
public record MergeInput(String model, FloatTensor tensor, Params params, boolean isBase) {
    public MergeInput {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(tensor, "tensor of " + model);
        Objects.requireNonNull(params, "params of " + model);
    }
}
