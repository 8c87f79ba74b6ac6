package alloy.merge;

import java.util.Objects;
import java.util.Optional;

/**
 * One parameter a merge method reads, with mergekit's name and default. {@code defaultValue} null means
 * the recipe must give it. Booleans (normalize, rescale, int8_mask) are carried as 1/0. Every value must be
 * finite and lie in [{@code min}, {@code max}]; the planner checks each value a recipe writes against this
 * before any weight is read.
 */
public record ParamSpec(String name, Kind kind, Double defaultValue, double min, double max) {

    public enum Kind { NUMBER, FLAG }

    public ParamSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind of " + name);
        if (!(min <= max)) throw new IllegalArgumentException("parameter '" + name + "': empty range [" + min + ", " + max + "]");
    }

    public ParamSpec(String name, Kind kind, Double defaultValue) {
        this(name, kind, defaultValue, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY);
    }

    public static ParamSpec number(String name, Double defaultValue) { return new ParamSpec(name, Kind.NUMBER, defaultValue); }

    public static ParamSpec required(String name) { return new ParamSpec(name, Kind.NUMBER, null); }

    public static ParamSpec flag(String name, boolean defaultValue) { return new ParamSpec(name, Kind.FLAG, defaultValue ? 1.0 : 0.0); }

    /** The same parameter, its values limited to [min, max] (either end may be infinite). */
    public ParamSpec within(double min, double max) { return new ParamSpec(name, kind, defaultValue, min, max); }

    public boolean isRequired() { return defaultValue == null; }

    /** What is wrong with {@code value} for this parameter ("must lie in [0, 1], got 1.5"); empty when nothing is. */
    public Optional<String> problem(double value) {
        if (!Double.isFinite(value)) return Optional.of("must be a finite number, got " + value);
        if (value < min || value > max) {
            String range = max == Double.POSITIVE_INFINITY ? ">= " + fmt(min) : min == Double.NEGATIVE_INFINITY ? "<= " + fmt(max)
                    : "lie in [" + fmt(min) + ", " + fmt(max) + "]";
            return Optional.of("must " + (range.startsWith("lie") ? "" : "be ") + range + ", got " + value);
        }
        return Optional.empty();
    }

    private static String fmt(double v) { return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v); }
}
