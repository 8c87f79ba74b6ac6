package alloy.merge;

import static alloy.merge.MergeSupport.*;

import alloy.tensor.FloatTensor;
import alloy.tensor.Kernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The single input, copied (the frankenmerge method: slices stacking layers of different models), times its
 * per-model {@code scale} when given. mergekit's scale has no default and is skipped when absent; 1.0 here,
 * which is the same tensor.
 */
public record Passthrough() implements MergeMethod {

    @Override public String name() { return "passthrough"; }

    @Override public String summary() { return "copies tensors unchanged from one model; with slices, stacks layer ranges"; }

    @Override public List<ParamSpec> parameters() { return List.of(); }

    @Override public List<ParamSpec> tensorParameters() { return List.of(ParamSpec.number("scale", 1.0)); }

    @Override public BaseUse base() { return BaseUse.UNUSED; }

    @Override public int maxModels() { return 1; }

    @Override public FloatTensor merge(TensorTask task, Arena arena, Kernels kernels) {
        if (task.inputs().size() != 1) throw fail(task, this, "takes exactly one model per tensor, got " + task.inputs().size());
        MergeInput in = task.inputs().get(0);
        FloatTensor out = task.result(arena, in.tensor().shape());
        MemorySegment.copy(in.tensor().data(), 0, out.data(), 0, out.data().byteSize());
        double scale = perModel(task, this, in, "scale");
        if (scale != 1.0) kernels.scale(out, (float) scale);
        return out;
    }
}
