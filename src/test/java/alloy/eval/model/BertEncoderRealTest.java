package alloy.eval.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.eval.embed.EncoderProfile;
import alloy.eval.embed.SentenceEmbedder;
import alloy.eval.embed.TokenizedTexts;
import alloy.eval.task.PairItem;
import alloy.eval.task.ProxyTask;
import alloy.eval.task.ProxyTasks;
import alloy.eval.task.RetrievalItem;
import alloy.eval.task.Split;
import alloy.io.onnx.OnnxCheckpoint;
import ai.djl.ndarray.NDManager;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The NDArray encoder against ONNX Runtime on the real models' own ONNX files, weights read through
 * OnnxCheckpoint: every sentence of the sts-pairs proxy set (both splits), the queries and passages of
 * code-qa-retrieval's held-out split, and one text long enough to be truncated, each as the profile feeds
 * it (prefixes, truncation), must embed to a cosine of at least 0.9999 with what ONNX Runtime computes.
 * Each model is opened once.
 */
class BertEncoderRealTest {

    private static final double MIN_COSINE = 0.9999;
    private static final int THREADS = 1;   // tests share the machine; one thread keeps their time steady

    private static final ProxyTask.Pairs STS = (ProxyTask.Pairs) ProxyTasks.load(Path.of("proxy-tasks", "sts-pairs"));
    private static final ProxyTask.Retrieval CODE = (ProxyTask.Retrieval) ProxyTasks.load(Path.of("proxy-tasks", "code-qa-retrieval"));

    private static NDManager manager;

    @BeforeAll static void start() {
        DjlEngine.setThreads(THREADS);
        manager = DjlEngine.newManager();
    }

    @AfterAll static void stop() { manager.close(); }

    @Test void bgeAgreesWithOnnxRuntimeWithClsPooling() {
        double min = agreement(BertRealModels.BGE, EncoderProfile.BGE);
        assertTrue(min >= MIN_COSINE, "bge-small-en: lowest cosine " + min);
    }

    @Test void e5AgreesWithOnnxRuntimeWithMeanPooling() {
        double min = agreement(BertRealModels.E5, EncoderProfile.E5);
        assertTrue(min >= MIN_COSINE, "e5-small-v2: lowest cosine " + min);
    }

    /** The lowest per-text cosine between the two implementations over the proxy texts. */
    private static double agreement(String artifact, EncoderProfile profile) {
        Path dir = BertRealModels.testDir(artifact);
        List<String> texts = new ArrayList<>();
        for (Split split : Split.values()) {
            for (PairItem p : STS.items(split)) {
                texts.add(profile.pairPrefix() + p.a());
                texts.add(profile.pairPrefix() + p.b());
            }
        }
        List<RetrievalItem> code = CODE.items(Split.HELDOUT);
        code.forEach(i -> texts.add(profile.queryPrefix() + i.query()));
        code.forEach(i -> texts.add(profile.passagePrefix() + i.passage()));
        texts.add(profile.passagePrefix() + "word ".repeat(700));   // truncated to max length: every position embedding in use
        try (TextTokenizer tokenizer = TextTokenizer.forModel(dir, TextTokenizer.Options.encoder(profile.maxLength()));
             OnnxCheckpoint checkpoint = OnnxCheckpoint.open(dir.resolve("model.onnx"));
             BertOnnxRuntime ort = BertOnnxRuntime.open(dir.resolve("model.onnx"), THREADS);
             NDManager candidate = manager.newSubManager()) {
            TokenizedTexts tokens = TokenizedTexts.of(tokenizer, texts, "");
            assertEquals(profile.maxLength(), tokens.texts().get(tokens.byLength()[0]).length(), "longest text truncated to max length");
            BertEncoder encoder = BertEncoder.load(checkpoint, candidate);
            SentenceEmbedder embedder = new SentenceEmbedder(profile, 16);
            float[][] ours = embedder.embed(encoder, tokens, candidate);
            float[][] reference = ort.embed(tokens, embedder);
            double min = 1;
            int worst = -1;
            for (int i = 0; i < texts.size(); i++) {
                double c = BertOnnxRuntime.cosine(ours[i], reference[i]);
                if (c < min) { min = c; worst = i; }
            }
            System.out.printf("%s (%s): %d texts, lowest cosine vs ONNX Runtime %.9f (1 - cos = %.1e, text %d)%n",
                    artifact, profile.name(), texts.size(), min, 1 - min, worst);
            return min;
        }
    }
}
