package alloy.merge;

import static alloy.merge.MergeSupport.*;

import alloy.tensor.FloatTensor;
import alloy.tensor.Kernels;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import java.util.stream.IntStream;

/**
 * Generalized task arithmetic: task_arithmetic, ties, dare_linear, dare_ties, breadcrumbs, breadcrumbs_ties,
 * della and della_linear are this one method with a {@link Sparsifier} and a {@link Consensus} (mergekit's
 * GeneralizedTaskArithmeticMerge). For one tensor, with base b and fine-tunes x_i:
 * <pre>
 *   d_i = sparsify(x_i - b)                         kept entries, others 0
 *   d_i *= |x_i - b|_1 / |d_i|_1                    if rescale (and both norms >= 1e-7)
 *   v_i = w_i * d_i
 *   NONE:     m = sum_i v_i,                div = sum_i w_i (1 where |div| < 1e-8)
 *   SUM/COUNT: s = elected sign per element, m = sum of v_i with sign(v_i) = s,
 *             div = sum of those w_i, element-wise (1 where it is 0)
 *   out = b + lambda * (normalize ? m / div : m)
 * </pre>
 * Note that without consensus mergekit divides by the sum of all weights, whatever was dropped; with
 * consensus by the weights of the deltas that agree with the elected sign at that element.
 * {@code int8_mask} only chooses the dtype of mergekit's mask tensor and changes nothing here; it is accepted
 * for recipe compatibility.
 *
 * <p>Memory: one scratch tensor for the current delta, plus, with consensus, one bit per element per model
 * recording which entries survived sparsification; the vote then re-derives each v_i from the inputs.
 *
 * @param defaultNormalize mergekit's default for {@code normalize}
 * @param defaultRescale   mergekit's default for {@code rescale}
 */
public record TaskArithmetic(String name, Sparsifier sparsifier, Consensus consensus, boolean defaultNormalize, boolean defaultRescale)
        implements MergeMethod {

    /**
     * Alloy's extra global flag on the methods with a sign election: true elects by counting signs
     * ({@link Consensus#COUNT}) instead of by the sign of the sum. mergekit implements the count election but
     * no registered method reaches it; a recipe that sets this flag is Alloy-only.
     */
    public static final String SIGN_BY_COUNT = "sign_by_count";

    private static final double RESCALE_EPS = 1e-7;

    public TaskArithmetic {
        Objects.requireNonNull(name, "name");
        if (name.isBlank()) throw new IllegalArgumentException("blank method name");
        Objects.requireNonNull(sparsifier, "sparsifier of " + name);
        Objects.requireNonNull(consensus, "consensus of " + name);
    }

    @Override public List<ParamSpec> parameters() {
        List<ParamSpec> p = new ArrayList<>(List.of(
                ParamSpec.flag("int8_mask", false),
                ParamSpec.flag("normalize", defaultNormalize),
                ParamSpec.flag("rescale", defaultRescale),
                ParamSpec.number("lambda", 1.0)));
        if (consensus != Consensus.NONE) p.add(ParamSpec.flag(SIGN_BY_COUNT, false));
        return List.copyOf(p);
    }

    @Override public List<ParamSpec> tensorParameters() {
        // density >= 1 keeps every entry, as mergekit's sparsify functions return the delta untouched there;
        // a negative or NaN density has no meaning and is refused when the recipe is planned
        List<ParamSpec> p = new ArrayList<>(List.of(ParamSpec.required("weight"), ParamSpec.number("density", 1.0).within(0, Double.POSITIVE_INFINITY)));
        p.addAll(sparsifier.parameters());
        return List.copyOf(p);
    }

    @Override public BaseUse base() { return BaseUse.REQUIRED; }

    @Override public boolean random() { return sparsifier.random(); }

    /** The election this tensor uses: the configured one, or COUNT where the recipe asks for it. */
    @Override public String summary() {
        String sparse = switch (sparsifier) {
            case Sparsifier.None n -> "";
            case Sparsifier.Magnitude m -> ", each trimmed to its largest `density` fraction";
            case Sparsifier.Bernoulli b -> ", each randomly dropped to `density` and rescaled (DARE)";
            case Sparsifier.MagnitudeOutliers m -> ", each cut to a magnitude band without the largest `gamma` outliers (breadcrumbs)";
            case Sparsifier.RankMagnitudeSampling r -> ", each sampled by magnitude rank around `density` (DELLA)";
        };
        String vote = consensus == Consensus.NONE ? "" : ", with a sign elected per weight (TIES)";
        return "base + lambda * sum of weighted task vectors" + sparse + vote;
    }

    Consensus consensusFor(TensorTask task) {
        return consensus(consensus != Consensus.NONE && flag(task, this, SIGN_BY_COUNT));
    }

    /** The election this method holds: none without consensus, else by count when {@code sign_by_count} is set. */
    public Consensus consensus(boolean signByCount) {
        if (consensus == Consensus.NONE) return Consensus.NONE;
        return signByCount ? Consensus.COUNT : consensus;
    }

    /**
     * With a sign election and DARE's (or no) sparsifier, every input and the result pass through the vote,
     * which screens them ({@link SignVote}); the sparsifier's pass before it meets a NaN harmlessly (a NaN
     * norm leaves the scale at 1). A magnitude sparsifier ranks the values first and is not offered them
     * unchecked.
     */
    @Override public boolean screensFinite(TensorTask task) {
        boolean draws = sparsifier instanceof Sparsifier.Bernoulli || sparsifier instanceof Sparsifier.None;
        return consensus != Consensus.NONE && draws && task.base().isPresent() && !task.nonBase().isEmpty();
    }

    @Override public FloatTensor merge(TensorTask task, Arena arena, Kernels kernels) {
        FloatTensor base = requireBase(task, this);
        List<MergeInput> models = task.nonBase();
        checkShapes(task, this, base.shape(), models);
        if (models.isEmpty()) {
            FloatTensor copy = task.result(arena, base.shape());
            MemorySegment.copy(base.data(), 0, copy.data(), 0, base.data().byteSize());
            return copy;
        }
        boolean normalize = flag(task, this, "normalize"), rescale = flag(task, this, "rescale");
        double lambda = global(task, this, "lambda");
        Consensus election = consensusFor(task);
        // without an election the deltas accumulate into a zeroed result; the vote writes every element
        FloatTensor out = task.result(arena, base.shape());
        if (election == Consensus.NONE) out.data().fill((byte) 0);

        int m = models.size();
        float[] w = new float[m], scale = new float[m];
        MemorySegment[] kept = new MemorySegment[m];
        FloatTensor[] shared = new FloatTensor[1];   // one delta buffer for all models, made only when something needs it
        // every user overwrites the whole delta (kernels.sub) before reading it
        Supplier<FloatTensor> scratch = () -> shared[0] != null ? shared[0] : (shared[0] = FloatTensor.uninitialized(arena, base.shape()));
        FloatTensor delta = election == Consensus.NONE ? scratch.get() : null;
        double[] density = new double[m];
        boolean[] thins = new boolean[m];
        Sparsifier.Context[] context = new Sparsifier.Context[m];
        for (int i = 0; i < m; i++) {
            MergeInput in = models.get(i);
            w[i] = (float) perModel(task, this, in, "weight");
            density[i] = perModel(task, this, in, "density");
            thins[i] = !(sparsifier instanceof Sparsifier.None) && density[i] < 1;
            context[i] = new Sparsifier.Context(task.tensorName(), in.model(), task.seed(), i, arena);
        }
        // the vote re-derives each delta from the inputs: only the kept sets and the norms are needed, for
        // every thinned model at once
        Sparsifier.Kept[] keptSets = new Sparsifier.Kept[m];
        if (election != Consensus.NONE) {
            int[] thinned = IntStream.range(0, m).filter(i -> thins[i]).toArray();
            Sparsifier.Kept[] k = sparsifier.keepAll(
                    Arrays.stream(thinned).mapToObj(i -> models.get(i).tensor()).toArray(FloatTensor[]::new), base, scratch,
                    Arrays.stream(thinned).mapToDouble(i -> density[i]).toArray(),
                    Arrays.stream(thinned).mapToObj(i -> models.get(i).params()).toArray(Params[]::new),
                    Arrays.stream(thinned).mapToObj(i -> context[i]).toArray(Sparsifier.Context[]::new), kernels, rescale);
            for (int j = 0; j < thinned.length; j++) keptSets[thinned[j]] = k[j];
        }
        for (int i = 0; i < m; i++) {
            MergeInput in = models.get(i);
            double before = 0, after = 0;
            if (election == Consensus.NONE) {
                kernels.sub(in.tensor(), base, delta);
                before = thins[i] && rescale ? kernels.sumAbs(delta) : 0;
                sparsifier.apply(delta, density[i], in.params(), context[i]);
                after = thins[i] && rescale ? kernels.sumAbs(delta) : 0;
            } else if (thins[i]) {
                kept[i] = keptSets[i].bits();
                before = keptSets[i].before();
                after = keptSets[i].after();
            }
            scale[i] = 1f;
            if (thins[i] && rescale && before >= RESCALE_EPS && after >= RESCALE_EPS) scale[i] = (float) (before / after);
            if (election == Consensus.NONE) {
                if (scale[i] != 1f) kernels.scale(delta, scale[i]);
                kernels.axpy(w[i], delta, out);
            }
        }

        if (election == Consensus.NONE) {
            double div = 0;
            for (float x : w) div += x;
            if (Math.abs(div) < 1e-8) div = 1;
            double factor = (normalize ? 1 / div : 1) * lambda;
            if (factor != 1) kernels.scale(out, (float) factor);
            kernels.axpy(1f, base, out);
        } else {
            FloatTensor[] x = models.stream().map(MergeInput::tensor).toArray(FloatTensor[]::new);
            SignVote vote = new SignVote(base, x, w, scale, kept, election == Consensus.COUNT, normalize, (float) lambda);
            // the vote is this method's own kernel: the reference kernels get its plain twin
            boolean screened = kernels == Kernels.reference() ? vote.reference(out) : vote.fast(out);
            if (!screened) task.checkFinite(out);
        }
        return out;
    }
}
