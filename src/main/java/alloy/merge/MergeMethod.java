package alloy.merge;

import alloy.tensor.FloatTensor;
import alloy.tensor.Kernels;
import java.lang.foreign.Arena;
import java.util.List;

/**
 * A way of merging one tensor from several models. Implementations are stateless values; the planner
 * checks a recipe against {@link #parameters()}, {@link #tensorParameters()} and {@link #base()} before any
 * tensor is read, so {@link #merge} can assume complete, valid parameters.
 */
public interface MergeMethod {

    /** Whether the method needs a base_model. */
    enum BaseUse { REQUIRED, OPTIONAL, UNUSED }

    /** mergekit's name, as written in merge_method. */
    String name();

    /** Global parameters (recipe-level {@code parameters}). */
    List<ParamSpec> parameters();

    /** Per-model parameters (a model's {@code parameters}, falling back to the recipe-level value). */
    List<ParamSpec> tensorParameters();

    BaseUse base();

    /** The smallest and largest number of non-base models the method accepts. */
    default int minModels() { return 1; }

    default int maxModels() { return Integer.MAX_VALUE; }

    /** One line on what the method does, for {@code alloy methods}. */
    String summary();

    /** True for methods whose output depends on the random seed. */
    default boolean random() { return false; }

    /**
     * True when {@link #merge} finds NaN and infinities itself, in every input and in its result, within
     * passes it makes anyway, and calls {@link TensorTask#checkFinite} whenever it may have met one: the
     * caller may then leave out its own passes over the inputs and the result (each a full read of a
     * tensor). A screen may raise false alarms, never miss. Inputs reach such a method unchecked.
     */
    default boolean screensFinite(TensorTask task) { return false; }

    /** Merges one tensor; the result is allocated in {@code arena} and may not alias any input. */
    FloatTensor merge(TensorTask task, Arena arena, Kernels kernels);
}
