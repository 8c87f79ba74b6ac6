package alloy.search;

import ai.djl.ndarray.NDManager;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import alloy.eval.embed.EmbeddingScorer;
import alloy.eval.embed.EncoderProfile;
import alloy.eval.embed.SentenceEmbedder;
import alloy.eval.embed.TokenizedTexts;
import alloy.eval.model.BertEncoder;
import alloy.eval.model.BertOnnxRuntime;
import alloy.eval.model.BertRealModels;
import alloy.eval.model.DjlEngine;
import alloy.eval.task.ProxyTask;
import alloy.eval.task.ProxyTasks;
import alloy.eval.task.Split;
import alloy.io.MemoryCheckpoint;
import alloy.io.TensorInfo;
import alloy.io.onnx.OnnxCheckpoint;
import alloy.recipe.MergeRun;
import alloy.recipe.Recipe;
import alloy.recipe.RecipeYaml;
import alloy.tensor.FloatTensor;
import alloy.tensor.Kernels;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * scripts/bench-candidates: candidates per minute, in one run on the same inputs and threads.
 * <ul>
 * <li>bge: configs/bge-siblings-ties.yaml built in memory and scored on the search split of
 *     code-qa-retrieval and science-qa-retrieval, through {@link CandidateScorer} (what sweep and evolve
 *     run), against the floor: ONNX Runtime embedding the same texts (queries and passages of both sets,
 *     the same batches) with bge-small-en already loaded, at the same thread count. And the option of
 *     scoring through ONNX Runtime itself: merge in memory, hand the merged tensors to a new session as
 *     external initializers (no file written), embed; the session's creation is paid per candidate.</li>
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
        System.out.printf(Locale.ROOT, "%d threads, median of %d, load average %s%n", threads, repeats, load());
        if (!family.equals("decoder")) bge(options, repeats, threads);
        if (!family.equals("bge")) decoder(options, repeats);
    }

    static void bge(MergeRun.Options options, int repeats, int threads) throws Exception {
        List<ProxyTask> sets = List.of(ProxyTasks.load(Path.of("proxy-tasks/code-qa-retrieval")), ProxyTasks.load(Path.of("proxy-tasks/science-qa-retrieval")));
        Recipe recipe = RecipeYaml.read(Path.of("configs/bge-siblings-ties.yaml"));
        Candidate.Merge candidate = new Candidate.Merge("bge-siblings-ties", recipe);
        Path dir = BertRealModels.dir(BertRealModels.BGE), onnx = dir.resolve("model.onnx");
        EncoderProfile profile = EncoderProfile.forModel(BertRealModels.BGE).orElseThrow();
        try (CandidateScorer scorer = CandidateScorer.forTasks(sets, Optional.empty(), options);
             EmbeddingScorer texts = EmbeddingScorer.open(sets, dir.resolve("tokenizer.json"), EmbeddingScorer.Settings.of(profile));
             BertOnnxRuntime ort = BertOnnxRuntime.open(onnx, threads);
             OnnxCheckpoint template = OnnxCheckpoint.open(onnx)) {
            List<TokenizedTexts> all = new ArrayList<>();
            for (ProxyTask t : sets) all.add(texts.retrieval((ProxyTask.Retrieval) t, Split.SEARCH).texts());
            SentenceEmbedder embedder = texts.embedder();
            int count = all.stream().mapToInt(TokenizedTexts::size).sum();
            System.out.printf(Locale.ROOT, "%nbge: %s, search split of %s (%d texts), profile %s%n", candidate.label(),
                    sets.stream().map(ProxyTask::name).toList(), count, profile.name());

            Supplier<Object> djl = () -> scorer.score(candidate, Split.SEARCH);
            Supplier<Object> floor = () -> { all.forEach(t -> ort.embed(t, embedder)); return null; };
            Supplier<Object> ortCandidate = () -> ortCandidate(scorer, recipe, template, onnx, threads, all, embedder, options);
            checkExact(scorer, recipe, template, onnx, threads, all, embedder, options);
            djl.get();   // warm-up
            floor.get();
            ortCandidate.get();
            double[] d = new double[repeats], f = new double[repeats], o = new double[repeats];
            for (int r = 0; r < repeats; r++) {
                d[r] = time(djl);
                f[r] = time(floor);
                o[r] = time(ortCandidate);
            }
            double floorS = median(f);
            System.out.printf(Locale.ROOT, "%-52s %8s %12s %10s%n", "bge candidate", "s", "cand./min", "vs floor");
            row("floor: ONNX Runtime embeds the texts (weights loaded)", floorS, floorS);
            row("DJL PyTorch: build in memory + score (CandidateScorer)", median(d), floorS);
            row("ONNX Runtime: build + session from memory + embed", median(o), floorS);
            System.out.printf(Locale.ROOT, "  rounds (s): DJL %s  floor %s  ORT candidate %s%n", Arrays.toString(round(d)), Arrays.toString(round(f)), Arrays.toString(round(o)));
            System.out.printf(Locale.ROOT, "  last ORT candidate: %s%n", LAST_ORT);
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
            Supplier<Object> build = () -> scorer.withBuilt(candidate, (ck, sc) -> null);
            whole.get();
            double[] w = new double[repeats], b = new double[repeats];
            for (int r = 0; r < repeats; r++) {
                w[r] = time(whole);
                b[r] = time(build);
            }
            double total = median(w), built = median(b);
            System.out.printf(Locale.ROOT, "%-52s %8s %12s%n", "decoder candidate", "s", "cand./min");
            System.out.printf(Locale.ROOT, "%-52s %8.2f %12.1f%n", "DJL PyTorch: build in memory + score (CandidateScorer)", total, 60 / total);
            System.out.printf(Locale.ROOT, "%-52s %8.2f   (%.1f%% of the candidate)%n", "  of which build (merge in memory)", built, 100 * built / total);
            System.out.printf(Locale.ROOT, "  rounds (s): candidate %s  build %s%n", Arrays.toString(round(w)), Arrays.toString(round(b)));
        }
    }

    /**
     * One candidate through ONNX Runtime: merged in memory, its tensors handed to a new session on the
     * base's ONNX graph as external initializers (transposed back where the ONNX graph stores W^T), then
     * every text embedded. Returns the embeddings, per text set.
     */
    static List<float[][]> ortCandidate(CandidateScorer scorer, Recipe recipe, OnnxCheckpoint template, Path onnx, int threads,
                                        List<TokenizedTexts> all, SentenceEmbedder embedder, MergeRun.Options options) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Map<String, OnnxTensor> init = new HashMap<>();
        long t0 = System.nanoTime();
        try (MergeRun run = MergeRun.prepare(recipe, scorer.inputsOf(recipe));
             MemoryCheckpoint built = run.toMemory("candidate", options, s -> {})) {
            long t1 = System.nanoTime();
            for (TensorInfo info : built.tensors()) {
                FloatTensor t = built.tensor(info.name());
                long[] dims = t.shape().dims();
                FloatBuffer data;
                if (template.transposed(info.name())) {
                    data = transposed(t, (int) dims[0], (int) dims[1]);
                    dims = new long[] {dims[1], dims[0]};
                } else {
                    data = t.data().asByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();   // no copy: ORT reads the direct buffer
                }
                init.put(template.onnxName(info.name()), OnnxTensor.createTensor(env, data, dims));
            }
            try (BertOnnxRuntime session = BertOnnxRuntime.open(onnx, external(template), threads, init)) {
                long t2 = System.nanoTime();
                List<float[][]> out = new ArrayList<>();
                for (TokenizedTexts t : all) out.add(session.embed(t, embedder));
                long t3 = System.nanoTime();
                LAST_ORT = String.format(Locale.ROOT, "build %.2f s, initializers + session %.2f s, embed %.2f s", (t1 - t0) / 1e9, (t2 - t1) / 1e9, (t3 - t2) / 1e9);
                return out;
            }
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime: " + e.getMessage(), e);
        } finally {
            init.values().forEach(OnnxTensor::close);
        }
    }

    /** The parts of the last ONNX Runtime candidate's time, for the report. */
    static volatile String LAST_ORT = "";

    private static final Map<OnnxCheckpoint, byte[]> EXTERNAL = new HashMap<>();

    /** The template's graph with its weights marked external, made once (it is the same for every candidate). */
    private static synchronized byte[] external(OnnxCheckpoint template) {
        return EXTERNAL.computeIfAbsent(template, alloy.io.onnx.ExternalTemplate::of);
    }

    private static FloatBuffer transposed(FloatTensor t, int rows, int cols) {
        FloatBuffer b = java.nio.ByteBuffer.allocateDirect(rows * cols * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
        for (int c = 0; c < cols; c++) for (int r = 0; r < rows; r++) b.put(c * rows + r, t.get((long) r * cols + c));
        return b;
    }

    /** The ORT candidate's embeddings against DJL's on the same merged weights: cosine >= 0.9999 on every text, or the option is void. */
    static void checkExact(CandidateScorer scorer, Recipe recipe, OnnxCheckpoint template, Path onnx, int threads,
                           List<TokenizedTexts> all, SentenceEmbedder embedder, MergeRun.Options options) {
        List<float[][]> viaOrt = ortCandidate(scorer, recipe, template, onnx, threads, all, embedder, options);
        double worst = 1;
        try (MergeRun run = MergeRun.prepare(recipe, scorer.inputsOf(recipe));
             MemoryCheckpoint built = run.toMemory("candidate", options, s -> {});
             NDManager m = DjlEngine.newManager()) {
            BertEncoder encoder = BertEncoder.load(built, m);
            for (int s = 0; s < all.size(); s++) {
                float[][] djl = embedder.embed(encoder, all.get(s), m);
                for (int i = 0; i < djl.length; i++) worst = Math.min(worst, BertOnnxRuntime.cosine(djl[i], viaOrt.get(s)[i]));
            }
        }
        System.out.printf(Locale.ROOT, "exactness: ONNX Runtime (merged initializers) vs DJL on the same merge, lowest cosine over every text: 1 - %.1e%s%n",
                1 - worst, worst >= 0.9999 ? "" : "  FAILS the 0.9999 bar");
    }

    private static void row(String label, double s, double floor) {
        System.out.printf(Locale.ROOT, "%-52s %8.2f %12.1f %9.2fx%n", label, s, 60 / s, s / floor);
    }

    private static double time(Supplier<Object> work) {
        long t0 = System.nanoTime();
        work.get();
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double[] round(double[] v) {
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) r[i] = Math.round(v[i] * 100) / 100.0;
        return r;
    }

    private static String load() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (Exception e) {
            return "?";
        }
    }
}
