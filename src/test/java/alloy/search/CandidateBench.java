package alloy.search;

import alloy.eval.embed.DjlEncoderEngine;
import alloy.eval.embed.EmbeddingScorer;
import alloy.eval.embed.EncoderEngine;
import alloy.eval.embed.OrtEncoderEngine;
import alloy.eval.family.Scorers;
import alloy.eval.embed.EncoderProfile;
import alloy.eval.embed.SentenceEmbedder;
import alloy.eval.embed.TokenizedTexts;
import alloy.eval.model.BertOnnxRuntime;
import alloy.eval.model.BertRealModels;
import alloy.eval.model.DjlEngine;
import alloy.eval.task.ProxyTask;
import alloy.eval.task.ProxyTasks;
import alloy.eval.task.Split;
import alloy.io.MemoryCheckpoint;
import alloy.recipe.MergeRun;
import alloy.recipe.Recipe;
import alloy.recipe.RecipeYaml;
import alloy.tensor.Kernels;
import alloy.testing.Benchmarks;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * scripts/bench-candidates: candidates per minute, in one run on the same inputs and threads.
 * <ul>
 * <li>bge: configs/bge-siblings-ties.yaml built in memory and scored on the search split of
 *     code-qa-retrieval and science-qa-retrieval, through {@link CandidateScorer} (what sweep and evolve
 *     run) on each encoder engine (onnxruntime: the merged tensors go to a new session in memory, its
 *     creation paid per candidate; djl: DJL PyTorch), against the floor: ONNX Runtime embedding the same
 *     texts (queries and passages of both sets, the same batches) with bge-small-en already loaded, at the
 *     same thread count.</li>
 * <li>decoder: configs/decoder-experts-ties.yaml built and scored on the search split of the four skill
 *     sets whose experts it merges; no ONNX form of the decoder exists, so its line shows build and scoring
 *     separately instead of a floor.</li>
 * </ul>
 * Medians of REPEATS rounds after one warm-up; the options alternate within each round.
 * Usage: CandidateBench [--repeats 3] [--threads N] [--family bge|decoder|both]
 */
public final class CandidateBench {

    public static void main(String[] args) throws Exception {
        int repeats = 3, threads = Runtime.getRuntime().availableProcessors();
        String family = "both";
        for (int i = 0; i < args.length; i += 2) {
            switch (args[i]) {
                case "--repeats" -> repeats = Integer.parseInt(args[i + 1]);
                case "--threads" -> threads = Integer.parseInt(args[i + 1]);
                case "--family" -> family = args[i + 1];
                default -> throw new IllegalArgumentException("unknown argument '" + args[i] + "' (expected --repeats, --threads, --family)");
            }
        }
        DjlEngine.setThreads(threads);
        MergeRun.Options options = new MergeRun.Options(42, threads, Kernels.fast());
        System.out.printf(Locale.ROOT, "%d threads, median of %d, load average %s%n", threads, repeats, Benchmarks.loadAverage());
        if (!family.equals("decoder")) bge(options, repeats, threads);
        if (!family.equals("bge")) decoder(options, repeats);
    }

    static void bge(MergeRun.Options options, int repeats, int threads) throws Exception {
        List<ProxyTask> sets = List.of(ProxyTasks.load(Path.of("proxy-tasks/code-qa-retrieval")), ProxyTasks.load(Path.of("proxy-tasks/science-qa-retrieval")));
        Recipe recipe = RecipeYaml.read(Path.of("configs/bge-siblings-ties.yaml"));
        Candidate.Merge candidate = new Candidate.Merge("bge-siblings-ties", recipe);
        Path dir = BertRealModels.dir(BertRealModels.BGE), onnx = dir.resolve("model.onnx");
        EncoderProfile profile = EncoderProfile.forModel(BertRealModels.BGE).orElseThrow();
        // one CandidateScorer per engine: the engine is chosen when the scorer opens
        CandidateScorer viaOrt = engine("onnxruntime", () -> CandidateScorer.forTasks(sets, Optional.empty(), options), candidate);
        CandidateScorer viaDjl = engine("djl", () -> CandidateScorer.forTasks(sets, Optional.empty(), options), candidate);
        try (viaOrt; viaDjl;
             EmbeddingScorer texts = EmbeddingScorer.open(sets, dir.resolve("tokenizer.json"), EmbeddingScorer.Settings.of(profile));
             BertOnnxRuntime ort = BertOnnxRuntime.open(onnx, threads)) {
            List<TokenizedTexts> all = new ArrayList<>();
            for (ProxyTask t : sets) all.add(texts.retrieval((ProxyTask.Retrieval) t, Split.SEARCH).texts());
            SentenceEmbedder embedder = texts.embedder();
            int count = all.stream().mapToInt(TokenizedTexts::size).sum();
            System.out.printf(Locale.ROOT, "%nbge: %s, search split of %s (%d texts), profile %s%n", candidate.label(),
                    sets.stream().map(ProxyTask::name).toList(), count, profile.name());
            checkExact(viaDjl, recipe, onnx, all, embedder, options, threads);

            Supplier<Object> onOrt = () -> viaOrt.score(candidate, Split.SEARCH);
            Supplier<Object> inTurn = () -> stream(viaOrt, candidate);
            Supplier<Object> onDjl = () -> viaDjl.score(candidate, Split.SEARCH);
            Supplier<Object> floor = () -> { all.forEach(t -> ort.embed(t, embedder)); return null; };
            onOrt.get();   // warm-up
            inTurn.get();
            onDjl.get();
            floor.get();
            double[] o = new double[repeats], st = new double[repeats], d = new double[repeats], f = new double[repeats];
            double[] ro = new double[repeats], rs = new double[repeats], rd = new double[repeats];
            for (int r = 0; r < repeats; r++) {
                f[r] = Benchmarks.time(floor);
                o[r] = Benchmarks.time(onOrt);
                st[r] = Benchmarks.time(inTurn) / STREAM;
                d[r] = Benchmarks.time(onDjl);
                ro[r] = o[r] / f[r];
                rs[r] = st[r] / f[r];
                rd[r] = d[r] / f[r];
            }
            double floorS = Benchmarks.median(f);
            System.out.printf(Locale.ROOT, "%-72s %8s %10s %9s %13s%n", "bge candidate (build in memory + score, CandidateScorer)", "s", "cand./min", "vs floor", "round ratios");
            row("floor: ONNX Runtime embeds the same texts, weights loaded", floorS, floorS, null);
            row("engine onnxruntime (default), one candidate alone", Benchmarks.median(o), floorS, ro);
            row("engine onnxruntime (default), " + STREAM + " in turn, next built meanwhile", Benchmarks.median(st), floorS, rs);
            row("engine djl (-Dalloy.encoder.engine=djl), one candidate alone", Benchmarks.median(d), floorS, rd);
            System.out.printf(Locale.ROOT, "  rounds (s): floor %s  onnxruntime %s  in turn (per candidate) %s  djl %s%n", Arrays.toString(round(f)),
                    Arrays.toString(round(o)), Arrays.toString(round(st)), Arrays.toString(round(d)));
        }
    }

    /** Candidates scored one after another, as a sweep or a generation is: each next one built while the current is scored. */
    static final int STREAM = 4;

    /**
     * {@link #STREAM} candidates in turn through {@code scorer}, each told the next; the same recipe each time
     * (CandidateScorer keeps no build across calls, so every one is merged and loaded anew).
     */
    static Object stream(CandidateScorer scorer, Candidate.Merge c) {
        for (int i = 0; i < STREAM; i++) scorer.score(c, Split.SEARCH, i + 1 < STREAM ? Optional.of(c) : Optional.empty());
        return null;
    }

    /** {@code open} run with the encoder engine property set to {@code engine}, its scorer opened on {@code c}. */
    static CandidateScorer engine(String engine, Supplier<CandidateScorer> open, Candidate.Merge c) {
        String before = System.getProperty(Scorers.ENGINE_PROPERTY);
        System.setProperty(Scorers.ENGINE_PROPERTY, engine);
        try {
            CandidateScorer s = open.get();
            s.withBuilt(c, (ck, sc) -> null);   // the engine is chosen here, when the scorer opens
            return s;
        } finally {
            if (before == null) System.clearProperty(Scorers.ENGINE_PROPERTY);
            else System.setProperty(Scorers.ENGINE_PROPERTY, before);
        }
    }

    static void decoder(MergeRun.Options options, int repeats) throws Exception {
        List<ProxyTask> sets = new ArrayList<>();
        for (String s : List.of("skill-add", "skill-reverse", "skill-sort", "skill-map")) sets.add(ProxyTasks.load(Path.of("proxy-tasks", s)));
        Recipe recipe = RecipeYaml.read(Path.of("configs/decoder-experts-ties.yaml"));
        Candidate.Merge candidate = new Candidate.Merge("decoder-experts-ties", recipe);
        try (CandidateScorer scorer = CandidateScorer.forTasks(sets, Optional.empty(), options)) {
            System.out.printf(Locale.ROOT, "%ndecoder: %s, search split of %s%n", candidate.label(), sets.stream().map(ProxyTask::name).toList());
            Supplier<Object> whole = () -> scorer.score(candidate, Split.SEARCH);
            Supplier<Object> inTurn = () -> stream(scorer, candidate);
            Supplier<Object> build = () -> scorer.withBuilt(candidate, (ck, sc) -> null);
            whole.get();
            inTurn.get();
            double[] w = new double[repeats], st = new double[repeats], b = new double[repeats];
            for (int r = 0; r < repeats; r++) {
                w[r] = Benchmarks.time(whole);
                st[r] = Benchmarks.time(inTurn) / STREAM;
                b[r] = Benchmarks.time(build);
            }
            double total = Benchmarks.median(w), built = Benchmarks.median(b), turn = Benchmarks.median(st);
            System.out.printf(Locale.ROOT, "%-62s %8s %12s%n", "decoder candidate", "s", "cand./min");
            System.out.printf(Locale.ROOT, "%-62s %8.2f %12.1f%n", "DJL PyTorch: build in memory + score, one candidate alone", total, 60 / total);
            System.out.printf(Locale.ROOT, "%-62s %8.2f %12.1f%n", "DJL PyTorch: " + STREAM + " in turn, next built meanwhile", turn, 60 / turn);
            System.out.printf(Locale.ROOT, "%-62s %8.2f   (%.1f%% of the candidate)%n", "  of which build (merge in memory)", built, 100 * built / total);
            System.out.printf(Locale.ROOT, "  rounds (s): candidate %s  in turn (per candidate) %s  build %s%n", Arrays.toString(round(w)),
                    Arrays.toString(round(st)), Arrays.toString(round(b)));
        }
    }

    /** The two engines' embeddings of one merged candidate: cosine >= 0.9999 on every text, or the comparison is void. */
    static void checkExact(CandidateScorer scorer, Recipe recipe, Path onnx, List<TokenizedTexts> all, SentenceEmbedder embedder,
                           MergeRun.Options options, int threads) {
        double worst = 1;
        try (MergeRun run = MergeRun.prepare(recipe, scorer.inputsOf(recipe));
             MemoryCheckpoint built = run.toMemory("candidate", options, s -> {});
             OrtEncoderEngine ort = OrtEncoderEngine.open(onnx, embedder, threads).orElseThrow();
             DjlEncoderEngine djl = new DjlEncoderEngine(embedder);
             EncoderEngine.Loaded o = ort.load(built);
             EncoderEngine.Loaded d = djl.load(built)) {
            for (TokenizedTexts t : all) {
                float[][] a = o.embed(t), b = d.embed(t);
                for (int i = 0; i < a.length; i++) worst = Math.min(worst, BertOnnxRuntime.cosine(a[i], b[i]));
            }
        }
        System.out.printf(Locale.ROOT, "exactness: engines onnxruntime vs djl on the merged candidate, lowest cosine over every text: 1 - %.1e%s%n",
                1 - worst, worst >= 0.9999 ? "" : "  FAILS the 0.9999 bar");
    }

    /** A row: seconds, candidates per minute, ratio of the medians, and the median of the rounds' own ratios (none for the floor). */
    private static void row(String label, double s, double floor, double[] roundRatios) {
        String perRound = roundRatios == null ? "" : String.format(Locale.ROOT, "%.2fx %s", Benchmarks.median(roundRatios), Arrays.toString(round(roundRatios)));
        System.out.printf(Locale.ROOT, "%-72s %8.2f %10.1f %8.2fx  %s%n", label, s, 60 / s, s / floor, perRound);
    }

    private static double[] round(double[] v) {
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) r[i] = Math.round(v[i] * 100) / 100.0;
        return r;
    }
}
