package alloy.eval.model;

import alloy.eval.embed.SentenceEmbedder;
import alloy.eval.embed.Pooling;
import alloy.eval.embed.TokenizedTexts;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.Map;

/**
 * The reference the encoder is checked and timed against: a BERT ONNX file run by ONNX Runtime (full graph
 * optimizations, {@code threads} intra-op threads, sequential execution), followed by pooling written
 * out in plain Java.
 */
public final class BertOnnxRuntime implements AutoCloseable {

    private final OrtEnvironment env;
    private final OrtSession session;

    private BertOnnxRuntime(OrtEnvironment env, OrtSession session) {
        this.env = env;
        this.session = session;
    }

    public static BertOnnxRuntime open(Path onnx, int threads) { return open(onnx, threads, Map.of()); }

    /**
     * A session on {@code onnx} whose initializers named in {@code initializers} are replaced by the given
     * tensors (ONNX Runtime's AddExternalInitializers): a merged model scored without writing its ONNX file.
     * The tensors must stay open as long as the session.
     */
    public static BertOnnxRuntime open(Path onnx, int threads, Map<String, ? extends ai.onnxruntime.OnnxTensorLike> initializers) {
        return open(onnx, null, threads, initializers);
    }

    /** As above, the model given as bytes (when not null) instead of read from {@code onnx}. */
    public static BertOnnxRuntime open(Path onnx, byte[] model, int threads, Map<String, ? extends ai.onnxruntime.OnnxTensorLike> initializers) {
        try {
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                if (!initializers.isEmpty()) options.addExternalInitializers(Map.copyOf(initializers));
                options.setIntraOpNumThreads(threads);
                options.setInterOpNumThreads(1);
                options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
                options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
                return new BertOnnxRuntime(env, model != null ? env.createSession(model, options) : env.createSession(onnx.toString(), options));
            }
        } catch (OrtException e) {
            throw new IllegalStateException(onnx + ": ONNX Runtime cannot open it: " + e.getMessage(), e);
        }
    }

    /** last_hidden_state, (batch · seq · hidden) row-major. */
    public float[] lastHidden(TextTokenizer.Batch batch) {
        long[] shape = {batch.size(), batch.length()};
        try (OnnxTensor ids = OnnxTensor.createTensor(env, LongBuffer.wrap(batch.flatIds()), shape);
             OnnxTensor mask = OnnxTensor.createTensor(env, LongBuffer.wrap(batch.flatAttentionMask()), shape);
             OnnxTensor types = OnnxTensor.createTensor(env, LongBuffer.wrap(batch.flatTypeIds()), shape);
             OrtSession.Result r = session.run(Map.of("input_ids", ids, "attention_mask", mask, "token_type_ids", types))) {
            FloatBuffer out = ((OnnxTensor) r.get(0)).getFloatBuffer();
            float[] a = new float[out.remaining()];
            out.get(a);
            return a;
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime run failed: " + e.getMessage(), e);
        }
    }

    /** Embeddings of {@code texts} in their order, in the batches {@code embedder} would run. */
    public float[][] embed(TokenizedTexts texts, SentenceEmbedder embedder) {
        return embedder.embedPlanned(texts, batch -> pool(lastHidden(batch), batch, embedder.profile().pooling(), embedder.profile().normalize()));
    }

    /** Plain-Java pooling of (batch · seq · hidden) states: the ONNX Runtime engine's, independent of DJL's NDArray pooling. */
    public static float[][] pool(float[] hidden, TextTokenizer.Batch batch, Pooling pooling, boolean normalize) {
        return alloy.eval.embed.OrtEncoderEngine.pool(hidden, batch, pooling, normalize);
    }

    public static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * (double) b[i];
            na += a[i] * (double) a[i];
            nb += b[i] * (double) b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    @Override public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new IllegalStateException(e);
        }
    }
}
