package alloy.arch;

import alloy.io.Checkpoint;
import alloy.io.HfConfig;
import java.util.Map;
import java.util.OptionalInt;
import java.util.TreeMap;

/**
 * The layer structure of one checkpoint as read from its tensor names, checked against config.json's layer
 * count where there is one. {@code containers} maps each layer container (e.g. {@code model.layers}) to the
 * number of layers found in it; the main stack is the container with the most layers.
 */
public record LayerLayout(String mainContainer, int numLayers, Map<String, Integer> containers, OptionalInt configLayers) {

    public static LayerLayout of(Checkpoint c) {
        Map<String, Integer> counts = new TreeMap<>();
        for (var t : c.tensors()) {
            WeightName w = WeightName.parse(t.name());
            if (w.layer().isPresent()) counts.merge(w.container(), w.layer().getAsInt() + 1, Math::max);
        }
        String main = counts.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse("");
        OptionalInt cfg = c.config().map(HfConfig::numLayers).orElse(OptionalInt.empty());
        int found = counts.getOrDefault(main, 0);
        return new LayerLayout(main, cfg.isPresent() && cfg.getAsInt() == found ? cfg.getAsInt() : found, Map.copyOf(counts), cfg);
    }

    /**
     * The depth t in [0, 1] a merge gives the tensor {@code w}, at which gradient lists are read: layer i of a
     * stack of n at i / (n − 1) (a stack of one at 1), and a tensor outside any stack (embeddings, the final
     * norm, the head) at 0.
     */
    public double depth(WeightName w) {
        if (w.layer().isEmpty()) return 0;
        return depthOf(w.layer().getAsInt(), containers.getOrDefault(w.container(), 1));
    }

    /** The depth of layer {@code layer} of a stack of {@code layers}: layer / (layers − 1), a stack of one at 1. */
    public static double depthOf(int layer, int layers) {
        return layers > 1 ? layer / (double) (layers - 1) : 1;
    }

    /**
     * The layer of a stack of {@code layers} that depth {@code t} falls on, round(t · (layers − 1)): {@link #depthOf}
     * undone, and for the t = 0 of tensors outside any stack, layer 0.
     */
    public static int layerAt(double t, int layers) {
        return (int) Math.round(t * Math.max(0, layers - 1));
    }

    /** Human-readable account of how names were read, for {@code alloy inspect}. */
    public String describe() {
        StringBuilder b = new StringBuilder();
        b.append(numLayers).append(" layers in '").append(mainContainer).append(".N.*'");
        if (configLayers.isPresent()) {
            b.append(configLayers.getAsInt() == numLayers ? " (matches config.json)" : " (config.json says " + configLayers.getAsInt() + ")");
        } else {
            b.append(" (no layer count in config.json; counted from names)");
        }
        containers.forEach((k, v) -> { if (!k.equals(mainContainer)) b.append("; also '").append(k).append(".N.*' x").append(v); });
        return b.toString();
    }
}
