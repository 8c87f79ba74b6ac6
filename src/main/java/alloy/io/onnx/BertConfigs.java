package alloy.io.onnx;

import alloy.io.TensorInfo;
import alloy.io.onnx.OnnxModel.Node;
import alloy.tensor.DType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A BertConfig-style config.json for an ONNX BERT encoder that came without one. Sizes come from tensor
 * shapes; what shapes cannot tell is read from the graph: the head count from the attention score scale
 * (scores are divided by sqrt(head_dim)) or from the (heads, head_dim) constants the query is reshaped with,
 * layer_norm_eps from the constant added to the variance (or a LayerNormalization's epsilon), hidden_act
 * from the ops (Erf is exact GELU). Remaining fields take BertConfig's defaults.
 */
final class BertConfigs {

    static final ObjectMapper JSON = new ObjectMapper();

    private static final Pattern LAYER = Pattern.compile("^encoder\\.layer\\.(\\d+)\\.");

    private BertConfigs() {}

    /** Empty when the tensors are not those of a BERT encoder (no word embeddings under Hugging Face names). */
    static Optional<ObjectNode> derive(OnnxModel m, Map<String, TensorInfo> tensors) {
        TensorInfo words = tensors.get("embeddings.word_embeddings.weight");
        if (words == null || words.shape().rank() != 2) return Optional.empty();
        long vocab = words.shape().dim(0), hidden = words.shape().dim(1);
        int layers = 0;
        for (String name : tensors.keySet()) {
            Matcher x = LAYER.matcher(name);
            if (x.find()) layers = Math.max(layers, Integer.parseInt(x.group(1)) + 1);
        }
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add("BertModel");
        c.put("model_type", "bert");
        c.put("vocab_size", vocab);
        c.put("hidden_size", hidden);
        c.put("num_hidden_layers", layers);
        OptionalInt heads = heads(m, hidden);
        // Without a head count the config would silently take BertConfig's default of 12: leave it out instead.
        if (heads.isPresent()) c.put("num_attention_heads", heads.getAsInt());
        dim(tensors, "encoder.layer.0.intermediate.dense.weight", 0).ifPresent(v -> c.put("intermediate_size", v));
        hiddenAct(m).ifPresent(a -> c.put("hidden_act", a));
        c.put("hidden_dropout_prob", 0.1);
        c.put("attention_probs_dropout_prob", 0.1);
        dim(tensors, "embeddings.position_embeddings.weight", 0).ifPresent(v -> c.put("max_position_embeddings", v));
        dim(tensors, "embeddings.token_type_embeddings.weight", 0).ifPresent(v -> c.put("type_vocab_size", v));
        c.put("initializer_range", 0.02);
        c.put("layer_norm_eps", layerNormEps(m).orElse(1e-12));
        c.put("pad_token_id", 0);
        c.put("position_embedding_type", "absolute");
        c.put("torch_dtype", words.dtype() == DType.F32 ? "float32" : words.dtype().torchName());
        return Optional.of(c);
    }

    private static Optional<Long> dim(Map<String, TensorInfo> tensors, String name, int axis) {
        TensorInfo t = tensors.get(name);
        return t == null || t.shape().rank() <= axis ? Optional.empty() : Optional.of(t.shape().dim(axis));
    }

    static OptionalInt heads(OnnxModel m, long hidden) {
        Map<String, Node> producers = producers(m);
        // 1. scores / sqrt(head_dim): a Div of a MatMul of two computed tensors by a scalar constant.
        for (Node n : m.nodes()) {
            if (!n.opType().equals("Div") || n.inputs().size() != 2) continue;
            Node mm = producers.get(n.inputs().get(0));
            if (mm == null || !mm.opType().equals("MatMul") || mm.inputs().stream().anyMatch(m.initializers()::containsKey)) continue;
            OptionalDouble s = constant(m, producers, n.inputs().get(1));
            if (s.isEmpty()) continue;
            double d2 = s.getAsDouble() * s.getAsDouble();
            long headDim = Math.round(d2);
            if (headDim > 0 && Math.abs(d2 - headDim) < 1e-3 * headDim && hidden % headDim == 0) return OptionalInt.of((int) (hidden / headDim));
        }
        // 2. Reshape to (batch, seq, heads, head_dim): a Concat ending in two constants whose product is hidden.
        for (Node n : m.nodes()) {
            if (!n.opType().equals("Concat") || n.inputs().size() < 2) continue;
            int k = n.inputs().size();
            OptionalDouble a = constant(m, producers, n.inputs().get(k - 2)), b = constant(m, producers, n.inputs().get(k - 1));
            if (a.isPresent() && b.isPresent() && a.getAsDouble() > 1 && b.getAsDouble() > 1
                    && (long) a.getAsDouble() * (long) b.getAsDouble() == hidden) {
                return OptionalInt.of((int) a.getAsDouble());
            }
        }
        return OptionalInt.empty();
    }

    static OptionalDouble layerNormEps(OnnxModel m) {
        Map<String, Node> producers = producers(m);
        for (Node n : m.nodes()) {
            if (n.opType().equals("LayerNormalization")) {
                return OptionalDouble.of(n.attribute("epsilon").flatMap(a -> a.f().isPresent() ? Optional.of(a.f().getAsDouble()) : Optional.empty())
                        .map(BertConfigs::tidy).orElse(1e-5)); // the operator's documented default
            }
            // Decomposed LayerNorm: sqrt(mean((x - mu)^2) + eps).
            if (n.opType().equals("Sqrt") && n.inputs().size() == 1) {
                Node add = producers.get(n.inputs().get(0));
                if (add == null || !add.opType().equals("Add") || add.inputs().size() != 2) continue;
                for (String in : add.inputs()) {
                    OptionalDouble e = constant(m, producers, in);
                    if (e.isPresent() && e.getAsDouble() > 0 && e.getAsDouble() < 1e-2) return OptionalDouble.of(tidy(e.getAsDouble()));
                }
            }
        }
        return OptionalDouble.empty();
    }

    /** float32 constants read back as double show float noise (1e-12 becomes 9.9999999e-13); print the float's shortest form. */
    private static double tidy(double v) { return Double.parseDouble(Float.toString((float) v)); }

    static Optional<String> hiddenAct(OnnxModel m) {
        boolean erf = false, tanh = false, relu = false, gelu = false;
        for (Node n : m.nodes()) {
            switch (n.opType()) {
                case "Erf" -> erf = true;
                case "Gelu" -> gelu = true;
                case "Tanh" -> tanh |= n.name().contains("intermediate");
                case "Relu" -> relu |= n.name().contains("intermediate");
                default -> { }
            }
        }
        if (erf || gelu) return Optional.of("gelu");
        if (tanh) return Optional.of("gelu_new");
        if (relu) return Optional.of("relu");
        return Optional.empty();
    }

    private static Map<String, Node> producers(OnnxModel m) {
        Map<String, Node> p = new HashMap<>();
        for (Node n : m.nodes()) for (String o : n.outputs()) p.put(o, n);
        return p;
    }

    /** The value of a one-element constant: a Constant node's output or a one-element initializer. */
    private static OptionalDouble constant(OnnxModel m, Map<String, Node> producers, String name) {
        OnnxModel.Tensor init = m.initializers().get(name);
        if (init != null) return m.scalar(init);
        Node c = producers.get(name);
        if (c == null || !c.opType().equals("Constant")) return OptionalDouble.empty();
        var value = c.attribute("value");
        if (value.isPresent() && value.get().t().isPresent()) return m.scalar(value.get().t().get());
        var vf = c.attribute("value_float");
        if (vf.isPresent() && vf.get().f().isPresent()) return vf.get().f();
        var vi = c.attribute("value_int");
        if (vi.isPresent() && vi.get().i().isPresent()) return OptionalDouble.of(vi.get().i().get());
        return OptionalDouble.empty();
    }
}
