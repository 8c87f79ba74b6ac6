package alloy.merge;

import alloy.tensor.FloatTensor;
import alloy.tensor.Shape;
import java.lang.foreign.Arena;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything a method needs to merge one tensor. {@code inputs} are the recipe's {@code models} in recipe
 * order, the base model included (flagged) when the recipe lists it; {@code base} is the base model's
 * tensor whether listed or not. All tensors have the same shape. {@code seed} is derived from the run's
 * --random-seed and the tensor name, so random methods give the same mask whatever the execution order.
 * {@code result}, when present, is where the caller wants the merged tensor (see {@link #result(Arena, Shape)});
 * {@code finiteCheck}, the caller's checks for NaN and infinities, which a method that screens for them
 * itself runs when its screen finds something ({@link MergeMethod#screensFinite}).
 */
public record TensorTask(String tensorName, Optional<FloatTensor> base, List<MergeInput> inputs, Params global, long seed,
                         Optional<ResultMemory> result, Optional<FiniteCheck> finiteCheck) {

    /**
     * Memory for the merged tensor, chosen by the caller: an in-memory checkpoint's, so that a method that
     * writes its result there spares the executor a second buffer and a copy of the whole tensor.
     */
    @FunctionalInterface
    public interface ResultMemory {
        /** A tensor of {@code shape} whose contents are unspecified. */
        FloatTensor allocate(Shape shape);
    }

    /** The caller's checks for NaN and infinities, each throwing with the caller's own message (naming the file and model). */
    public interface FiniteCheck {
        /** Throws when an input holds a NaN or an infinity. */
        void inputs();

        /** Throws when {@code result} does. */
        void result(FloatTensor result);
    }

    public TensorTask {
        Objects.requireNonNull(tensorName, "tensorName");
        Objects.requireNonNull(base, "base");
        inputs = List.copyOf(inputs);
        Objects.requireNonNull(global, "global");
        Objects.requireNonNull(result, "result");
        Objects.requireNonNull(finiteCheck, "finiteCheck");
        if (inputs.isEmpty() && base.isEmpty()) throw new IllegalArgumentException("tensor '" + tensorName + "': nothing to merge");
    }

    /** A task whose result may live anywhere in the method's arena, its values checked (or not) by the caller alone. */
    public TensorTask(String tensorName, Optional<FloatTensor> base, List<MergeInput> inputs, Params global, long seed) {
        this(tensorName, base, inputs, global, seed, Optional.empty(), Optional.empty());
    }

    /** Inputs other than the base model: the models whose task vectors are merged. */
    public List<MergeInput> nonBase() { return inputs.stream().filter(i -> !i.isBase()).toList(); }

    /**
     * The buffer a method returns its result in, contents unspecified: the caller's {@link ResultMemory}
     * when there is one, else a buffer in {@code arena}. Each call allocates; a method calls it once, for
     * the tensor it returns, and writes every element.
     */
    public FloatTensor result(Arena arena, Shape shape) {
        return result.isPresent() ? result.get().allocate(shape) : FloatTensor.uninitialized(arena, shape);
    }

    /**
     * Runs the caller's checks on the inputs, then on {@code result}: for a method whose own screen for
     * NaN and infinities has found something (or a false alarm, which passes both).
     */
    public void checkFinite(FloatTensor result) {
        finiteCheck.ifPresent(c -> {
            c.inputs();
            c.result(result);
        });
    }
}
