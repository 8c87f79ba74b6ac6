package alloy.lora;

import alloy.io.TensorInfo;
import alloy.tensor.Shape;
import java.util.Objects;

/**
 * One adapted layer of an adapter: its pair of factors and what they mean for the base weight.
 * <pre>
 *   LINEAR     A = lora_A.weight          (r, in)    B = lora_B.weight          (out, r)
 *              delta = scale · B·A        (out, in)  or its transpose (in, out) with fan_in_fan_out (Conv1D)
 *   EMBEDDING  A = lora_embedding_A       (r, vocab) B = lora_embedding_B       (dim, r)
 *              delta = scale · (B·A)^T    (vocab, dim), the layout of nn.Embedding.weight
 * </pre>
 * (PEFT: Linear.get_delta_weight and Embedding.get_delta_weight in peft/tuners/lora/layer.py.)
 *
 * @param module     the layer's name inside the base model, e.g. {@code model.layers.0.self_attn.q_proj}
 * @param a          the stored A factor (its name is the adapter's tensor name)
 * @param b          the stored B factor
 * @param alpha      lora_alpha for this module (alpha_pattern applied)
 * @param scale      alpha / r, or alpha / sqrt(r) with use_rslora
 * @param transposed delta is stored as (in, out): embeddings, and linear layers with fan_in_fan_out
 */
public record LoraModule(String module, Kind kind, TensorInfo a, TensorInfo b, double alpha, double scale, boolean transposed) {

    /** The two layer types PEFT saves LoRA factors for as plain matrices. */
    public enum Kind {
        LINEAR("lora_A.weight", "lora_B.weight"),
        EMBEDDING("lora_embedding_A", "lora_embedding_B");

        private final String aSuffix, bSuffix;

        Kind(String aSuffix, String bSuffix) {
            this.aSuffix = aSuffix;
            this.bSuffix = bSuffix;
        }

        /** The end of A's tensor name, after {@code <module>.}. */
        public String aSuffix() { return aSuffix; }

        public String bSuffix() { return bSuffix; }
    }

    public LoraModule {
        Objects.requireNonNull(module, "module");
        Objects.requireNonNull(kind, "kind of " + module);
        Objects.requireNonNull(a, "lora A of " + module);
        Objects.requireNonNull(b, "lora B of " + module);
        if (a.shape().rank() != 2 || b.shape().rank() != 2) {
            throw new IllegalArgumentException("module '" + module + "': LoRA factors must be matrices, found A " + a.shape() + ", B " + b.shape());
        }
        if (a.shape().dim(0) != b.shape().dim(1)) {
            throw new IllegalArgumentException("module '" + module + "': A " + a.shape() + " has rank " + a.shape().dim(0)
                    + " but B " + b.shape() + " has " + b.shape().dim(1) + " columns");
        }
        if (a.shape().dim(0) <= 0) throw new IllegalArgumentException("module '" + module + "': rank 0");
        if (!Double.isFinite(scale)) throw new IllegalArgumentException("module '" + module + "': scale " + scale);
        if (kind == Kind.EMBEDDING && !transposed) throw new IllegalArgumentException("module '" + module + "': an embedding delta is always transposed");
    }

    public int rank() { return Math.toIntExact(a.shape().dim(0)); }

    /** Columns of A: the layer's input features (the vocabulary size for an embedding). */
    public long inFeatures() { return a.shape().dim(1); }

    /** Rows of B: the layer's output features (the embedding width for an embedding). */
    public long outFeatures() { return b.shape().dim(0); }

    /** The shape of the base weight this delta adds to. */
    public Shape deltaShape() { return transposed ? Shape.of(inFeatures(), outFeatures()) : Shape.of(outFeatures(), inFeatures()); }

    /** The base tensor PEFT's layer wraps: {@code <module>.weight}. */
    public String baseWeightName() { return module + ".weight"; }
}
