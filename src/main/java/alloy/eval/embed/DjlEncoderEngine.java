package alloy.eval.embed;

import ai.djl.ndarray.NDManager;
import alloy.eval.model.BertEncoder;
import alloy.eval.model.DjlEngine;
import alloy.io.Checkpoint;
import java.util.Objects;

/** Alloy's BERT forward on DJL's PyTorch engine: a candidate's weights live in a sub-manager closed with it. */
public final class DjlEncoderEngine implements EncoderEngine {

    private final SentenceEmbedder embedder;
    private final NDManager root = DjlEngine.newManager();

    public DjlEncoderEngine(SentenceEmbedder embedder) { this.embedder = Objects.requireNonNull(embedder, "embedder"); }

    @Override public String name() { return "djl"; }

    @Override public Loaded load(Checkpoint candidate) {
        NDManager m = root.newSubManager();
        try {
            BertEncoder encoder = BertEncoder.load(candidate, m);
            return new Loaded() {
                @Override public float[][] embed(TokenizedTexts texts) { return embedder.embed(encoder, texts, m); }

                @Override public void close() { m.close(); }
            };
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    @Override public void close() { root.close(); }
}
