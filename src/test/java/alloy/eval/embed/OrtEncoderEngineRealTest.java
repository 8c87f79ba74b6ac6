package alloy.eval.embed;

import static org.junit.jupiter.api.Assertions.*;

import alloy.eval.TaskResult;
import alloy.eval.model.BertOnnxRuntime;
import alloy.eval.model.BertRealModels;
import alloy.eval.model.DjlEngine;
import alloy.eval.stats.Bootstrap;
import alloy.eval.task.ProxyTask;
import alloy.eval.task.ProxyTasks;
import alloy.eval.task.Split;
import alloy.io.MemoryCheckpoint;
import alloy.io.TensorInfo;
import alloy.io.onnx.OnnxCheckpoint;
import alloy.tensor.FloatTensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The ONNX Runtime engine against the DJL one on bge-small-en: the same embeddings (cosine >= 0.9999 on every
 * text of a proxy split, as the encoder tests demand of DJL against ONNX Runtime), for the model as it ships
 * and for a candidate held in memory whose weights differ from the graph's own, so that the session is shown
 * to run on the weights handed to it (transposed MatMul weights and untransposed ones alike).
 */
class OrtEncoderEngineRealTest {

    private static OnnxCheckpoint bge;
    private static Path graph;
    private static ProxyTask.Retrieval science;

    @BeforeAll static void open() {
        DjlEngine.setThreads(1);
        bge = BertRealModels.open(BertRealModels.BGE);
        graph = bge.file();
        science = (ProxyTask.Retrieval) ProxyTasks.load(Path.of("proxy-tasks", "science-qa-retrieval"));
    }

    @AfterAll static void close() { bge.close(); }

    static EmbeddingScorer.Settings settings() { return new EmbeddingScorer.Settings(EncoderProfile.BGE, 32, 4096, Bootstrap.seeded(7)); }

    static Path tokenizer() { return BertRealModels.testDir(BertRealModels.BGE).resolve("tokenizer.json"); }

    /** bge with the query projection of layer 0 and the embeddings' LayerNorm scale changed. */
    static MemoryCheckpoint altered() {
        MemoryCheckpoint m = new MemoryCheckpoint("altered bge", bge.modelDirectory());
        for (TensorInfo info : bge.tensors()) {
            FloatTensor t = bge.read(info.name(), m.arena());
            if (info.name().equals("encoder.layer.0.attention.self.query.weight") || info.name().equals("embeddings.LayerNorm.weight")) {
                for (long i = 0; i < t.size(); i++) t.set(i, t.get(i) * (1.3f + 0.4f * ((i * 7) % 5) / 5f));
            }
            m.put(info.name(), t);
        }
        return m;
    }

    @Test void sameEmbeddingsAsDjlForTheModelAndForWeightsGivenInMemory() {
        try (EmbeddingScorer texts = EmbeddingScorer.open(List.of(science), tokenizer(), settings());
             MemoryCheckpoint changed = altered()) {
            TokenizedTexts t = texts.retrieval(science, Split.SEARCH).texts();
            SentenceEmbedder embedder = texts.embedder();
            try (OrtEncoderEngine ort = OrtEncoderEngine.open(graph, embedder, 1).orElseThrow();
                 DjlEncoderEngine djl = new DjlEncoderEngine(embedder)) {
                float[][] plain;
                try (var o = ort.load(bge); var d = djl.load(bge)) {
                    plain = o.embed(t);
                    assertAgree(d.embed(t), plain, "bge as shipped");
                }
                try (var o = ort.load(changed); var d = djl.load(changed)) {
                    float[][] moved = o.embed(t);
                    assertAgree(d.embed(t), moved, "bge with two weights changed in memory");
                    double least = 1;
                    for (int i = 0; i < moved.length; i++) least = Math.min(least, BertOnnxRuntime.cosine(plain[i], moved[i]));
                    assertTrue(least < 0.999, "the changed weights must change the embeddings (least cosine " + least + ")");
                }
            }
        }
    }

    static void assertAgree(float[][] djl, float[][] ort, String what) {
        assertEquals(djl.length, ort.length);
        for (int i = 0; i < djl.length; i++) {
            double c = BertOnnxRuntime.cosine(djl[i], ort[i]);
            assertTrue(c >= 0.9999, what + ", text " + i + ": cosine " + c);
        }
    }

    @Test void scorerRunsOnOnnxRuntimeWhereTheGraphIsThereAndScoresAsDjl() {
        try (EmbeddingScorer viaOrt = EmbeddingScorer.open(List.of(science), tokenizer(), settings(), Optional.of(graph));
             EmbeddingScorer viaDjl = EmbeddingScorer.open(List.of(science), tokenizer(), settings())) {
            assertEquals("onnxruntime", viaOrt.engine().name());
            assertEquals("djl", viaDjl.engine().name());
            TaskResult o = viaOrt.score(bge, Split.SEARCH).get(0), d = viaDjl.score(bge, Split.SEARCH).get(0);
            assertEquals(d.primary().value(), o.primary().value(), 1e-9, "embeddings equal to 1e-12 rank the passages alike");
        }
    }
}
