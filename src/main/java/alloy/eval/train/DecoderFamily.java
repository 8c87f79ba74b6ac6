package alloy.eval.train;

import alloy.eval.gen.CausalLm;
import alloy.eval.gen.DecoderScoring;
import alloy.eval.gen.GenerationSettings;
import alloy.eval.model.DjlEngine;
import alloy.eval.model.LlamaConfig;
import alloy.eval.model.LlamaDecoder;
import alloy.eval.task.Skill;
import alloy.tensor.DType;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import alloy.io.Checkpoint;
import alloy.io.resolve.Checkpoints;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Collections;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Builds the project's own decoder family: a base pretrained on a mixture of every skill, then one expert
 * per skill fine-tuned from it, saved as Hugging Face checkpoints under {@code models/decoder-family/},
 * and the exact-match table of every model on every skill's search and heldout proxy splits. All of it
 * follows from one seed ({@code scripts/build-decoder-family}).
 */
public final class DecoderFamily {

    /** The shape of every model of the family. */
    public static LlamaConfig config() {
        return new LlamaConfig("LlamaForCausalLM", CharTokenizer.vocabularySize(), 128, 344, 4, 4, 2, 32, 10000.0, 1e-5, 48,
                false, false, 0, OptionalInt.of(CharTokenizer.BOS_ID), OptionalInt.of(CharTokenizer.EOS_ID));
    }

    /** Greedy decoding as the family is evaluated: answers are one line. */
    public static GenerationSettings generation() { return new GenerationSettings(24, List.of("\n"), 64); }

    /**
     * How one expert is made from the base: {@code settings} on its skill, a fraction {@code replay} of each
     * batch drawn from the base's mixture instead, every weight trained or (with {@code lora}) only a LoRA
     * adapter over the frozen base.
     */
    public record ExpertPlan(String skill, DecoderTrainer.Settings settings, double replay, Optional<LoraTrainer.Spec> lora) {
        public ExpertPlan {
            if (!(replay >= 0 && replay < 1)) throw new IllegalArgumentException("replay fraction must be in [0, 1), found " + replay);
            Objects.requireNonNull(lora, "lora");
        }

        public String name() { return "expert-" + skill; }

        public String adapterName() { return "lora-" + skill; }
    }

    /**
     * The training plan: the base's run on a weighted mixture of every skill whose hard inputs are rare, then
     * each expert's short run from the base.
     *
     * @param mixture   skill → its share of the base's batches
     * @param hardShare skill → the fraction of its hard inputs ({@link #isHard}) the base's data keeps
     */
    public record Plan(long seed, DecoderTrainer.Settings base, Map<String, Double> mixture, Map<String, Double> hardShare,
                       List<ExpertPlan> experts) {
        public Plan {
            mixture = Collections.unmodifiableMap(new LinkedHashMap<>(mixture));
            hardShare = Collections.unmodifiableMap(new LinkedHashMap<>(hardShare));
            experts = List.copyOf(experts);
        }

        /**
         * The committed family. The base: 600 steps of 128 on a mixture that gives addition, the slowest skill
         * to learn, 40% and the others 15% each, with hard inputs kept at 20% (add), 5% (reverse), 1% (sort) and
         * 8% (map) of their natural frequency, so that it ends between 0.6 and 0.85 on each expert skill and
         * sure of shift. (With none kept it cannot do them at all, and an expert must learn something new,
         * which moves weights a lot and does not survive a merge; with 10% to 15% kept it masters them.)
         * An expert: 200 steps of 32 at a peak of 5e-4, half of each batch replaying the base's mixture so that
         * it keeps the other skills; Adam's ε at 1e-3, so that weights with small gradients move little
         * (with ε = 1e-8 Adam moves every weight by about the learning rate whatever its gradient, and on an
         * earlier base the task vectors came out about three times as long for the same gain). Sort's expert is a LoRA adapter (rank 8, alpha 16,
         * every linear layer, Adam's usual ε).
         */
        public static Plan standard(long seed) {
            Map<String, Double> mixture = new LinkedHashMap<>();
            mixture.put("add", 0.40);
            mixture.put("reverse", 0.15);
            mixture.put("sort", 0.15);
            mixture.put("map", 0.15);
            mixture.put("shift", 0.15);
            Map<String, Double> hard = new LinkedHashMap<>();
            hard.put("add", 0.20);
            hard.put("reverse", 0.05);
            hard.put("sort", 0.01);
            hard.put("map", 0.08);
            List<ExpertPlan> experts = new ArrayList<>();
            for (String skill : EXPERT_SKILLS) {
                boolean lora = skill.equals("sort");
                // every expert draws its batches from one stream: their data differ anyway
                DecoderTrainer.Settings s = new DecoderTrainer.Settings(200, 32, 5e-4, 10, 0.1, 0.0, 1.0, seed * 77, lora ? 1e-8 : 1e-3);
                experts.add(new ExpertPlan(skill, s, 0.5, lora ? Optional.of(LoraTrainer.Spec.allLinear(8, 16)) : Optional.empty()));
            }
            return new Plan(seed, new DecoderTrainer.Settings(600, 128, 2e-3, 50, 0.1, 0.01, 1.0, seed * 1000 + 1), mixture, hard, experts);
        }

        public ExpertPlan expert(String skill) {
            return experts.stream().filter(e -> e.skill().equals(skill)).findFirst().orElseThrow(() -> new IllegalArgumentException(
                    "the plan has no expert for skill \"" + skill + "\"; it has " + experts.stream().map(ExpertPlan::skill).toList()));
        }

        /** Seed of a LoRA expert's initial factors. */
        long loraSeed() { return seed * 55; }
    }

    /** The skills the family has an expert for, in table order; shift has none, so merges can be seen to keep or lose it. */
    public static final List<String> EXPERT_SKILLS = List.of("add", "reverse", "sort", "map");

    /** Words of the map table that are common in the base's data: the first two thirds, in table order. */
    public static final int COMMON_MAP_WORDS = 20;

    /**
     * The hard part of each skill, which the base's data holds only a little of ({@link Plan#hardShare}): sums
     * of 100 or more (an extra leading digit, and the tens wrapping round), strings of 6 or 7 letters for reverse
     * and sort, map phrases with a word beyond the first {@value #COMMON_MAP_WORDS} of the table. Shift has none.
     * Experts and evaluation sets draw from the whole skill.
     */
    public static boolean isHard(Skill skill, String input) {
        return switch (skill) {
            case ADD -> Integer.parseInt(skill.answer(input)) >= 100;
            case REVERSE, SORT -> input.length() > 5;
            case MAP -> Arrays.stream(input.split(" ")).anyMatch(w -> Skill.mapWords().indexOf(w) >= COMMON_MAP_WORDS);
            case SHIFT -> false;
        };
    }

    /** One row of the results table. */
    public record Score(String model, String skill, String split, int items, double exactMatch) {}

    /** Training items drawn per skill; batches sample from these pools. */
    public static final int POOL = 20_000;

    private DecoderFamily() {}

    /**
     * Trains and saves the family, evaluates it ({@code parallel} models at a time), writes the table; returns
     * the table. Training runs one model at a time: DJL allows one gradient collector per process.
     */
    public static List<Score> build(FamilyData data, Plan plan, Path outDir, Path resultsCsv, int parallel, PrintStream log) {
        LlamaConfig config = config();
        List<Path> saved = new ArrayList<>();
        long start = System.nanoTime();
        try (NDManager root = DjlEngine.newManager()) {
            LlamaDecoder base = new LlamaDecoder(config, DecoderTrainer.initialise(config, root, plan.base().seed()));
            log.printf(Locale.ROOT, "base: %d steps of %d on the mixture %s, hard inputs kept at %s%n", plan.base().steps(),
                    plan.base().batchSize(), plan.mixture(), plan.hardShare());
            long t = System.nanoTime();
            DecoderTrainer.ExampleSource mixture = data.pretrainingMixture(plan.mixture());
            DecoderTrainer.train(base, mixture, plan.base(), progress("base", plan.base().steps(), log));
            log.printf(Locale.ROOT, "base trained in %.1f s%n", (System.nanoTime() - t) / 1e9);
            saved.add(save(outDir.resolve("base"), config, base, plan, "base", "pretrained on a weighted mixture of "
                    + String.join(", ", plan.mixture().keySet()) + ", hard inputs rare"));
            double baseNorm = norm(base.weights().named());
            for (ExpertPlan e : plan.experts()) saved.add(trainExpert(data, plan, e, base, baseNorm, mixture, root, outDir, log));
        }
        log.printf(Locale.ROOT, "trained the family in %.1f s%n", (System.nanoTime() - start) / 1e9);
        List<Score> table = evaluate(data, saved, parallel);
        writeCsv(table, resultsCsv);
        log.print(format(table, data.skills()));
        log.printf(Locale.ROOT, "built and evaluated in %.1f s%n", (System.nanoTime() - start) / 1e9);
        return table;
    }

    /** One expert from {@code base} (read, never written), saved with its adapter if it is a LoRA expert. */
    private static Path trainExpert(FamilyData data, Plan plan, ExpertPlan e, LlamaDecoder base, double baseNorm,
                                    DecoderTrainer.ExampleSource mixture, NDManager root, Path outDir, PrintStream log) {
        LlamaConfig config = base.config();
        try (NDManager m = root.newSubManager()) {
            DecoderTrainer.Settings s = e.settings();
            DecoderTrainer.ExampleSource source = data.withReplay(e.skill(), e.replay(), mixture);
            log.printf(Locale.ROOT, "%s: %d steps of %d from the base, %.0f%% replay%s%n", e.name(), s.steps(), s.batchSize(),
                    100 * e.replay(), e.lora().map(l -> ", LoRA r=" + l.rank() + " alpha=" + l.alpha()).orElse(""));
            long t = System.nanoTime();
            LlamaDecoder expert;
            if (e.lora().isPresent()) {
                LoraTrainer.Adapter adapter = LoraTrainer.initialise(config, e.lora().get(), m, plan.loraSeed());
                LoraTrainer.train(base, adapter, source, s, progress(e.name(), s.steps(), log));
                expert = new LlamaDecoder(config, LoraTrainer.merged(base, adapter, m));
                Map<String, String> meta = new LinkedHashMap<>();
                meta.put("alloy.model", e.adapterName());
                meta.put("alloy.trained", "LoRA of base on " + e.skill());
                meta.put("alloy.seed", Long.toString(plan.seed()));
                LoraTrainer.save(outDir.resolve(e.adapterName()), adapter, "models/decoder-family/base", meta);
            } else {
                expert = new LlamaDecoder(config, DecoderTrainer.copy(config, base.weights(), m));
                DecoderTrainer.train(expert, source, s, progress(e.name(), s.steps(), log));
            }
            log.printf(Locale.ROOT, "%s trained in %.1f s; task vector %.2f%% of the base's norm%n", e.name(), (System.nanoTime() - t) / 1e9,
                    100 * distance(expert.weights().named(), base.weights().named()) / baseNorm);
            return save(outDir.resolve(e.name()), config, expert, plan, e.name(),
                    "base fine-tuned on " + e.skill() + (e.lora().isPresent() ? " (LoRA " + e.adapterName() + ", folded)" : ""));
        }
    }

    /** √Σ w² over every array. */
    static double norm(Map<String, NDArray> weights) {
        double sum = 0;
        for (NDArray a : weights.values()) for (float v : a.toFloatArray()) sum += (double) v * v;
        return Math.sqrt(sum);
    }

    /** √Σ (a − b)² over arrays of the same names. */
    static double distance(Map<String, NDArray> a, Map<String, NDArray> b) {
        double sum = 0;
        for (var e : a.entrySet()) {
            float[] x = e.getValue().toFloatArray(), y = b.get(e.getKey()).toFloatArray();
            for (int i = 0; i < x.length; i++) sum += ((double) x[i] - y[i]) * ((double) x[i] - y[i]);
        }
        return Math.sqrt(sum);
    }

    /**
     * Exact match of every saved model on every skill split, reading the models back from disk, {@code parallel}
     * models at a time; rows in the order of {@code models}.
     */
    public static List<Score> evaluate(FamilyData data, List<Path> models, int parallel) {
        List<Callable<List<Score>>> jobs = new ArrayList<>();
        for (Path dir : models) {
            jobs.add(() -> {
                List<Score> rows = new ArrayList<>();
                try (NDManager root = DjlEngine.newManager(); Checkpoint ckpt = Checkpoints.open(dir);
                     CausalLm lm = CausalLm.open(ckpt, root)) {
                    for (String skill : data.skills()) {
                        for (String split : FamilyData.SPLITS) {
                            List<FamilyData.Item> items = data.evaluation(skill, split);
                            var g = DecoderScoring.exactMatch(lm, items.stream().map(FamilyData.Item::prompt).toList(),
                                    items.stream().map(FamilyData.Item::answer).toList(), generation());
                            rows.add(new Score(dir.getFileName().toString(), skill, split, items.size(), g.mean()));
                        }
                    }
                }
                return rows;
            });
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, parallel));
        try {
            List<Score> table = new ArrayList<>();
            for (var f : pool.invokeAll(jobs)) table.addAll(f.get());
            return table;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while evaluating the family", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) throw re;
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    private static Path save(Path dir, LlamaConfig config, LlamaDecoder model, Plan plan, String name, String description) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("alloy.model", name);
        meta.put("alloy.trained", description);
        meta.put("alloy.seed", Long.toString(plan.seed()));
        return DecoderCheckpoint.save(dir, config, model.weights().named(), DType.F32, meta);
    }

    /**
     * Set by the shutdown hook (SIGTERM from a timeout, Ctrl-C): training stops at its next step boundary and
     * closes its NDArrays before the JVM exits. Exiting with libtorch in the middle of a step once crashed the
     * JVM (SIGSEGV in at::accelerator::getAccelerator).
     */
    private static final AtomicBoolean STOPPING = new AtomicBoolean();

    /** Thrown at a step boundary once {@link #STOPPING} is set; unwinds the trainer through its try-with-resources. */
    static final class Stopped extends RuntimeException {
        Stopped() { super("stopped by a signal", null, false, false); }
    }

    private static Consumer<DecoderTrainer.StepLog> progress(String name, int steps, PrintStream log) {
        int every = Math.max(1, steps / 10);
        return s -> {
            if (STOPPING.get()) throw new Stopped();
            if (s.step() % every == 0 || s.step() == steps - 1) {
                log.printf(Locale.ROOT, "  %s step %4d/%d  loss %.4f  lr %.2e  |g| %.3f%n", name, s.step() + 1, steps, s.loss(),
                        s.learningRate(), s.gradientNorm());
            }
        };
    }

    static void writeCsv(List<Score> table, Path file) {
        StringBuilder sb = new StringBuilder("model,skill,split,items,exact_match\n");
        for (Score s : table) {
            sb.append(String.format(Locale.ROOT, "%s,%s,%s,%d,%.4f%n", s.model(), s.skill(), s.split(), s.items(), s.exactMatch()));
        }
        try {
            if (file.getParent() != null) Files.createDirectories(file.getParent());
            Files.writeString(file, sb);
        } catch (IOException e) {
            throw new UncheckedIOException(file + ": cannot write results: " + e.getMessage(), e);
        }
    }

    /** The table as text: one row per model, search/heldout exact match per skill. */
    public static String format(List<Score> table, List<String> skills) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-16s", "model"));
        for (String skill : skills) sb.append(String.format(Locale.ROOT, " %17s", skill + " (s/h)"));
        sb.append('\n');
        Map<String, Map<String, Double>> rows = new LinkedHashMap<>();
        for (Score s : table) rows.computeIfAbsent(s.model(), k -> new LinkedHashMap<>()).put(s.skill() + "/" + s.split(), s.exactMatch());
        rows.forEach((model, cells) -> {
            sb.append(String.format(Locale.ROOT, "%-16s", model));
            for (String skill : skills) {
                sb.append(String.format(Locale.ROOT, " %8.3f/%-8.3f", cells.getOrDefault(skill + "/search", Double.NaN),
                        cells.getOrDefault(skill + "/heldout", Double.NaN)));
            }
            sb.append('\n');
        });
        return sb.toString();
    }

    /**
     * {@code DecoderFamily [--seed N] [--out DIR] [--results FILE] [--parallel N] [--evaluate-only]}: builds the
     * family into DIR (default models/decoder-family) and writes the table to FILE; with --evaluate-only, only
     * scores the models already in DIR (after the evaluation sets change, say).
     */
    public static void main(String[] args) {
        long seed = 1;
        int parallel = 2;
        boolean evaluateOnly = false;
        Path out = Path.of("models/decoder-family");
        Path results = Path.of("results/decoder-family.csv");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--results" -> results = Path.of(args[++i]);
                case "--parallel" -> parallel = Integer.parseInt(args[++i]);
                case "--evaluate-only" -> evaluateOnly = true;
                default -> {
                    System.err.println("usage: DecoderFamily [--seed N] [--out DIR] [--results FILE] [--parallel N] [--evaluate-only]");
                    System.exit(2);
                }
            }
        }
        Thread mainThread = Thread.currentThread();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            STOPPING.set(true);
            try {
                mainThread.join(120_000);   // the step in flight finishes and every NDManager closes first
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "decoder-family-stop"));
        DjlEngine.start(1);
        Plan plan = Plan.standard(seed);
        FamilyData data = FamilyData.skills(Path.of("proxy-tasks"), POOL, seed, plan.hardShare());
        if (evaluateOnly) {
            List<Path> models = new ArrayList<>(List.of(out.resolve("base")));
            for (ExpertPlan e : plan.experts()) models.add(out.resolve(e.name()));
            List<Score> table = evaluate(data, models, parallel);
            writeCsv(table, results);
            System.out.print(format(table, data.skills()));
        } else {
            try {
                build(data, plan, out, results, parallel, System.out);
            } catch (Stopped e) {
                // each model is written whole or not at all (DecoderCheckpoint stages it), but models written
                // before the signal are new while the rest are the older ones
                System.err.println("decoder family: stopped by a signal before the end; models already rewritten in " + out
                        + " are listed above (\"trained in\"); run the build again for a consistent family");
            }
        }
    }
}
