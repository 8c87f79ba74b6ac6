package alloy.eval.embed;

import alloy.io.Checkpoint;

/**
 * What runs a candidate sentence encoder: loads its weights, embeds tokenized texts, frees the weights.
 * {@link DjlEncoderEngine} runs Alloy's own BERT forward on DJL's PyTorch engine and takes any checkpoint;
 * {@link OrtEncoderEngine} hands the weights to ONNX Runtime over the reference model's ONNX graph, which
 * is faster on AMD processors (libtorch's MKL takes its AVX2 path there, ONNX Runtime its AVX-512 kernels:
 * 1.1-1.9x DJL's throughput on the same machine on different days; see the README's Performance section)
 * and needs that graph. Both give the same embeddings to a
 * cosine of 1 - 1e-12 (OrtEncoderEngineRealTest).
 */
public interface EncoderEngine extends AutoCloseable {

    /** A short name for reports: "djl" or "onnxruntime". */
    String name();

    /** Loads {@code candidate}'s weights; the caller closes the result when the candidate is scored. */
    Loaded load(Checkpoint candidate);

    /** One candidate's weights, loaded. */
    interface Loaded extends AutoCloseable {
        /** Embeddings of {@code texts} in their own order, (texts, hidden), pooled and normalised as the profile says. */
        float[][] embed(TokenizedTexts texts);

        @Override void close();
    }

    @Override void close();
}
