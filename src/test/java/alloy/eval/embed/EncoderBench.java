package alloy.eval.embed;

import alloy.eval.model.BertEncoder;
import alloy.eval.model.BertOnnxRuntime;
import alloy.eval.model.BertRealModels;
import alloy.eval.model.DjlEngine;
import alloy.eval.model.TextTokenizer;
import alloy.eval.stats.Bootstrap;
import alloy.eval.task.ProxyTask;
import alloy.eval.task.ProxyTasks;
import alloy.eval.task.RetrievalItem;
import alloy.eval.task.Split;
import alloy.io.MemoryCheckpoint;
import alloy.io.TensorInfo;
import alloy.io.onnx.OnnxCheckpoint;
import alloy.testing.Benchmarks;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * scripts/bench-encoder: in one run, on one model and one proxy split,
 * <ol>
 *   <li>encoder throughput (texts/s) of BertEncoder against ONNX Runtime on the model's own ONNX file: the
 *       same tokenized texts, the same batches, the same thread count (target: ratio ≥ 0.8);</li>
 *   <li>building a candidate (loading every weight of a merge result held in memory, and of the ONNX
 *       checkpoint, into NDArrays) against scoring it on the split (target: build / score &lt; 10%).</li>
 * </ol>
 * Each figure is the median of the repeats; the two engines alternate so that drift on a shared machine
 * hits both alike.
 *
 * <pre>EncoderBench [--model bge|e5|minilm|bge15] [--set science-qa-retrieval] [--split search]
 *              [--threads 1,4] [--batch 32] [--repeats 5]</pre>
 */
public final class EncoderBench {

    private EncoderBench() {}

    public static void main(String[] args) throws Exception {
        String model = "bge", set = "science-qa-retrieval", splitName = "search", threadList = null;
        int batch = 32, repeats = 5;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (a) {
                case "--model" -> { model = need(a, v); i++; }
                case "--set" -> { set = need(a, v); i++; }
                case "--split" -> { splitName = need(a, v); i++; }
                case "--threads" -> { threadList = need(a, v); i++; }
                case "--batch" -> { batch = Integer.parseInt(need(a, v)); i++; }
                case "--repeats" -> { repeats = Integer.parseInt(need(a, v)); i++; }
                case "-h", "--help" -> { usage(); return; }
                default -> { System.err.println("unknown argument " + a); usage(); System.exit(2); }
            }
        }
        int cores = Runtime.getRuntime().availableProcessors();
        Set<Integer> threads = new LinkedHashSet<>();
        if (threadList == null) { threads.add(1); threads.add(cores); }
        else for (String t : threadList.split(",")) threads.add(Integer.parseInt(t.strip()));

        String artifact = switch (model) {
            case "bge" -> BertRealModels.BGE;
            case "bge15" -> BertRealModels.BGE15;
            case "e5" -> BertRealModels.E5;
            case "minilm" -> BertRealModels.MINILM6;
            default -> model;
        };
        EncoderProfile profile = EncoderProfile.forModel(artifact).orElse(EncoderProfile.BGE);
        Split split = Split.parse(splitName);
        Path dir = BertRealModels.dir(artifact);
        Path onnx = dir.resolve("model.onnx");
        ProxyTask task = ProxyTasks.load(Path.of("proxy-tasks").resolve(set));
        if (!(task instanceof ProxyTask.Retrieval retrieval)) throw new IllegalArgumentException(set + " is not a retrieval set");
        List<RetrievalItem> items = retrieval.items(split);

        System.out.printf(Locale.ROOT, "model %s, profile %s, set %s/%s (%d queries + %d passages), batch %d, repeats %d, %d cores, load average %s%n",
                artifact, profile.name(), set, split, items.size(), items.size(), batch, repeats, cores, Benchmarks.loadAverage().split(" ")[0]);

        EmbeddingScorer.Settings settings = new EmbeddingScorer.Settings(profile, batch, batch * SentenceEmbedder.DEFAULT_TOKENS_PER_TEXT, Bootstrap.defaults());
        try (OnnxCheckpoint checkpoint = OnnxCheckpoint.open(onnx);
             MemoryCheckpoint merged = inMemoryCopy(checkpoint, dir);
             EmbeddingScorer scorer = EmbeddingScorer.open(List.of(retrieval), dir.resolve("tokenizer.json"), settings);
             NDManager root = DjlEngine.newManager()) {
            RetrievalEval.Prepared prepared = scorer.retrieval(retrieval, split);
            TokenizedTexts texts = prepared.texts();
            SentenceEmbedder embedder = scorer.embedder();
            System.out.printf(Locale.ROOT, "%d texts, %d tokens, %d batches%n%n", texts.size(), texts.tokens(), embedder.plan(texts).size());

            for (int t : threads) {
                DjlEngine.setThreads(t);
                System.out.printf(Locale.ROOT, "== %d thread%s%n", t, t == 1 ? "" : "s");
                try (BertOnnxRuntime ort = BertOnnxRuntime.open(onnx, t); NDManager candidate = root.newSubManager()) {
                    BertEncoder encoder = BertEncoder.load(checkpoint, candidate);
                    double[] djl = new double[repeats], ref = new double[repeats];
                    Benchmarks.time(() -> embedder.embed(encoder, texts, candidate));                                // warm-up
                    Benchmarks.time(() -> ort.embed(texts, embedder));
                    for (int r = 0; r < repeats; r++) {
                        djl[r] = Benchmarks.time(() -> embedder.embed(encoder, texts, candidate));
                        ref[r] = Benchmarks.time(() -> ort.embed(texts, embedder));
                    }
                    double djlRate = texts.size() / Benchmarks.median(djl), ortRate = texts.size() / Benchmarks.median(ref);
                    System.out.printf(Locale.ROOT, "throughput  BertEncoder %8.1f texts/s   ONNX Runtime %8.1f texts/s   ratio %.2f (target >= 0.80)%n",
                            djlRate, ortRate, djlRate / ortRate);

                    double[] buildMemory = new double[repeats], buildOnnx = new double[repeats], score = new double[repeats];
                    for (int r = 0; r < repeats; r++) {
                        buildMemory[r] = timeLoad(merged, root);
                        buildOnnx[r] = timeLoad(checkpoint, root);
                        score[r] = Benchmarks.time(() -> scorer.score(retrieval, split, encoder, candidate));
                    }
                    double s = Benchmarks.median(score), bm = Benchmarks.median(buildMemory), bo = Benchmarks.median(buildOnnx);
                    System.out.printf(Locale.ROOT, "build       in-memory merge %7.1f ms   ONNX checkpoint %7.1f ms   (%.0f MiB of weights)%n",
                            bm * 1e3, bo * 1e3, bytes(merged) / 1048576.0);
                    System.out.printf(Locale.ROOT, "score       %s/%s %7.1f ms%n", set, split, s * 1e3);
                    System.out.printf(Locale.ROOT, "build/score in-memory %.1f%%   ONNX %.1f%%   (target < 10%%)%n%n", 100 * bm / s, 100 * bo / s);
                }
            }
        }
    }

    /** Every tensor of {@code source} as float32 in a MemoryCheckpoint: what a merge hands to evaluation. */
    static MemoryCheckpoint inMemoryCopy(OnnxCheckpoint source, Path modelDir) {
        MemoryCheckpoint m = new MemoryCheckpoint("merge of " + source.label(), Optional.of(modelDir));
        for (TensorInfo info : source.tensors()) m.put(info.name(), source.read(info.name(), m.arena()));
        return m;
    }

    private static long bytes(MemoryCheckpoint m) { return m.tensors().stream().mapToLong(TensorInfo::byteSize).sum(); }

    /** Seconds to load {@code c} into a fresh candidate manager (freed afterwards, untimed). */
    private static double timeLoad(alloy.io.Checkpoint c, NDManager root) {
        try (NDManager m = root.newSubManager()) {
            long t0 = System.nanoTime();
            BertEncoder.load(c, m);
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    private static String need(String flag, String value) {
        if (value == null) throw new IllegalArgumentException(flag + " needs a value");
        return value;
    }

    private static void usage() {
        System.out.println("usage: scripts/bench-encoder [--model bge|bge15|e5|minilm] [--set science-qa-retrieval] [--split search]"
                + " [--threads 1,4] [--batch 32] [--repeats 5]");
    }
}
