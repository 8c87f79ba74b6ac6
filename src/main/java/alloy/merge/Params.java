package alloy.merge;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/** Parameter values already resolved for one tensor (gradients interpolated, filters applied, defaults filled). */
public record Params(Map<String, Double> values) {

    public static final Params EMPTY = new Params(Map.of());

    public Params {
        values = Collections.unmodifiableMap(new TreeMap<>(values));
    }

    public double get(String name) {
        Double v = values.get(name);
        if (v == null) throw new IllegalArgumentException("parameter '" + name + "' has no value (known: " + values.keySet() + ")");
        return v;
    }

    public double get(String name, double fallback) { return values.getOrDefault(name, fallback); }

    public boolean flag(String name) { return get(name) != 0.0; }

    public boolean has(String name) { return values.containsKey(name); }
}
