package alloy.merge;

import java.util.Objects;

/**
 * One parameter a merge method reads, with mergekit's name and default. {@code defaultValue} null means
 * the recipe must give it. Booleans (normalize, rescale, int8_mask) are carried as 1/0.
 */
public record ParamSpec(String name, Kind kind, Double defaultValue) {

    public enum Kind { NUMBER, FLAG }

    public ParamSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind of " + name);
    }

    public static ParamSpec number(String name, Double defaultValue) { return new ParamSpec(name, Kind.NUMBER, defaultValue); }

    public static ParamSpec required(String name) { return new ParamSpec(name, Kind.NUMBER, null); }

    public static ParamSpec flag(String name, boolean defaultValue) { return new ParamSpec(name, Kind.FLAG, defaultValue ? 1.0 : 0.0); }

    public boolean isRequired() { return defaultValue == null; }
}
