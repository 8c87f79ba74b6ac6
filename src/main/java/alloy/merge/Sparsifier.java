package alloy.merge;

import alloy.tensor.FloatTensor;
import alloy.tensor.Kernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * How one task vector (a fine-tune minus the base, one tensor) is thinned before the TIES-family merge:
 * mergekit's SparsificationMethod. {@link #apply} zeroes, in place, the entries it drops; rescaling the
 * survivors is the caller's business (mergekit's rescale_norm, L1), since it applies to every variant alike.
 * Every variant returns the delta untouched when density >= 1, as mergekit's do.
 */
public sealed interface Sparsifier {

    /** mergekit's name for the variant ("none" where it has none). */
    String name();

    /** Per-model parameters the variant reads besides weight and density, with mergekit's defaults. */
    List<ParamSpec> parameters();

    /** True where the kept set is drawn at random, from {@link Context#seed()}. */
    boolean random();

    void apply(FloatTensor delta, double density, Params params, Context context);

    /**
     * What a sign election needs of the thinned task vector {@code x - base}: one bit per element that
     * survives (an entry whose delta is 0 may read either way: it never agrees with an elected sign) and,
     * when {@code norms}, its L1 norm before and after thinning, for rescale. The default materialises the
     * delta in {@code scratch} (a buffer of base's shape, shared by the models of one tensor) and thins it
     * with {@link #apply}; a variant whose kept set does not depend on the values never asks for it.
     */
    default Kept keep(FloatTensor x, FloatTensor base, Supplier<FloatTensor> scratch, double density, Params params,
                      Context context, Kernels kernels, boolean norms) {
        FloatTensor delta = scratch.get();
        kernels.sub(x, base, delta);
        double before = norms ? kernels.sumAbs(delta) : 0;
        apply(delta, density, params, context);
        double after = norms ? kernels.sumAbs(delta) : 0;
        return new Kept(MergeSupport.nonZeroBits(delta, context.arena()), before, after);
    }

    /**
     * {@link #keep} for several models of one tensor, {@code x[i]} with {@code density[i]}, {@code params[i]}
     * and {@code context[i]}, in that order: model by model, unless a variant gains from one pass over all
     * of them.
     */
    default Kept[] keepAll(FloatTensor[] x, FloatTensor base, Supplier<FloatTensor> scratch, double[] density, Params[] params,
                           Context[] context, Kernels kernels, boolean norms) {
        Kept[] kept = new Kept[x.length];
        for (int i = 0; i < x.length; i++) kept[i] = keep(x[i], base, scratch, density[i], params[i], context[i], kernels, norms);
        return kept;
    }

    /** A kept set as bits (one per element, word i / 64, bit i % 64) and the L1 norms before and after. */
    record Kept(MemorySegment bits, double before, double after) {
        public Kept {
            Objects.requireNonNull(bits, "bits");
        }

        /** {@code bits} with, when {@code norms}, |x - base|_1 before and after the mask, read from the inputs. */
        static Kept of(MemorySegment bits, FloatTensor x, FloatTensor base, Kernels kernels, boolean norms) {
            if (!norms) return new Kept(bits, 0, 0);
            double[] sums = kernels == Kernels.reference() ? MergeSupport.maskedAbsSumsScalar(x, base, bits) : MergeSupport.maskedAbsSums(x, base, bits);
            return new Kept(bits, sums[0], sums[1]);
        }
    }

    /**
     * Which tensor and model a delta belongs to, for errors and for the random stream: {@code seed} is the
     * tensor's ({@link TensorTask#seed()}), {@code stream} the model's position among the task vectors
     * merged (recipe order, base excluded), so masks do not depend on thread or execution order.
     */
    record Context(String tensor, String model, long seed, int stream, Arena arena) {
        public Context {
            Objects.requireNonNull(tensor, "tensor");
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(arena, "arena");
            if (stream < 0) throw new IllegalArgumentException("stream " + stream);
        }

        IllegalArgumentException fail(String message) {
            return new IllegalArgumentException("tensor '" + tensor + "', model '" + model + "': " + message);
        }

        double param(Params params, String name) {
            if (!params.has(name)) throw fail("no value for parameter '" + name + "'");
            return params.get(name);
        }
    }

    /** Keeps everything (task_arithmetic). */
    record None() implements Sparsifier {
        @Override public String name() { return "none"; }
        @Override public List<ParamSpec> parameters() { return List.of(); }
        @Override public boolean random() { return false; }
        @Override public void apply(FloatTensor delta, double density, Params params, Context context) {}
    }

    /**
     * TIES: keeps the {@code floor(density * n)} entries of largest magnitude (mergekit's "magnitude").
     * Selection is O(n) ({@link MagnitudeOrder#top}); mergekit sorts the whole tensor.
     */
    record Magnitude() implements Sparsifier {
        @Override public String name() { return "magnitude"; }
        @Override public List<ParamSpec> parameters() { return List.of(); }
        @Override public boolean random() { return false; }

        @Override public void apply(FloatTensor delta, double density, Params params, Context context) {
            checkDensity(density, context);
            if (density >= 1) return;
            MagnitudeOrder order = MagnitudeOrder.fast();
            order.keepBand(delta, MagnitudeOrder.Cut.NONE, order.top(delta, keptCount(delta.size(), density)));
        }

        @Override public Kept keep(FloatTensor x, FloatTensor base, Supplier<FloatTensor> scratch, double density, Params params,
                                   Context context, Kernels kernels, boolean norms) {
            checkDensity(density, context);
            if (density >= 1) return Sparsifier.super.keep(x, base, scratch, density, params, context, kernels, norms);
            return banded(x, base, scratch.get(), context, kernels, norms, (delta, order) ->
                    new MagnitudeOrder.Cut[] {MagnitudeOrder.Cut.NONE, order.top(delta, keptCount(delta.size(), density))});
        }

        private static long keptCount(long n, double density) { return (long) (density * n); }   // Python's int(density * numel)
    }

    /**
     * DARE: keeps each entry independently with probability density (mergekit's "random", torch.bernoulli),
     * drawn from a counter-based generator keyed by (seed, model position, element index).
     */
    record Bernoulli() implements Sparsifier {
        @Override public String name() { return "random"; }
        @Override public List<ParamSpec> parameters() { return List.of(); }
        @Override public boolean random() { return true; }

        @Override public void apply(FloatTensor delta, double density, Params params, Context context) {
            checkDensity(density, context);
            if (density >= 1) return;
            MergeSupport.keepBits(delta, mask(delta.size(), density, context));
        }

        /** The same mask as {@link #apply} keeps, with no delta written: the inputs are read once, for the norms. */
        @Override public Kept keep(FloatTensor x, FloatTensor base, Supplier<FloatTensor> scratch, double density, Params params,
                                   Context context, Kernels kernels, boolean norms) {
            checkDensity(density, context);
            if (density >= 1) return Sparsifier.super.keep(x, base, scratch, density, params, context, kernels, norms);
            return Kept.of(mask(x.size(), density, context), x, base, kernels, norms);
        }

        /**
         * With the fast kernels, every mask and norm in one pass over the tensor ({@link DareMasks}): the same
         * bits as {@link #keep} model by model, which is the way the reference kernels go.
         */
        @Override public Kept[] keepAll(FloatTensor[] x, FloatTensor base, Supplier<FloatTensor> scratch, double[] density, Params[] params,
                                        Context[] context, Kernels kernels, boolean norms) {
            boolean fused = kernels != Kernels.reference() && DareMasks.fused();
            for (int i = 0; i < x.length; i++) {
                checkDensity(density[i], context[i]);
                fused &= density[i] < 1;
            }
            if (!fused || x.length == 0) return Sparsifier.super.keepAll(x, base, scratch, density, params, context, kernels, norms);
            CounterRandom[] random = new CounterRandom[x.length];
            long[] threshold = new long[x.length];
            MemorySegment[] bits = new MemorySegment[x.length];
            for (int i = 0; i < x.length; i++) {
                random[i] = new CounterRandom(context[i].seed(), context[i].stream());
                threshold[i] = CounterRandom.threshold(density[i]);
                bits[i] = MergeSupport.bitWords(x[i].size(), context[i].arena());
            }
            return DareMasks.fast(base, x, random, threshold, bits, norms);
        }

        private static MemorySegment mask(long n, double density, Context context) {
            MemorySegment mask = MergeSupport.bitWords(n, context.arena());
            new CounterRandom(context.seed(), context.stream()).fillBelow(CounterRandom.threshold(density), mask, n);
            return mask;
        }
    }

    /**
     * Model Breadcrumbs (mergekit's "magnitude_outliers"): by decreasing magnitude, drops the first
     * {@code floor(gamma * n)} entries (outliers), keeps the next {@code floor(density * n)}, drops the rest.
     * When gamma + density exceed 1 fewer outliers are dropped, so that the kept count is always
     * floor(density * n).
     *
     * <p>Differs from mergekit where floor(gamma * n) = 0 (gamma 0, or tensors of fewer than 1/gamma
     * elements, e.g. norms and biases at gamma 0.01): mergekit slices {@code indices[n_bot:-0]}, which is
     * empty, and so drops the whole task vector; here nothing is dropped from the top and density still holds.
     */
    record MagnitudeOutliers() implements Sparsifier {
        @Override public String name() { return "magnitude_outliers"; }
        @Override public List<ParamSpec> parameters() { return List.of(ParamSpec.number("gamma", 0.01).within(0, 1)); }
        @Override public boolean random() { return false; }

        @Override public void apply(FloatTensor delta, double density, Params params, Context context) {
            checkDensity(density, context);
            if (density >= 1) return;
            double gamma = gamma(params, context);
            MagnitudeOrder order = MagnitudeOrder.fast();
            MagnitudeOrder.Cut[] band = band(delta, density, gamma, order);
            order.keepBand(delta, band[0], band[1]);
        }

        @Override public Kept keep(FloatTensor x, FloatTensor base, Supplier<FloatTensor> scratch, double density, Params params,
                                   Context context, Kernels kernels, boolean norms) {
            checkDensity(density, context);
            if (density >= 1) return Sparsifier.super.keep(x, base, scratch, density, params, context, kernels, norms);
            double gamma = gamma(params, context);
            return banded(x, base, scratch.get(), context, kernels, norms, (delta, order) -> band(delta, density, gamma, order));
        }

        private static double gamma(Params params, Context context) {
            double gamma = context.param(params, "gamma");
            if (!(gamma >= 0 && gamma <= 1)) throw context.fail("gamma must lie in [0, 1], got " + gamma);
            return gamma;
        }

        /** {outliers dropped from the top, outliers plus kept}: the band between them survives. */
        private static MagnitudeOrder.Cut[] band(FloatTensor delta, double density, double gamma, MagnitudeOrder order) {
            long n = delta.size();
            long keep = (long) (density * n);
            long top = Math.min((long) (gamma * n), n - keep);
            return new MagnitudeOrder.Cut[] {order.top(delta, top), order.top(delta, top + keep)};
        }
    }

    /**
     * DELLA's MagPrune (mergekit's "della_magprune"): within each fibre along axis 1 (each row of a matrix;
     * a vector is one fibre, as mergekit unsqueezes it), entries are ranked by magnitude and kept with
     * probability rising linearly with rank from density - epsilon (smallest) to density + epsilon (largest),
     * so the expected kept fraction is density. Needs 0 < density - epsilon and density + epsilon < 1.
     * A fibre of one element is kept with probability density (mergekit's 0/0 rank norm gives NaN there).
     */
    record RankMagnitudeSampling() implements Sparsifier {
        @Override public String name() { return "della_magprune"; }
        @Override public List<ParamSpec> parameters() { return List.of(ParamSpec.number("epsilon", 0.15)); }
        @Override public boolean random() { return true; }

        @Override public void apply(FloatTensor delta, double density, Params params, Context context) {
            checkDensity(density, context);
            if (density >= 1) return;
            if (density <= 0) {
                delta.data().fill((byte) 0);
                return;
            }
            double epsilon = context.param(params, "epsilon");
            if (!(density - epsilon > 0 && density + epsilon < 1)) {
                throw context.fail("della needs 0 < density - epsilon and density + epsilon < 1, got density " + density + ", epsilon " + epsilon);
            }
            Fibers fibers = delta.shape().rank() >= 2 ? Fibers.along(delta.shape(), 1) : Fibers.whole(delta.size());
            if (fibers.length() > Integer.MAX_VALUE - 8) throw context.fail("fibre of " + fibers.length() + " elements is too long to rank");
            int length = (int) fibers.length();
            if (length == 0) return;
            MagnitudeOrder.FiberSorter sorter = MagnitudeOrder.fast().sorter(context.arena(), length);
            CounterRandom r = new CounterRandom(context.seed(), context.stream());
            double low = density - epsilon, span = 2 * epsilon;
            for (long f = 0; f < fibers.count(); f++) {
                long start = fibers.start(f), stride = fibers.stride();
                MemorySegment order = sorter.ascending(delta, start, stride, length);
                double step = length > 1 ? span / (length - 1) : 0;
                double first = length > 1 ? low : density;
                for (int rank = 0; rank < length; rank++) {
                    long i = start + order.getAtIndex(ValueLayout.JAVA_INT, rank) * stride;
                    long threshold = CounterRandom.threshold(first + rank * step);
                    delta.set(i, MergeSupport.keepIf(delta.get(i), r.below(i, threshold)));
                }
            }
        }
    }

    /**
     * The kept set of a magnitude band of {@code x - base} as bits, with no pass that writes the delta
     * back: {@code cuts} gives {lower, upper} for the delta.
     */
    private static Kept banded(FloatTensor x, FloatTensor base, FloatTensor delta, Context context, Kernels kernels, boolean norms,
                               BiFunction<FloatTensor, MagnitudeOrder, MagnitudeOrder.Cut[]> cuts) {
        kernels.sub(x, base, delta);
        MagnitudeOrder order = MagnitudeOrder.fast();
        MagnitudeOrder.Cut[] band = cuts.apply(delta, order);
        return Kept.of(order.bandBits(delta, band[0], band[1], context.arena()), x, base, kernels, norms);
    }

    private static void checkDensity(double density, Context context) {
        if (!(density >= 0)) throw context.fail("density must be >= 0, got " + density);
    }
}
