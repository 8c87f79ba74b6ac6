package alloy.eval.train;

import alloy.eval.gen.CausalLm;
import alloy.eval.gen.DecoderScoring;
import alloy.eval.gen.GenerationSettings;
import alloy.eval.model.DecoderEngine;
import alloy.eval.model.LlamaConfig;
import alloy.eval.model.LlamaDecoder;
import alloy.tensor.DType;
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
import java.util.OptionalInt;

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
     * The training plan: the base's run on the skill mixture, then each expert's on its skill, starting
     * from the base. Learning rates are peaks of a warm-up + cosine schedule. Addition (most significant
     * digit first, so every digit depends on the carries below it) is the one skill a small batch does not
     * learn in a few thousand steps; with batches of 128 and a peak of 2e-3 the loss drops suddenly after
     * 600 to 1000 steps (when depends on the seed), so its expert trains on larger batches, for longer, than
     * the others; a peak of 3e-3 learns it worse.
     */
    public record Plan(long seed, DecoderTrainer.Settings base, Map<String, DecoderTrainer.Settings> experts) {
        public Plan {
            experts = Map.copyOf(experts);
        }

        public static Plan standard(long seed, List<String> skills) {
            Map<String, DecoderTrainer.Settings> experts = new LinkedHashMap<>();
            for (int i = 0; i < skills.size(); i++) {
                String skill = skills.get(i);
                long s = seed * 1000 + 10 + i;
                experts.put(skill, skill.equals("add")
                        ? new DecoderTrainer.Settings(2000, 128, 2e-3, 20, 0.3, 0.01, 1.0, s)
                        : new DecoderTrainer.Settings(500, 32, 2e-3, 20, 0.1, 0.01, 1.0, s));
            }
            return new Plan(seed, new DecoderTrainer.Settings(600, 32, 3e-3, 50, 0.1, 0.01, 1.0, seed * 1000 + 1), experts);
        }

        public DecoderTrainer.Settings expert(String skill) {
            DecoderTrainer.Settings s = experts.get(skill);
            if (s == null) throw new IllegalArgumentException("the plan has no expert for skill \"" + skill + "\"; it has " + experts.keySet());
            return s;
        }
    }

    /** One row of the results table. */
    public record Score(String model, String skill, String split, int items, double exactMatch) {}

    /** Training items drawn per skill; batches sample from these pools. */
    public static final int POOL = 20_000;

    private DecoderFamily() {}

    /** Trains and saves the family, evaluates it, writes the table; returns the table. */
    public static List<Score> build(FamilyData data, Plan plan, Path outDir, Path resultsCsv, java.io.PrintStream log) {
        LlamaConfig config = config();
        List<Path> saved = new ArrayList<>();
        long start = System.nanoTime();
        try (NDManager root = DecoderEngine.newManager()) {
            LlamaDecoder base = new LlamaDecoder(config, DecoderTrainer.initialise(config, root, plan.seed()));
            log.printf(Locale.ROOT, "base: %d steps on the %s mixture%n", plan.base().steps(), String.join("+", data.skills()));
            long t = System.nanoTime();
            DecoderTrainer.train(base, data.mixture(), plan.base(), progress("base", plan.base().steps(), log));
            log.printf(Locale.ROOT, "base trained in %.1f s%n", (System.nanoTime() - t) / 1e9);
            saved.add(save(outDir.resolve("base"), config, base, plan, "base", "mixture of " + String.join(", ", data.skills())));
            for (String skill : data.skills()) {
                try (NDManager m = root.newSubManager()) {
                    LlamaDecoder expert = new LlamaDecoder(config, DecoderTrainer.copy(config, base.weights(), m));
                    DecoderTrainer.Settings s = plan.expert(skill);
                    log.printf(Locale.ROOT, "expert-%s: %d steps of %d from the base%n", skill, s.steps(), s.batchSize());
                    long te = System.nanoTime();
                    DecoderTrainer.train(expert, data.skill(skill), s, progress("expert-" + skill, s.steps(), log));
                    log.printf(Locale.ROOT, "expert-%s trained in %.1f s%n", skill, (System.nanoTime() - te) / 1e9);
                    saved.add(save(outDir.resolve("expert-" + skill), config, expert, plan, "expert-" + skill,
                            "base fine-tuned on " + skill));
                }
            }
        }
        log.printf(Locale.ROOT, "trained the family in %.1f s%n", (System.nanoTime() - start) / 1e9);
        List<Score> table = evaluate(data, saved, log);
        writeCsv(table, resultsCsv);
        log.print(format(table, data.skills()));
        return table;
    }

    /** Exact match of every saved model on every skill split, reading the models back from disk. */
    public static List<Score> evaluate(FamilyData data, List<Path> models, java.io.PrintStream log) {
        List<Score> table = new ArrayList<>();
        try (NDManager root = DecoderEngine.newManager()) {
            for (Path dir : models) {
                try (alloy.io.Checkpoint ckpt = alloy.io.resolve.Checkpoints.open(dir); CausalLm lm = CausalLm.open(ckpt, root)) {
                    for (String skill : data.skills()) {
                        for (String split : FamilyData.SPLITS) {
                            List<FamilyData.Item> items = data.evaluation(skill, split);
                            var g = DecoderScoring.exactMatch(lm, items.stream().map(FamilyData.Item::prompt).toList(),
                                    items.stream().map(FamilyData.Item::answer).toList(), generation());
                            table.add(new Score(dir.getFileName().toString(), skill, split, items.size(), g.mean()));
                        }
                    }
                }
            }
        }
        return table;
    }

    private static Path save(Path dir, LlamaConfig config, LlamaDecoder model, Plan plan, String name, String description) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("alloy.model", name);
        meta.put("alloy.trained", description);
        meta.put("alloy.seed", Long.toString(plan.seed()));
        return DecoderCheckpoint.save(dir, config, model.weights().named(), DType.F32, meta);
    }

    private static java.util.function.Consumer<DecoderTrainer.StepLog> progress(String name, int steps, java.io.PrintStream log) {
        int every = Math.max(1, steps / 10);
        return s -> {
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

    public static void main(String[] args) {
        long seed = 1;
        Path out = Path.of("models/decoder-family");
        Path results = Path.of("results/decoder-family.csv");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seed" -> seed = Long.parseLong(args[++i]);
                case "--out" -> out = Path.of(args[++i]);
                case "--results" -> results = Path.of(args[++i]);
                default -> {
                    System.err.println("usage: DecoderFamily [--seed N] [--out DIR] [--results FILE]");
                    System.exit(2);
                }
            }
        }
        DecoderEngine.start(1);
        FamilyData data = FamilyData.skills(Path.of("proxy-tasks"), POOL, seed);
        build(data, Plan.standard(seed, data.skills()), out, results, System.out);
    }
}
