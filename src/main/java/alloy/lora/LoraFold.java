package alloy.lora;

import alloy.io.Checkpoint;
import alloy.io.CheckpointException;
import alloy.io.CheckpointWriter;
import alloy.io.OutputTarget;
import alloy.io.TensorInfo;
import alloy.tensor.FloatTensor;
import alloy.tensor.Kernels;
import alloy.tensor.Shape;
import java.lang.foreign.Arena;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

/**
 * Folds LoRA adapters into their base model: for every adapted weight
 * <pre>
 *   W' = W + sum_i  w_i · scale_i · B_i·A_i        (transposed for embeddings and fan_in_fan_out layers)
 * </pre>
 * which is what PEFT's merge_and_unload computes for one adapter at weight 1 (LoraLayer.merge adds
 * get_delta_weight), and what merging a {@code cat} combination of the adapters gives. The delta is summed in
 * float32 in a buffer of its own and added to W once, then encoded in W's stored dtype. Every other tensor is
 * copied byte for byte, config.json and tokenizer files are copied from the base's directory, and the output
 * appears atomically ({@link CheckpointWriter}).
 *
 * <p>Everything that can be checked from headers is checked by {@link #plan} before the output is created:
 * that every module exists in the base, that B·A has the base weight's shape, that the dtypes can be computed
 * with.
 */
public final class LoraFold {

    /** Files carried from the base model's directory into the folded model. */
    static final List<String> SIDE_FILES = List.of("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "tokenizer.model", "vocab.txt", "vocab.json", "merges.txt", "added_tokens.json",
            "chat_template.jinja", "chat_template.json");

    private LoraFold() {}

    /**
     * @param maxShardBytes output shard size
     * @param threads       tensors folded at once (each holds two float32 copies of its tensor)
     */
    public record Options(long maxShardBytes, boolean overwrite, int threads, LoraKernels kernels) {
        public Options {
            if (maxShardBytes <= 0) throw new IllegalArgumentException("shard size must be positive, got " + maxShardBytes);
            if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
            Objects.requireNonNull(kernels, "kernels");
        }

        public static Options defaults() {
            return new Options(5L << 30, false, Math.min(8, Runtime.getRuntime().availableProcessors()), LoraKernels.fast());
        }

        public Options withOverwrite(boolean o) { return new Options(maxShardBytes, o, threads, kernels); }

        public Options withKernels(LoraKernels k) { return new Options(maxShardBytes, overwrite, threads, k); }

        public Options withShardBytes(long b) { return new Options(b, overwrite, threads, kernels); }

        public Options withThreads(int t) { return new Options(maxShardBytes, overwrite, t, kernels); }
    }

    /** Told about each output tensor when it is written; may be called from several threads. */
    @FunctionalInterface
    public interface Listener {
        Listener NONE = (name, bytes, folded) -> {};

        void tensorDone(String name, long bytes, boolean folded);
    }

    /** One adapter's share of one base weight: delta += weight · module.scale() · B·A. */
    public record Contribution(LoraAdapter adapter, LoraModule module, double weight) {
        public Contribution {
            Objects.requireNonNull(adapter, "adapter");
            Objects.requireNonNull(module, "module");
        }

        public double factor() { return weight * module.scale(); }
    }

    /** A base tensor that adapters change, with their contributions in the order the adapters were given. */
    public record Target(TensorInfo base, List<Contribution> contributions) {
        public Target {
            Objects.requireNonNull(base, "base");
            contributions = List.copyOf(contributions);
            if (contributions.isEmpty()) throw new IllegalArgumentException("tensor '" + base.name() + "': no contributions");
        }
    }

    /** What a fold will do, checked: the adapted base tensors by name, in the base's storage order. */
    public record Plan(Checkpoint base, Map<String, Target> targets) {
        public Plan {
            Objects.requireNonNull(base, "base");
            targets = Collections.unmodifiableMap(new LinkedHashMap<>(targets));
        }
    }

    /** Maps every module of every adapter onto a base tensor and checks shapes and dtypes. */
    public static Plan plan(Checkpoint base, List<WeightedAdapter> adapters) {
        if (adapters.isEmpty()) throw new IllegalArgumentException("no adapters to fold");
        Map<String, List<Contribution>> by = new LinkedHashMap<>();
        for (WeightedAdapter wa : adapters) {
            LoraAdapter ad = wa.adapter();
            Map<String, String> seen = new LinkedHashMap<>();
            for (LoraModule m : ad.modules().values()) {
                String name = resolve(base, ad, m);
                String dup = seen.put(name, m.module());
                if (dup != null) {
                    throw new CheckpointException(ad.label() + ": modules '" + dup + "' and '" + m.module() + "' both map to base tensor '" + name + "' of " + base.label());
                }
                TensorInfo info = base.info(name);
                if (!info.shape().equals(m.deltaShape())) throw shapeMismatch(base, ad, m, info);
                if (!info.dtype().arithmetic()) {
                    throw new CheckpointException(base.label() + ": tensor '" + name + "' has dtype " + info.dtype()
                            + ", which cannot take a LoRA delta (adapter " + ad.label() + ", tensor '" + m.a().name() + "')");
                }
                by.computeIfAbsent(name, k -> new ArrayList<>()).add(new Contribution(ad, m, wa.weight()));
            }
        }
        Map<String, Target> targets = new LinkedHashMap<>();
        for (TensorInfo t : base.tensors()) {
            List<Contribution> c = by.get(t.name());
            if (c != null) targets.put(t.name(), new Target(t, c));
        }
        return new Plan(base, targets);
    }

    /**
     * The base tensor a module adapts: {@code <module>.weight} when the base has it; else the same name with
     * leading wrapper components dropped, never a layer index or the list it indexes (an adapter trained on
     * BertForSequenceClassification, keys {@code bert.encoder...}, folded into a bare BertModel, keys
     * {@code encoder...}); else the one base tensor
     * whose name ends with {@code .<module>.weight} (the converse). Ambiguity is an error, never a guess.
     */
    static String resolve(Checkpoint base, LoraAdapter ad, LoraModule m) {
        String want = m.baseWeightName();
        if (base.has(want)) return want;
        // Only wrapper components before the first numeric one (the layer index) may go: dropping "layers.9."
        // would fold layer 9's delta into some other tensor.
        String[] parts = want.split("\\.");
        int droppable = parts.length - 2;                              // always keep at least "<module>.weight"
        for (int i = 0; i < parts.length; i++) {
            if (!parts[i].isEmpty() && parts[i].chars().allMatch(Character::isDigit)) {
                droppable = Math.min(droppable, i - 1);       // keep the index and the list it indexes ("layers.9")
                break;
            }
        }
        for (int drop = 1; drop <= droppable; drop++) {
            String shorter = String.join(".", Arrays.copyOfRange(parts, drop, parts.length));
            if (base.has(shorter)) return shorter;
        }
        List<String> longer = base.tensors().stream().map(TensorInfo::name).filter(n -> n.endsWith("." + want)).toList();
        if (longer.size() == 1) return longer.get(0);
        if (longer.size() > 1) {
            throw new CheckpointException(ad.label() + ": tensor '" + m.a().name() + "' adapts module '" + m.module() + "', which matches "
                    + longer.size() + " base tensors of " + base.label() + " ('" + longer.get(0) + "', '" + longer.get(1) + "', ...)");
        }
        throw new CheckpointException(ad.label() + ": tensor '" + m.a().name() + "' adapts module '" + m.module() + "', but base "
                + base.label() + " has no tensor '" + want + "'");
    }

    private static CheckpointException shapeMismatch(Checkpoint base, LoraAdapter ad, LoraModule m, TensorInfo info) {
        Shape flipped = Shape.of(m.deltaShape().dim(1), m.deltaShape().dim(0));
        String hint = "";
        if (info.shape().equals(flipped) && m.kind() == LoraModule.Kind.LINEAR) {
            hint = "; the transpose fits: is fan_in_fan_out (now " + ad.config().fanInFanOut() + ") right in " + ad.config().file() + "?";
        }
        return new CheckpointException(ad.label() + ": tensors '" + m.a().name() + "' " + m.a().shape() + " and '" + m.b().name() + "' "
                + m.b().shape() + " give a delta of shape " + m.deltaShape() + ", but base tensor '" + info.name() + "' of " + base.label()
                + " has shape " + info.shape() + hint);
    }

    /** W + sum of contributions, in float32, owned by {@code arena}: what the fold writes for {@code t}. */
    public static FloatTensor folded(Checkpoint base, Target t, LoraKernels kernels, Arena arena) {
        FloatTensor w = base.read(t.base().name(), arena);
        FloatTensor delta = FloatTensor.allocate(arena, w.shape());
        for (Contribution c : t.contributions()) {
            FloatTensor a = c.adapter().readA(c.module(), arena);
            FloatTensor b = c.adapter().readB(c.module(), arena);
            kernels.addDelta(a, b, c.factor(), c.module().transposed(), delta, arena);
        }
        long bad = Kernels.fast().firstNonFinite(delta);
        if (bad >= 0) {
            Contribution c = t.contributions().get(0);
            throw new CheckpointException("tensor '" + t.base().name() + "': the LoRA delta is " + delta.get(bad) + " at element " + bad
                    + " (adapters starting with " + c.adapter().label() + ", tensor '" + c.module().a().name() + "')");
        }
        Kernels.fast().axpy(1f, delta, w);
        return w;
    }

    /** What a fold reads: the base's files and each adapter's weights and config. */
    static List<Path> inputPaths(Checkpoint base, List<WeightedAdapter> adapters) {
        List<Path> paths = new ArrayList<>(base.sources());
        for (WeightedAdapter w : adapters) {
            paths.addAll(w.adapter().tensors().sources());
            paths.add(w.adapter().config().file());
        }
        return paths;
    }

    /** Folds {@code adapters} into {@code base} and writes the whole model to {@code out}. */
    public static Path fold(Checkpoint base, List<WeightedAdapter> adapters, Path out, Options opt, Listener listener) {
        return fold(base, adapters, new OutputTarget(out, opt.overwrite(), List.of()), opt, listener);
    }

    /** As above, writing to {@code target}, which is also kept away from the base and every adapter. */
    public static Path fold(Checkpoint base, List<WeightedAdapter> adapters, OutputTarget target, Options opt, Listener listener) {
        Plan plan = plan(base, adapters);
        OutputTarget out = target.protecting(inputPaths(base, adapters));
        List<CheckpointWriter.Entry> entries = base.tensors().stream()
                .map(t -> new CheckpointWriter.Entry(t.name(), t.dtype(), t.shape())).toList();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        try (CheckpointWriter w = CheckpointWriter.create(out, entries, opt.maxShardBytes(), meta)) {
            base.modelDirectory().ifPresent(dir -> {
                for (String f : SIDE_FILES) {
                    Path p = dir.resolve(f);
                    if (Files.isRegularFile(p)) w.copyFile(p);
                }
            });
            ExecutorService pool = Executors.newFixedThreadPool(opt.threads(), r -> {
                Thread t = new Thread(r, "alloy-lora-fold");
                t.setDaemon(true);
                return t;
            });
            try {
                List<Future<?>> jobs = new ArrayList<>();
                for (TensorInfo info : base.tensors()) {
                    Target t = plan.targets().get(info.name());
                    jobs.add(pool.submit(() -> {
                        if (t == null) {
                            w.writeRaw(info.name(), base.raw(info.name()));
                        } else {
                            try (Arena arena = Arena.ofConfined()) {
                                w.write(info.name(), folded(base, t, opt.kernels(), arena));
                            }
                        }
                        listener.tensorDone(info.name(), info.byteSize(), t != null);
                    }));
                }
                for (Future<?> f : jobs) await(f);
            } finally {
                pool.shutdownNow();
                awaitQuiet(pool);          // no job may still write when the writer's close deletes the partial output
            }
            return w.commit();
        }
    }

    private static void awaitQuiet(ExecutorService pool) {
        try {
            if (!pool.awaitTermination(1, TimeUnit.MINUTES)) System.err.println("warning: fold workers still running");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void await(Future<?> f) {
        try {
            f.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while folding", e);
        }
    }
}
