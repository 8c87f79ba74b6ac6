package alloy.recipe;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.stream.Collectors;
import java.util.stream.DoubleStream;
import java.util.LinkedHashMap;

/**
 * A parameter value as a mergekit recipe writes it: a number (booleans as 1/0), a gradient list
 * interpolated across layer depth, or a list of {@code {filter, value}} conditions where the first entry
 * whose filter is a substring of the tensor name applies (no filter, or "*", matches everything).
 */
public sealed interface ParameterSetting {

    /** The value for tensor {@code tensorName} at depth {@code t} in [0, 1], or empty when no condition matches. */
    OptionalDouble evaluate(String tensorName, double t);

    /** The YAML-ready value (Double, List of Double, or List of Map). */
    Object toYaml();

    /**
     * Every number written: the scalar, the gradient's anchors, each condition's values. Any value
     * {@link #evaluate} returns lies between the smallest and largest of them (gradients interpolate).
     */
    DoubleStream written();

    record Scalar(double value) implements ParameterSetting {
        @Override public OptionalDouble evaluate(String tensorName, double t) { return OptionalDouble.of(value); }
        @Override public Object toYaml() { return value; }
        @Override public DoubleStream written() { return DoubleStream.of(value); }
        @Override public String toString() { return Double.toString(value); }
    }

    /**
     * Anchors spread evenly over t in [0, 1], linear in between: with n anchors, t maps to position
     * t * (n - 1), as mergekit's evaluate_setting does.
     */
    record Gradient(double[] anchors) implements ParameterSetting {
        public Gradient {
            if (anchors.length == 0) throw new IllegalArgumentException("a gradient needs at least one value");
            anchors = anchors.clone();
        }

        @Override public double[] anchors() { return anchors.clone(); }

        @Override public OptionalDouble evaluate(String tensorName, double t) {
            double scaled = Math.max(0, Math.min(1, t)) * (anchors.length - 1);
            int i0 = (int) scaled;
            int i1 = Math.min(anchors.length - 1, i0 + 1);
            double frac = scaled - i0;
            return OptionalDouble.of((1 - frac) * anchors[i0] + frac * anchors[i1]);
        }

        @Override public Object toYaml() { return Arrays.stream(anchors).boxed().toList(); }

        @Override public DoubleStream written() { return Arrays.stream(anchors); }

        @Override public boolean equals(Object o) { return o instanceof Gradient g && Arrays.equals(anchors, g.anchors); }

        @Override public int hashCode() { return Arrays.hashCode(anchors); }

        @Override public String toString() { return Arrays.toString(anchors); }
    }

    record Condition(String filter, ParameterSetting value) {
        public Condition {
            Objects.requireNonNull(value, "value");
            if (value instanceof Filtered) throw new IllegalArgumentException("a filtered value cannot nest another filter list");
        }

        boolean matches(String tensorName) { return filter == null || filter.equals("*") || tensorName.contains(filter); }
    }

    record Filtered(List<Condition> conditions) implements ParameterSetting {
        public Filtered {
            conditions = List.copyOf(conditions);
            if (conditions.isEmpty()) throw new IllegalArgumentException("an empty list of filtered values");
        }

        @Override public OptionalDouble evaluate(String tensorName, double t) {
            for (Condition c : conditions) {
                if (c.matches(tensorName)) return c.value().evaluate(tensorName, t);
            }
            return OptionalDouble.empty();
        }

        @Override public DoubleStream written() { return conditions.stream().flatMapToDouble(c -> c.value().written()); }

        @Override public Object toYaml() {
            return conditions.stream().map(c -> {
                var m = new LinkedHashMap<String, Object>();
                if (c.filter() != null) m.put("filter", c.filter());
                m.put("value", c.value().toYaml());
                return m;
            }).collect(Collectors.toList());
        }
    }
}
