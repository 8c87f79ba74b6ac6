package alloy.report;

import alloy.results.CandidateRow;
import alloy.results.Coefficient;
import alloy.results.Decision;
import alloy.results.Generation;
import alloy.results.LearnCheck;
import alloy.results.LearnStep;
import alloy.results.ParetoPoint;
import alloy.results.RunInfo;
import alloy.results.RunKind;
import alloy.results.RunWriter;
import alloy.results.SoupStep;
import alloy.results.Split;
import alloy.results.SweepFit;
import alloy.results.SweepPoint;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Run directories for the report's tests, written with {@link RunWriter} the way the commands write them. The
 * eval and the two sweeps carry the numbers this project measured (README: the decoder family's exact match,
 * the linear sweep of its add and reverse experts, the SLERP sweep of the BGE siblings); the evolve and soup
 * runs are made up in the same family's shape (per-layer TIES weights of two experts; a greedy soup of the
 * four experts) until real runs of those commands exist. Intervals are percentile bootstraps of the items.
 *
 * <p>{@code main(dir)} writes them to a folder, to look at the report by hand.
 */
public final class ReportFixtures {
    private ReportFixtures() {}

    static final String[] SKILLS = {"skill-add", "skill-reverse", "skill-sort", "skill-map"};
    static final String EM = "exact_match";
    /** Runs start in the two hours before now, so that each finishes (at now) after it started. */
    static final Instant T0 = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MINUTES).minusSeconds(2 * 3600);

    /** Every fixture run under {@code root}; returns their directories. */
    public static List<Path> writeAll(Path root) {
        return List.of(eval(root.resolve("eval-decoder-family")), linearSweep(root.resolve("sweep-decoder-experts-linear")),
                slerpSweep(root.resolve("sweep-bge-siblings-slerp")), evolve(root.resolve("evolve-decoder-experts-ties")),
                soup(root.resolve("soup-decoder-experts")), learn(root.resolve("learn-decoder-experts")));
    }

    public static void main(String[] args) {
        writeAll(Path.of(args.length > 0 ? args[0] : "results/tmp/report-fixtures")).forEach(System.out::println);
    }

    /** A percentile bootstrap (1000 resamples) of the mean of {@code k} ones among {@code n} items. */
    static double[] binary(int k, int n, long seed) {
        double[] items = new double[n];
        for (int i = 0; i < k; i++) items[i] = 1;
        Random rnd = new Random(seed);
        double[] means = new double[1000];
        for (int b = 0; b < means.length; b++) {
            double s = 0;
            for (int i = 0; i < n; i++) s += items[rnd.nextInt(n)];
            means[b] = s / n;
        }
        Arrays.sort(means);
        return new double[] {(double) k / n, means[24], means[974]};
    }

    static CandidateRow row(String candidate, String hash, String method, String params, Split split, String task, double value, int n, double seconds) {
        int k = (int) Math.round(value * n);
        double[] s = binary(k, n, (candidate + task + split).hashCode());
        return new CandidateRow(candidate, hash, method, params, split, task, EM, s[0], s[1], s[2], n, seconds);
    }

    static RunInfo info(RunKind kind, int minutes, String... command) {
        List<String> cmd = new ArrayList<>(List.of("alloy"));
        cmd.addAll(List.of(command));
        RunInfo i = RunInfo.start(kind, cmd).withStarted(T0.plusSeconds(60L * minutes));
        for (String s : SKILLS) i = i.withMetric(s, EM);
        return i;
    }

    static void finish(RunWriter w) {
        w.finish();
    }

    // ---- eval: the decoder family as the README reports it (search / held-out exact match) ------------------------

    static Path eval(Path dir) {
        String[] models = {"base", "expert-add", "expert-reverse", "expert-sort", "expert-map"};
        double[][] search = {{0, .325, .65, .575}, {.975, 0, 0, 0}, {0, 1, .1, 0}, {0, 0, .95, 0}, {0, 0, 0, .975}};
        double[][] held = {{0, .5, .55, .3}, {1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};
        RunInfo info = info(RunKind.EVAL, 0, "eval", "models/decoder-family/base", "models/decoder-family/expert-add", "models/decoder-family/expert-reverse",
                "models/decoder-family/expert-sort", "models/decoder-family/expert-map", "--tasks", String.join(",", SKILLS))
                .withInput("models", Arrays.stream(models).map(m -> "models/decoder-family/" + m).toList()).withInput("tasks", List.of(SKILLS)).withSeed(0);
        try (RunWriter w = RunWriter.create(dir, info)) {
            for (int m = 0; m < models.length; m++) {
                for (int t = 0; t < SKILLS.length; t++) {
                    w.candidate(CandidateRow.model(models[m], Split.SEARCH, SKILLS[t], EM, search[m][t], bin(search[m][t], 40, 0), bin(search[m][t], 40, 1), 40, 2.1));
                    CandidateRow r = row(models[m], "", "model", "", Split.HELDOUT, SKILLS[t], held[m][t], 20, 1.1);
                    w.candidate(CandidateRow.model(models[m], Split.HELDOUT, SKILLS[t], EM, r.value(), r.low(), r.high(), 20, 1.1));
                }
            }
            finish(w);
        }
        return dir;
    }

    private static double bin(double v, int n, int end) {
        double[] s = binary((int) Math.round(v * n), n, Double.hashCode(v) + n);
        return s[1 + end];
    }

    // ---- linear sweep between the add and reverse experts (README numbers) ------------------------------------------

    static String linearRecipe(double w1) {
        return String.format(Locale.ROOT, """
                merge_method: linear
                base_model: ../models/decoder-family/base
                models:
                - model: ../models/decoder-family/expert-add
                  parameters:
                    weight: %s
                - model: ../models/decoder-family/expert-reverse
                  parameters:
                    weight: %s
                dtype: float32
                """, Plots.num(1 - w1), Plots.num(w1));
    }

    static Path linearSweep(Path dir) {
        String p = "models[1].weight";
        double[] xs = {0, .25, .5, .75, 1};
        double[] add = {.975, .175, 0, 0, 0}, rev = {0, 0, 0, .375, 1};
        RunInfo info = info(RunKind.SWEEP, 20, "sweep", "configs/decoder-experts-linear.yaml", "--param", p, "--complement", "models[0].weight",
                "--values", "0,0.25,0.5,0.75,1", "--tasks", "skill-add,skill-reverse", "--out", "results/sweep-decoder-experts-linear")
                .withInput("recipe", "configs/decoder-experts-linear.yaml").withInput("tasks", "skill-add", "skill-reverse").withSeed(0);
        try (RunWriter w = RunWriter.create(dir, info)) {
            for (int i = 0; i < xs.length; i++) {
                String hash = w.recipe(linearRecipe(xs[i]));
                String id = p + "=" + Plots.num(xs[i]);
                w.candidate(row(id, hash, "linear", id, Split.SEARCH, "skill-add", add[i], 40, 0.6));
                w.candidate(row(id, hash, "linear", id, Split.SEARCH, "skill-reverse", rev[i], 40, 0.6));
                w.sweepPoint(new SweepPoint(p, xs[i], (add[i] + rev[i]) / 2, false));
            }
            w.fit(SweepFit.of(p, 1.943, -1.893, 0.4704, 0.983, 1.0, "best sampled point 1.0000 (y=0.5000): fit is not concave (a=1.943)"));
            for (double x : new double[] {1, 0}) {
                String hash = w.recipe(linearRecipe(x));
                String id = p + "=" + Plots.num(x);
                w.candidate(row(id, hash, "linear", id, Split.HELDOUT, "skill-add", x == 0 ? 1 : 0, 20, 0.3));
                w.candidate(row(id, hash, "linear", id, Split.HELDOUT, "skill-reverse", x == 1 ? 1 : 0, 20, 0.3));
            }
            w.text("winner.yaml", linearRecipe(1));
            finish(w);
        }
        return dir;
    }

    // ---- SLERP sweep of the BGE siblings (README numbers): a concave fit whose vertex is proposed -----------------

    static Path slerpSweep(Path dir) {
        double[] xs = {0, .2, .4, .6, .669, .8, 1};
        double[] obj = {.9196, .9227, .9252, .9252, .9302, .9252, .9243};
        double[] code = {.899, .904, .907, .907, .907, .897, .897}, sci = {.940, .942, .943, .943, .953, .953, .952};
        RunInfo info = new RunInfo(RunKind.SWEEP, List.of("alloy", "sweep", "configs/bge-siblings-slerp.yaml", "--param", "t", "--values", "0,0.2,0.4,0.6,0.8,1",
                "--tasks", "code-qa-retrieval,science-qa-retrieval", "--profile", "bge"), Map.of("recipe", List.of("configs/bge-siblings-slerp.yaml")),
                Map.of("code-qa-retrieval", "mrr", "science-qa-retrieval", "mrr"), java.util.OptionalLong.of(0), T0.plusSeconds(1800), java.util.Optional.empty(), "0.1.0-SNAPSHOT");
        try (RunWriter w = RunWriter.create(dir, info)) {
            for (int i = 0; i < xs.length; i++) {
                String hash = w.recipe("merge_method: slerp\nparameters:\n  t: " + Plots.num(xs[i]) + "\n");
                String id = "t=" + Plots.num(xs[i]);
                w.candidate(new CandidateRow(id, hash, "slerp", id, Split.SEARCH, "code-qa-retrieval", "mrr", code[i], code[i] - .075, Math.min(1, code[i] + .06), 50, 14));
                w.candidate(new CandidateRow(id, hash, "slerp", id, Split.SEARCH, "science-qa-retrieval", "mrr", sci[i], sci[i] - .05, Math.min(1, sci[i] + .04), 50, 14));
                w.sweepPoint(new SweepPoint("t", xs[i], obj[i], xs[i] == .669));
            }
            w.fit(SweepFit.of("t", -0.01322, 0.01769, 0.9197, 0.980, 0.669, "vertex 0.6690 of a concave fit (R²=0.980 >= 0.500)"));
            double[][] held = {{.669, .967, .917, 1, .950, .883, 1}, {0, .983, .933, 1, .944, .872, 1}, {1, .967, .917, 1, .950, .883, 1}};
            for (double[] h : held) {
                String hash = w.recipe("merge_method: slerp\nparameters:\n  t: " + Plots.num(h[0]) + "\n");
                String id = "t=" + Plots.num(h[0]);
                w.candidate(new CandidateRow(id, hash, "slerp", id, Split.HELDOUT, "code-qa-retrieval", "mrr", h[1], h[2], h[3], 30, 9));
                w.candidate(new CandidateRow(id, hash, "slerp", id, Split.HELDOUT, "science-qa-retrieval", "mrr", h[4], h[5], h[6], 30, 9));
            }
            finish(w);
        }
        return dir;
    }

    // ---- evolve: per-layer TIES weights of the add and reverse experts (made up) ------------------------------------

    static final int GENERATIONS = 12, POPULATION = 16, KEPT_PER_GENERATION = 4, LAYERS = 4;

    static String tiesRecipe(double[] wAdd, double[] wRev, double[] dAdd, double[] dRev) {
        return String.format(Locale.ROOT, """
                merge_method: ties
                base_model: ../models/decoder-family/base
                models:
                - model: ../models/decoder-family/expert-add
                  parameters:
                    weight: %s
                    density: %s
                - model: ../models/decoder-family/expert-reverse
                  parameters:
                    weight: %s
                    density: %s
                parameters:
                  normalize: true
                dtype: float32
                """, list(wAdd), list(dAdd), list(wRev), list(dRev));
    }

    private static String list(double[] v) { return Arrays.stream(v).mapToObj(Plots::num).toList().toString(); }

    static Path evolve(Path dir) {
        double[] best = {.52, .58, .61, .66, .69, .71, .74, .75, .77, .78, .78, .79};
        double[] mean = {.21, .30, .38, .45, .50, .55, .59, .62, .65, .67, .68, .69};
        RunInfo info = info(RunKind.EVOLVE, 40, "evolve", "configs/decoder-experts-ties.yaml", "--tasks", "skill-add,skill-reverse", "--generations", "12",
                "--population", "16", "--random-seed", "7").withInput("recipe", "configs/decoder-experts-ties.yaml").withInput("tasks", "skill-add", "skill-reverse").withSeed(7);
        Random rnd = new Random(7);
        Map<String, double[]> scored = new LinkedHashMap<>();
        Map<String, String> hashes = new LinkedHashMap<>();
        try (RunWriter w = RunWriter.create(dir, info)) {
            for (int g = 0; g < GENERATIONS; g++) {
                for (int k = 0; k < KEPT_PER_GENERATION; k++) {
                    // Individuals near the generation's best, trading one skill for the other along a concave front.
                    double level = best[g] - 0.06 * k * rnd.nextDouble();
                    double tilt = rnd.nextDouble() * 0.5 - 0.25;
                    double add = clamp(level + tilt), rev = clamp(2 * level - add - 0.05 * Math.abs(tilt));
                    add = Math.round(add * 40) / 40.0;
                    rev = Math.round(rev * 40) / 40.0;
                    double[] wa = new double[LAYERS], wr = new double[LAYERS], da = new double[LAYERS], dr = new double[LAYERS];
                    for (int l = 0; l < LAYERS; l++) {
                        wa[l] = round2(0.3 + 0.6 * rnd.nextDouble());
                        wr[l] = round2(0.3 + 0.6 * rnd.nextDouble());
                        da[l] = round2(0.3 + 0.5 * rnd.nextDouble());
                        dr[l] = round2(0.3 + 0.5 * rnd.nextDouble());
                    }
                    String id = String.format(Locale.ROOT, "g%02d-%d", g, k);
                    String hash = w.recipe(tiesRecipe(wa, wr, da, dr));
                    String params = "w_add=" + list(wa) + " w_rev=" + list(wr);
                    w.candidate(row(id, hash, "ties", params, Split.SEARCH, "skill-add", add, 40, 3.2));
                    w.candidate(row(id, hash, "ties", params, Split.SEARCH, "skill-reverse", rev, 40, 3.2));
                    scored.put(id, new double[] {add, rev});
                    hashes.put(id, hash + "|" + params);
                }
                w.generation(new Generation(g, POPULATION * (g + 1), best[g], mean[g]));
            }
            List<String> front = front(scored);
            for (String id : front) {
                double[] s = scored.get(id);
                Map<String, Double> o = new LinkedHashMap<>();
                o.put("skill-add", s[0]);
                o.put("skill-reverse", s[1]);
                w.paretoPoint(new ParetoPoint(id, o));
                String[] hp = hashes.get(id).split("\\|", 2);
                // Held-out: a little below search, as a search's winners are.
                w.candidate(row(id, hp[0], "ties", hp[1], Split.HELDOUT, "skill-add", Math.max(0, Math.round((s[0] - .05) * 20) / 20.0), 20, 1.6));
                w.candidate(row(id, hp[0], "ties", hp[1], Split.HELDOUT, "skill-reverse", Math.max(0, Math.round((s[1] - .05) * 20) / 20.0), 20, 1.6));
            }
            double[] wa = {0.9, 0.75, 0.6, 0.55}, wr = {0.35, 0.5, 0.7, 0.85}, da = {0.7, 0.6, 0.5, 0.4}, dr = {0.4, 0.5, 0.6, 0.7};
            for (int l = 0; l < LAYERS; l++) {
                w.coefficient(new Coefficient(l, "../models/decoder-family/expert-add", "weight", wa[l]));
                w.coefficient(new Coefficient(l, "../models/decoder-family/expert-reverse", "weight", wr[l]));
            }
            for (int l = 0; l < LAYERS; l++) {
                w.coefficient(new Coefficient(l, "../models/decoder-family/expert-add", "density", da[l]));
                w.coefficient(new Coefficient(l, "../models/decoder-family/expert-reverse", "density", dr[l]));
            }
            w.text("winner.yaml", tiesRecipe(wa, wr, da, dr));
            finish(w);
        }
        return dir;
    }

    /** The candidates no other candidate beats on both objectives (ties on both keep both). */
    static List<String> front(Map<String, double[]> scored) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, double[]> a : scored.entrySet()) {
            boolean dominated = false;
            for (double[] b : scored.values()) {
                if (b[0] >= a.getValue()[0] && b[1] >= a.getValue()[1] && (b[0] > a.getValue()[0] || b[1] > a.getValue()[1])) { dominated = true; break; }
            }
            if (!dominated) out.add(a.getKey());
        }
        return out;
    }

    private static double clamp(double v) { return Math.max(0, Math.min(1, v)); }

    private static double round2(double v) { return Math.round(v * 100) / 100.0; }

    // ---- greedy soup of the four experts and the base (made up) ----------------------------------------------------

    static final String[][] SOUP = {{"expert-reverse", "start", "0.2750"}, {"expert-add", "reject", "0.0875"}, {"base", "accept", "0.2938"},
            {"expert-sort", "reject", "0.1625"}, {"expert-map", "reject", "0.1500"}};

    static Path soup(Path dir) {
        RunInfo info = info(RunKind.SOUP, 70, "soup", "--greedy", "models/decoder-family/expert-reverse", "models/decoder-family/expert-add",
                "models/decoder-family/base", "models/decoder-family/expert-sort", "models/decoder-family/expert-map", "--tasks", String.join(",", SKILLS))
                .withInput("tasks", List.of(SKILLS));
        try (RunWriter w = RunWriter.create(dir, info)) {
            for (int i = 0; i < SOUP.length; i++) {
                w.soupStep(new SoupStep(i, "models/decoder-family/" + SOUP[i][0], Decision.parse(SOUP[i][1]), Double.parseDouble(SOUP[i][2]), "mean exact_match (search)"));
            }
            String yaml = """
                    merge_method: linear
                    models:
                    - model: ../models/decoder-family/expert-reverse
                      parameters:
                        weight: 1
                    - model: ../models/decoder-family/base
                      parameters:
                        weight: 1
                    parameters:
                      normalize: true
                    dtype: float32
                    """;
            String hash = w.recipe(yaml);
            double[] held = {0, .85, .35, .15};
            for (int t = 0; t < SKILLS.length; t++) {
                w.candidate(row("soup(expert-reverse, base)", hash, "linear", "w=[1,1] normalize", Split.HELDOUT, SKILLS[t], held[t], 20, 1.2));
            }
            finish(w);
        }
        return dir;
    }

    // ---- learned coefficients (made up, in the shape of a real run: the stopping loss turns up after step 20) --------

    static Path learn(Path dir) {
        RunInfo info = info(RunKind.LEARN, 80, "learn", "configs/learn/decoder-experts.yaml").withInput("tasks", List.of(SKILLS));
        try (RunWriter w = RunWriter.create(dir, info)) {
            double[] checks = {0.063, 0.051, 0.046, 0.047, 0.049};
            for (int step = 1; step <= 40; step++) w.learnStep(new LearnStep(step, 0.06 * Math.exp(-step / 25.0), 0.01 / step, 0.42));
            for (int c = 0; c < checks.length; c++) {
                java.util.Map<String, Double> bySet = new java.util.LinkedHashMap<>();
                for (int t = 0; t < SKILLS.length; t++) bySet.put(SKILLS[t], checks[c] * (0.5 + 0.25 * t));
                w.learnCheck(new LearnCheck(10 * c, checks[c], c <= 2, bySet));
            }
            String yaml = """
                    merge_method: task_arithmetic
                    base_model: ../models/decoder-family/base
                    models:
                    - model: ../models/decoder-family/expert-add
                      parameters:
                        weight: 0.3
                    - model: ../models/decoder-family/expert-reverse
                      parameters:
                        weight: 0.4
                    parameters:
                      lambda: 1
                      normalize: false
                    dtype: float32
                    """;
            String hash = w.recipe(yaml);
            double[] held = {0.8, 0.95, 0.85, 0.75};
            for (int t = 0; t < SKILLS.length; t++) {
                w.candidate(row("learned", hash, "task_arithmetic", "weights learned", Split.HELDOUT, SKILLS[t], held[t], 60, 7.2));
            }
            finish(w);
        }
        return dir;
    }
}
