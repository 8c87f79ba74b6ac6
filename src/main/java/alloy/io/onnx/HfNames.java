package alloy.io.onnx;

import alloy.io.CheckpointException;
import alloy.io.onnx.OnnxModel.Node;
import alloy.io.onnx.OnnxModel.Tensor;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Gives ONNX initializers their Hugging Face names. torch.onnx.export keeps the module path for
 * parameters that are used as they are (biases, LayerNorm, embeddings) but folds each Linear's
 * {@code x @ W.T} into a MatMul with a new constant {@code onnx::MatMul_NNNN} holding W.T ([in, out]).
 * That constant's name is recovered from the graph: the MatMul's output is added to {@code X.bias}, so the
 * weight is {@code X.weight}; without a named bias the node's own path ({@code /X/MatMul}) is used. Gemm
 * nodes (other exporters) name their weight from their bias input, and are transposed only when transB = 0.
 */
final class HfNames {

    private static final Pattern NODE_PATH = Pattern.compile("^/?(.+)/(?:MatMul|Gemm)(?:_\\d+)?$");

    private HfNames() {}

    /** One mapping per initializer, in file order. */
    static List<NameMapping> map(OnnxModel m) {
        Map<String, Tensor> inits = m.initializers();
        Map<String, List<Node>> consumers = new HashMap<>();
        for (Node n : m.nodes()) {
            for (String in : n.inputs()) consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
        }
        Map<String, NameMapping> linear = new LinkedHashMap<>();
        for (Node n : m.nodes()) {
            boolean matmul = n.opType().equals("MatMul") && n.inputs().size() == 2;
            boolean gemm = n.opType().equals("Gemm") && n.inputs().size() >= 2;
            if (!matmul && !gemm) continue;
            Tensor w = inits.get(n.inputs().get(1));
            // x @ W with W a float matrix initializer and x computed: a Linear layer.
            if (w == null || !w.isFloat() || w.dims().length != 2 || inits.containsKey(n.inputs().get(0))) continue;
            if (gemm && n.attribute("transA").flatMap(OnnxModel.Attribute::i).orElse(0L) != 0) continue;
            boolean transposed = !gemm || n.attribute("transB").flatMap(OnnxModel.Attribute::i).orElse(0L) == 0;
            long outFeatures = transposed ? w.dims()[1] : w.dims()[0];
            Optional<String> fromBias = gemm
                    ? (n.inputs().size() > 2 ? biasPrefix(inits.get(n.inputs().get(2)), outFeatures) : Optional.empty())
                    : n.outputs().isEmpty() ? Optional.empty() : addedBias(n.outputs().get(0), consumers, inits, outFeatures);
            NameMapping mapping;
            if (fromBias.isPresent()) {
                mapping = new NameMapping(w.name(), Optional.of(fromBias.get() + ".weight"), NameMapping.Rule.BIAS_ADD, transposed);
            } else {
                Matcher p = NODE_PATH.matcher(n.name());
                if (!p.matches()) continue;
                mapping = new NameMapping(w.name(), Optional.of(p.group(1).replace('/', '.') + ".weight"), NameMapping.Rule.NODE_NAME, transposed);
            }
            NameMapping before = linear.putIfAbsent(w.name(), mapping);
            if (before != null && !before.hfName().equals(mapping.hfName())) {
                throw new CheckpointException(m.file() + ": initializer '" + w.name() + "' feeds two Linear layers, read as '"
                        + before.hfName().get() + "' and '" + mapping.hfName().get() + "'");
            }
        }
        List<NameMapping> out = new ArrayList<>();
        Map<String, String> taken = new HashMap<>();
        for (Tensor t : inits.values()) {
            NameMapping nm = linear.get(t.name());
            if (nm == null) {
                nm = isWeight(t) ? new NameMapping(t.name(), Optional.of(t.name()), NameMapping.Rule.OWN_NAME, false)
                        : new NameMapping(t.name(), Optional.empty(), NameMapping.Rule.NOT_A_WEIGHT, false);
            }
            if (nm.exposed()) {
                String other = taken.putIfAbsent(nm.hfName().get(), t.name());
                if (other != null) {
                    throw new CheckpointException(m.file() + ": initializers '" + other + "' and '" + t.name()
                            + "' would both be read as '" + nm.hfName().get() + "'");
                }
            }
            out.add(nm);
        }
        return List.copyOf(out);
    }

    /** The module path X when {@code output} is consumed by an Add whose other input is the initializer X.bias of length {@code out}. */
    private static Optional<String> addedBias(String output, Map<String, List<Node>> consumers, Map<String, Tensor> inits, long out) {
        for (Node c : consumers.getOrDefault(output, List.of())) {
            if (!c.opType().equals("Add") || c.inputs().size() != 2) continue;
            String other = c.inputs().get(0).equals(output) ? c.inputs().get(1) : c.inputs().get(0);
            Optional<String> p = biasPrefix(inits.get(other), out);
            if (p.isPresent()) return p;
        }
        return Optional.empty();
    }

    private static Optional<String> biasPrefix(Tensor bias, long out) {
        if (bias == null || !bias.isFloat() || bias.dims().length != 1 || bias.dims()[0] != out) return Optional.empty();
        String n = bias.name();
        return n.endsWith(".bias") && n.length() > 5 ? Optional.of(n.substring(0, n.length() - 5)) : Optional.empty();
    }

    /**
     * Float tensors with a name a person gave them. Exporter-generated names ({@code onnx::Mul_12},
     * {@code /encoder/Constant_output_0}) are folded constants, and integer tensors are buffers or shapes.
     */
    private static boolean isWeight(Tensor t) {
        return t.isFloat() && t.dims().length >= 1 && !t.name().startsWith("onnx::") && !t.name().contains("/") && !t.name().isEmpty();
    }
}
