package alloy.io.onnx;

import java.util.Objects;
import java.util.Optional;

/**
 * How one ONNX initializer was read: the Hugging Face name it is exposed under (none for initializers
 * that are not weights: shape constants, integer buffers such as position_ids), the rule that gave the
 * name, and whether the stored matrix is transposed relative to the Hugging Face layout.
 */
public record NameMapping(String onnxName, Optional<String> hfName, Rule rule, boolean transposed) {

    public enum Rule {
        /** The initializer already carries a Hugging Face name (biases, LayerNorms, embeddings). */
        OWN_NAME("own name"),
        /** A Linear weight named after the bias its MatMul/Gemm output is added to: {@code X.bias} gives {@code X.weight}. */
        BIAS_ADD("bias added to its product"),
        /** A Linear weight without a named bias, named from its node's path: {@code /a/b/MatMul} gives {@code a.b.weight}. */
        NODE_NAME("name of its MatMul/Gemm node"),
        /** Kept byte for byte when writing, never merged. */
        NOT_A_WEIGHT("not a weight");

        private final String description;

        Rule(String description) { this.description = description; }

        public String description() { return description; }
    }

    public NameMapping {
        Objects.requireNonNull(onnxName, "onnxName");
        Objects.requireNonNull(hfName, "hfName of " + onnxName);
        Objects.requireNonNull(rule, "rule of " + onnxName);
        if (hfName.isPresent() == (rule == Rule.NOT_A_WEIGHT)) {
            throw new IllegalArgumentException("initializer '" + onnxName + "': rule " + rule + " and name " + hfName + " disagree");
        }
        if (transposed && rule != Rule.BIAS_ADD && rule != Rule.NODE_NAME) {
            throw new IllegalArgumentException("initializer '" + onnxName + "': only Linear weights are transposed");
        }
    }

    public boolean exposed() { return hfName.isPresent(); }

    /** One line for {@code alloy inspect}: {@code onnx::MatMul_1525 -> encoder.layer.0.attention.self.query.weight (bias added to its product, transposed)}. */
    public String describe() {
        return onnxName + " -> " + hfName.orElse("(kept, " + rule.description() + ")")
                + (exposed() && rule != Rule.OWN_NAME ? " (" + rule.description() + (transposed ? ", transposed" : "") + ")" : "");
    }
}
