package alloy.eval.embed;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import alloy.eval.model.BertRealModels;
import alloy.eval.model.DjlEngine;
import alloy.eval.task.ProxyTask;
import alloy.eval.task.ProxyTasks;
import alloy.eval.task.Split;
import alloy.io.onnx.OnnxCheckpoint;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Per candidate, the ONNX Runtime engine's session creation against its embedding of both retrieval sets'
 * search split (bge-small-en, 2 threads), for each graph optimisation level, interleaved.
 * Usage: OrtSessionProbe [ROUNDS=3]
 */
public final class OrtSessionProbe {
    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3, threads = Runtime.getRuntime().availableProcessors();
        DjlEngine.setThreads(threads);
        List<ProxyTask> sets = List.of(ProxyTasks.load(Path.of("proxy-tasks/code-qa-retrieval")), ProxyTasks.load(Path.of("proxy-tasks/science-qa-retrieval")));
        Path dir = BertRealModels.dir(BertRealModels.BGE);
        OptLevel[] levels = {OptLevel.ALL_OPT, OptLevel.EXTENDED_OPT, OptLevel.BASIC_OPT, OptLevel.NO_OPT};
        double[][] load = new double[levels.length][rounds], embed = new double[levels.length][rounds];
        try (EmbeddingScorer texts = EmbeddingScorer.open(sets, dir.resolve("tokenizer.json"), EmbeddingScorer.Settings.of(EncoderProfile.BGE));
             OnnxCheckpoint bge = OnnxCheckpoint.open(dir.resolve("model.onnx"));
             OrtEncoderEngine engine = OrtEncoderEngine.open(dir.resolve("model.onnx"), texts.embedder(), threads).orElseThrow()) {
            List<TokenizedTexts> all = sets.stream().map(t -> texts.retrieval((ProxyTask.Retrieval) t, Split.SEARCH).texts()).toList();
            for (int r = -1; r < rounds; r++) {
                for (int l = 0; l < levels.length; l++) {
                    engine.optimization(levels[l]);
                    long t0 = System.nanoTime();
                    try (EncoderEngine.Loaded s = engine.load(bge)) {
                        long t1 = System.nanoTime();
                        all.forEach(s::embed);
                        long t2 = System.nanoTime();
                        if (r >= 0) {
                            load[l][r] = (t1 - t0) / 1e9;
                            embed[l][r] = (t2 - t1) / 1e9;
                        }
                    }
                }
            }
        }
        for (int l = 0; l < levels.length; l++) {
            System.out.printf(Locale.ROOT, "%-13s session %s s   embed %s s%n", levels[l], java.util.Arrays.toString(load[l]), java.util.Arrays.toString(embed[l]));
        }
    }
}
