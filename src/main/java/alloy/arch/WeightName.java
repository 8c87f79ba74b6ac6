package alloy.arch;

import java.util.Locale;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a tensor name says about its place in the network, read from the name alone so that any family
 * (Llama, Qwen, Gemma, GLM, BERT, ...) merges without a per-architecture table: the first dotted segment
 * that is a plain integer is the layer index ({@code model.layers.7.mlp.up_proj.weight},
 * {@code encoder.layer.7.output.dense.bias}, {@code transformer.h.7.attn.c_attn.weight}); what precedes it
 * is the layer container; what follows is the module inside the layer.
 */
public record WeightName(String name, String container, OptionalInt layer, String module, Role role) {

    /** The role decides whether vocabulary rows may be truncated and which t a gradient takes outside layers. */
    public enum Role { EMBEDDING, LM_HEAD, LAYER, OTHER }

    private static final Pattern INDEX = Pattern.compile("(?:^|\\.)(\\d+)(?:\\.|$)");

    public static WeightName parse(String name) {
        Matcher m = INDEX.matcher(name);
        if (m.find()) {
            String container = name.substring(0, m.start(1)).replaceAll("\\.$", "");
            String module = m.end(1) < name.length() ? name.substring(m.end(1) + 1) : "";
            return new WeightName(name, container, OptionalInt.of(Integer.parseInt(m.group(1))), module, Role.LAYER);
        }
        return new WeightName(name, "", OptionalInt.empty(), name, roleOf(name));
    }

    private static Role roleOf(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        // Input embeddings: Llama/Mistral/Qwen embed_tokens, BERT word_embeddings, GPT-2 wte, GPT-NeoX embed_in,
        // T5's shared.weight (the one table its encoder and decoder both read).
        if (n.contains("embed_tokens") || n.contains("word_embeddings") || n.matches("(.*\\.)?wte\\.weight")
                || n.contains("embed_in") || n.contains("tok_embeddings") || n.equals("shared.weight")) {
            return Role.EMBEDDING;
        }
        // Output projections onto the vocabulary: lm_head, GPT-NeoX embed_out, Llama-original output.weight.
        if (n.startsWith("lm_head") || n.contains(".lm_head") || n.contains("embed_out") || n.equals("output.weight")) {
            return Role.LM_HEAD;
        }
        return Role.OTHER;
    }

    /** Embedding and LM-head matrices: rows are vocabulary entries. */
    public boolean isVocabulary() { return role == Role.EMBEDDING || role == Role.LM_HEAD; }

    /** The same tensor name with the layer index replaced (layer-stacking merges renumber layers). */
    public String withLayer(int index) {
        if (layer.isEmpty()) return name;
        return (container.isEmpty() ? "" : container + ".") + index + (module.isEmpty() ? "" : "." + module);
    }
}
