package alloy.lora;

import alloy.io.CheckpointException;
import alloy.io.CheckpointWriter;
import alloy.io.OutputTarget;
import alloy.merge.Consensus;
import alloy.merge.MergeInput;
import alloy.merge.MergeMethod;
import alloy.merge.MergeMethods;
import alloy.merge.Params;
import alloy.merge.Sparsifier;
import alloy.merge.TaskArithmetic;
import alloy.merge.TensorTask;
import alloy.tensor.DType;
import alloy.tensor.FloatTensor;
import alloy.tensor.Kernels;
import alloy.tensor.Shape;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.TreeSet;
import alloy.merge.TensorSeeds;
import java.util.Locale;

/**
 * Combines LoRA adapters into one adapter, as PEFT's LoraModel.add_weighted_adapter does
 * (peft/tuners/lora/model.py; the merge functions are peft/utils/merge_utils.py). For every module, with
 * f_i = w_i · scale_i (scale_i = alpha_i / r_i, or alpha_i / sqrt(r_i) with rslora):
 * <ul>
 *   <li>{@code cat}: A = concat over rank of (f_i · A_i), B = concat over rank of B_i, so B·A = sum f_i B_i A_i
 *       exactly; new r = sum of the adapters' r (adapters lacking the module leave zero rows at the end).</li>
 *   <li>{@code linear, ties, dare_linear, dare_ties, magnitude_prune} (_generalized_task_arithmetic_weighted_adapter):
 *       A and B are combined separately, each as a stack of task tensors with weights
 *       wA_i = sign(f_i) sqrt|f_i| and wB_i = sqrt|f_i| (the sign goes on A only). A = M(A_1.., wA), B = M(B_1.., wB)
 *       with M the merge_utils function of the same name. Note that for linear B·A = (sum wB_i B_i)(sum wA_j A_j)
 *       has cross terms B_i A_j: it is not the sum of the deltas (only cat is). All adapters must have one r.</li>
 * </ul>
 * The new adapter's config is the first adapter's with r = lora_alpha = new r (scale 1: the scales are already
 * inside the factors), rank_pattern and alpha_pattern emptied, target_modules the union (lists) or the
 * alternation "(t1)|(t2)" (regex strings), and use_rslora false. PEFT main (as of 2026-08) still inherits
 * use_rslora from the first adapter, which makes the combined scale sqrt(r) instead of 1 whenever that adapter
 * used rslora; proposed fixes (PRs 3449, 3473) set use_rslora to false, as here.
 *
 * <p>Where PEFT's TIES differs from mergekit's (and so from {@link MergeMethods}'s "ties"), PEFT is followed:
 * <ul>
 *   <li>the sign is elected from the pruned tensors before weighting (mergekit: from the weighted ones);</li>
 *   <li>the agreeing weighted entries are divided by how many agree (mergekit, with normalize: by the sum of
 *       their weights; without normalize: not at all);</li>
 *   <li>DARE rescales kept entries by 1/density (mergekit's rescale: by the ratio of L1 norms before and after).</li>
 * </ul>
 * So linear, magnitude_prune and dare_linear, which have no election, run through Alloy's
 * {@link TaskArithmetic} on a zero base (normalize off, rescale off; dare_linear's 1/density folded into the
 * weights), while ties and dare_ties reuse its sparsifiers and do PEFT's election and disjoint mean here.
 *
 * <p>Random masks (dare_*) come from the merge package's counter-based generator keyed by
 * {@code --random-seed} and the output tensor's name, so A and B get independent masks and a rerun with the same
 * seed gives the same adapter. They cannot equal torch's bernoulli draws; the distribution is the same.
 */
public final class LoraCombine {

    private LoraCombine() {}

    /**
     * @param density      fraction kept by the pruning methods; required by them, ignored by linear and cat
     * @param majoritySign ties and dare_ties only
     * @param seed         dare_linear and dare_ties only
     */
    public record Options(CombineMethod method, OptionalDouble density, MajoritySign majoritySign, long seed) {
        public Options {
            Objects.requireNonNull(method, "method");
            Objects.requireNonNull(density, "density");
            Objects.requireNonNull(majoritySign, "majoritySign");
            if (density.isPresent()) {
                double d = density.getAsDouble();
                if (!(d >= 0 && d <= 1)) throw new IllegalArgumentException("density must lie in [0, 1], got " + d);
                if (method.random() && d == 0) {
                    throw new IllegalArgumentException(method.peftName() + " divides kept entries by density, so density must be > 0");
                }
            } else if (method.needsDensity()) {
                throw new IllegalArgumentException(method.peftName() + " needs a density (the fraction of each factor's entries kept)");
            }
        }

        public static Options of(CombineMethod method) { return new Options(method, OptionalDouble.empty(), MajoritySign.TOTAL, 0); }

        public static Options of(CombineMethod method, double density, long seed) {
            return new Options(method, OptionalDouble.of(density), MajoritySign.TOTAL, seed);
        }
    }

    /** One adapter's module entering the combination. */
    public record Source(LoraAdapter adapter, LoraModule module, double weight) {
        public Source {
            Objects.requireNonNull(adapter, "adapter");
            Objects.requireNonNull(module, "module");
        }

        /** f = w · scale: the factor the combination folds into the factors. */
        public double factor() { return weight * module.scale(); }
    }

    /**
     * One module of the combined adapter.
     *
     * @param aShape (newR, in)
     * @param bShape (out, newR)
     */
    public record Output(String module, LoraModule.Kind kind, String aName, String bName, DType dtype, Shape aShape, Shape bShape,
                         List<Source> sources) {
        public Output {
            Objects.requireNonNull(module, "module");
            sources = List.copyOf(sources);
            if (sources.isEmpty()) throw new IllegalArgumentException("module '" + module + "': no sources");
        }
    }

    /**
     * What a combination produces, checked.
     *
     * @param method PEFT's effective method: linear whenever there is a single adapter
     * @param rank   the new r (and lora_alpha)
     */
    public record Plan(CombineMethod method, int rank, List<Output> outputs, ObjectNode config) {
        public Plan {
            outputs = List.copyOf(outputs);
        }
    }

    /** Checks the adapters against each other and lays out the combined adapter. */
    public static Plan plan(List<WeightedAdapter> adapters, Options opt) {
        if (adapters.isEmpty()) throw new IllegalArgumentException("no adapters to combine");
        // PEFT: "if there is only one adapter, we can only use linear merging"
        CombineMethod method = adapters.size() == 1 ? CombineMethod.LINEAR : opt.method();
        int rank;
        if (method.sameRank()) {
            rank = adapters.get(0).adapter().config().maxRank();
            for (WeightedAdapter wa : adapters) {
                int r = wa.adapter().config().maxRank();
                if (r != rank) {
                    throw new CheckpointException(method.peftName() + " needs adapters of one rank (as PEFT's add_weighted_adapter): "
                            + adapters.get(0).adapter().config().file() + " has r = " + rank + ", " + wa.adapter().config().file()
                            + " has r = " + r + "; cat combines any ranks");
                }
            }
        } else {
            long sum = 0;
            for (WeightedAdapter wa : adapters) sum += wa.adapter().config().maxRank();
            rank = Math.toIntExact(sum);
        }

        Map<String, List<Source>> byModule = new LinkedHashMap<>();
        for (WeightedAdapter wa : adapters) {
            for (LoraModule m : wa.adapter().modules().values()) {
                byModule.computeIfAbsent(m.module(), k -> new ArrayList<>()).add(new Source(wa.adapter(), m, wa.weight()));
            }
        }
        List<Output> outputs = new ArrayList<>();
        for (var e : byModule.entrySet()) {
            List<Source> src = e.getValue();
            Source first = src.get(0);
            LoraModule m0 = first.module();
            for (Source s : src.subList(1, src.size())) {
                LoraModule m = s.module();
                String both = first.adapter().label() + " ('" + m0.a().name() + "') and " + s.adapter().label() + " ('" + m.a().name() + "')";
                if (m.kind() != m0.kind() || m.transposed() != m0.transposed()) {
                    throw new CheckpointException("module '" + e.getKey() + "' is adapted differently by " + both
                            + ": " + describe(m0) + " vs " + describe(m));
                }
                if (m.inFeatures() != m0.inFeatures() || m.outFeatures() != m0.outFeatures()) {
                    throw new CheckpointException("module '" + e.getKey() + "' has " + m0.inFeatures() + " inputs and " + m0.outFeatures()
                            + " outputs in " + first.adapter().label() + ", " + m.inFeatures() + " and " + m.outFeatures() + " in "
                            + s.adapter().label() + " ('" + m.a().name() + "' " + m.a().shape() + ", '" + m.b().name() + "' " + m.b().shape() + ")");
                }
                if (method.sameRank() && m.rank() != m0.rank()) {
                    throw new CheckpointException(method.peftName() + ": module '" + e.getKey() + "' has rank " + m0.rank() + " in "
                            + first.adapter().label() + " but " + m.rank() + " in " + s.adapter().label() + " ('" + m.a().name() + "')");
                }
            }
            int r = method == CombineMethod.CAT ? rank : m0.rank();
            outputs.add(new Output(e.getKey(), m0.kind(), m0.a().name(), m0.b().name(), m0.a().dtype(),
                    Shape.of(r, m0.inFeatures()), Shape.of(m0.outFeatures(), r), src));
        }
        return new Plan(method, rank, outputs, config(adapters, rank));
    }

    private static String describe(LoraModule m) {
        return m.kind().name().toLowerCase(Locale.ROOT) + (m.transposed() ? " (transposed delta)" : "");
    }

    /** The new adapter_config.json: the first adapter's, with PEFT's changes (see the class comment). */
    static ObjectNode config(List<WeightedAdapter> adapters, int rank) {
        ObjectNode c = adapters.get(0).adapter().config().json().deepCopy();
        c.put("r", rank);
        c.put("lora_alpha", rank);
        c.put("use_rslora", false);
        c.putObject("rank_pattern");
        c.putObject("alpha_pattern");
        List<JsonNode> targets = adapters.stream().map(a -> a.adapter().config().json().get("target_modules")).toList();
        if (targets.stream().allMatch(t -> t != null && t.isArray())) {
            TreeSet<String> union = new TreeSet<>();
            for (JsonNode t : targets) t.forEach(x -> union.add(x.asText()));
            ArrayNode arr = c.putArray("target_modules");
            union.forEach(arr::add);
        } else if (targets.stream().allMatch(t -> t != null && t.isTextual())) {
            c.put("target_modules", String.join("|", targets.stream().map(t -> "(" + t.asText() + ")").toList()));
        } else if (targets.stream().allMatch(t -> t == null || t.isNull())) {
            c.remove("target_modules");
        } else {
            throw new CheckpointException("target_modules mixes lists and regular expressions across "
                    + String.join(", ", adapters.stream().map(a -> a.adapter().config().file().toString()).toList())
                    + "; PEFT's add_weighted_adapter refuses that too");
        }
        return c;
    }

    /** Combines and writes a PEFT adapter directory to {@code out} (atomically). */
    public static Path combine(List<WeightedAdapter> adapters, Options opt, Path out, boolean overwrite) {
        return combine(adapters, opt, new OutputTarget(out, overwrite, List.of()));
    }

    /** As above, writing to {@code target}, which is also kept away from every adapter combined. */
    public static Path combine(List<WeightedAdapter> adapters, Options opt, OutputTarget target) {
        Plan plan = plan(adapters, opt);
        List<Path> inputs = new ArrayList<>();
        for (WeightedAdapter w : adapters) {
            inputs.addAll(w.adapter().tensors().sources());
            inputs.add(w.adapter().config().file());
        }
        OutputTarget out = target.protecting(inputs);
        List<CheckpointWriter.Entry> entries = new ArrayList<>();
        for (Output o : plan.outputs()) {
            entries.add(new CheckpointWriter.Entry(o.aName(), o.dtype(), o.aShape()));
            entries.add(new CheckpointWriter.Entry(o.bName(), o.dtype(), o.bShape()));
        }
        byte[] json;
        try {
            json = LoraConfig.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(plan.config());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise adapter config: " + e.getMessage(), e);
        }
        try (AdapterWriter w = AdapterWriter.create(out, entries)) {
            for (Output o : plan.outputs()) {
                try (Arena arena = Arena.ofConfined()) {
                    FloatTensor[] ab = factors(plan, o, opt, arena);
                    w.write(o.aName(), ab[0]);
                    w.write(o.bName(), ab[1]);
                }
            }
            return w.commit(json);
        }
    }

    /** The combined {A, B} of one module, float32 in {@code arena}. */
    public static FloatTensor[] factors(Plan plan, Output o, Options opt, Arena arena) {
        List<Source> src = o.sources();
        if (plan.method() == CombineMethod.CAT) {
            FloatTensor a = FloatTensor.allocate(arena, o.aShape());          // (R, in), zero rows past the sources
            FloatTensor b = FloatTensor.allocate(arena, o.bShape());          // (out, R)
            long in = o.aShape().dim(1), outF = o.bShape().dim(0), bigR = o.aShape().dim(0);
            long row = 0;
            for (Source s : src) {
                FloatTensor ai = s.adapter().readA(s.module(), arena);       // (r_i, in)
                FloatTensor bi = s.adapter().readB(s.module(), arena);       // (out, r_i)
                long ri = ai.shape().dim(0);
                float f = (float) s.factor();                                  // PEFT: lora_A * weight * scaling
                for (long i = 0, n = ri * in; i < n; i++) a.set(row * in + i, f * ai.get(i));
                for (long p = 0; p < outF; p++) {
                    MemorySegment.copy(bi.data(), p * ri * 4L, b.data(), (p * bigR + row) * 4L, ri * 4L);
                }
                row += ri;
            }
            return new FloatTensor[] {a, b};
        }
        int n = src.size();
        float[] wA = new float[n], wB = new float[n];
        List<FloatTensor> as = new ArrayList<>(), bs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Source s = src.get(i);
            double f = s.factor();
            double root = Math.sqrt(Math.abs(f));
            wA[i] = (float) (f >= 0 ? root : -root);      // the sign on A only, or it would cancel in B·A
            wB[i] = (float) root;
            as.add(s.adapter().readA(s.module(), arena));
            bs.add(s.adapter().readB(s.module(), arena));
        }
        List<String> labels = src.stream().map(s -> s.adapter().label()).toList();
        return new FloatTensor[] {
                combineTensors(plan.method(), o.aName(), as, labels, wA, opt, arena),
                combineTensors(plan.method(), o.bName(), bs, labels, wB, opt, arena)};
    }

    /** One of merge_utils' task_arithmetic, ties, dare_linear, dare_ties, magnitude_prune over a stack of factors. */
    static FloatTensor combineTensors(CombineMethod method, String tensor, List<FloatTensor> xs, List<String> labels, float[] w,
                                      Options opt, Arena arena) {
        double density = opt.density().orElse(1.0);
        long seed = TensorSeeds.of(opt.seed(), tensor);
        return switch (method) {
            case LINEAR -> viaTaskArithmetic(MergeMethods.get("task_arithmetic"), tensor, xs, labels, w, 1.0, seed, arena);
            case MAGNITUDE_PRUNE -> viaTaskArithmetic(MAGNITUDE_PRUNE, tensor, xs, labels, w, density, seed, arena);
            case DARE_LINEAR -> {
                // PEFT divides each kept entry by density; scaling the weight instead is the same sum
                float[] scaled = w.clone();
                if (density < 1) for (int i = 0; i < scaled.length; i++) scaled[i] = (float) (w[i] / density);
                yield viaTaskArithmetic(MergeMethods.get("dare_linear"), tensor, xs, labels, scaled, density, seed, arena);
            }
            case TIES, DARE_TIES -> {
                Sparsifier sp = method == CombineMethod.TIES ? new Sparsifier.Magnitude() : new Sparsifier.Bernoulli();
                List<FloatTensor> pruned = new ArrayList<>();
                for (int i = 0; i < xs.size(); i++) {
                    FloatTensor x = xs.get(i).copy(arena);
                    sp.apply(x, density, Params.EMPTY, new Sparsifier.Context(tensor, labels.get(i), seed, i, arena));
                    if (method == CombineMethod.DARE_TIES && density < 1) {
                        float d = (float) density;
                        for (long e = 0, n = x.size(); e < n; e++) x.set(e, x.get(e) / d);
                    }
                    pruned.add(x);
                }
                FloatTensor out = FloatTensor.allocate(arena, xs.get(0).shape());
                disjointMerge(pruned, w, opt.majoritySign(), out);
                yield out;
            }
            case CAT -> throw new IllegalArgumentException("cat concatenates factors; it is not a per-tensor merge");
        };
    }

    /** PEFT's magnitude_prune: magnitude pruning, then a plain weighted sum (no election, no normalisation). */
    private static final MergeMethod MAGNITUDE_PRUNE =
            new TaskArithmetic("magnitude_prune", new Sparsifier.Magnitude(), Consensus.NONE, false, false);

    /** Weighted sum of sparsified tensors through Alloy's task arithmetic: zero base, lambda 1, no normalize, no rescale. */
    private static FloatTensor viaTaskArithmetic(MergeMethod method, String tensor, List<FloatTensor> xs, List<String> labels, float[] w,
                                                 double density, long seed, Arena arena) {
        FloatTensor zero = FloatTensor.allocate(arena, xs.get(0).shape());
        List<MergeInput> in = new ArrayList<>();
        for (int i = 0; i < xs.size(); i++) {
            in.add(new MergeInput(labels.get(i) + "#" + i, xs.get(i), new Params(Map.of("weight", (double) w[i], "density", density)), false));
        }
        Params global = new Params(Map.of("normalize", 0.0, "rescale", 0.0, "lambda", 1.0, "int8_mask", 0.0));
        return method.merge(new TensorTask(tensor, Optional.of(zero), in, global, seed), arena, Kernels.fast());
    }

    /**
     * PEFT's TIES election and disjoint merge (merge_utils.calculate_majority_sign_mask, disjoint_merge) on
     * already pruned tensors x_i, per element:
     * <pre>
     *   s   = TOTAL: sum_i x_i      FREQUENCY: sum_i sign(x_i)        (unweighted)
     *   maj = s >= 0 ? +1 : -1
     *   out = sum_{i: sign(x_i) = maj} w_i x_i  /  max(1, #{i: sign(x_i) = maj})
     * </pre>
     * A zero entry has sign 0 and never agrees, so pruned entries neither vote for the divisor nor add.
     */
    static void disjointMerge(List<FloatTensor> xs, float[] w, MajoritySign how, FloatTensor out) {
        int k = xs.size();
        for (FloatTensor x : xs) Kernels.checkSameSize(x, out);
        for (long e = 0, n = out.size(); e < n; e++) {
            float stat = 0f;
            for (int i = 0; i < k; i++) {
                float x = xs.get(i).get(e);
                stat += how == MajoritySign.TOTAL ? x : Math.signum(x);
            }
            float maj = stat >= 0f ? 1f : -1f;
            float sum = 0f;
            int agree = 0;
            for (int i = 0; i < k; i++) {
                float x = xs.get(i).get(e);
                if (Math.signum(x) == maj) {
                    sum += x * w[i];
                    agree++;
                }
            }
            out.set(e, sum / Math.max(1, agree));
        }
    }
}
