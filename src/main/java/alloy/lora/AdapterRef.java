package alloy.lora;

import java.util.Objects;

/**
 * What a user writes for an adapter on the command line: {@code PATH} or {@code PATH:WEIGHT} (weight 1 when
 * absent). The text after the last colon is a weight only when it parses as a number, so paths with colons
 * still work.
 */
public record AdapterRef(String path, double weight) {

    public AdapterRef {
        Objects.requireNonNull(path, "path");
        if (path.isBlank()) throw new IllegalArgumentException("empty adapter path");
        if (!Double.isFinite(weight)) throw new IllegalArgumentException("adapter '" + path + "': weight must be finite, got " + weight);
    }

    public static AdapterRef parse(String spec) {
        int colon = spec.lastIndexOf(':');
        if (colon > 0 && colon < spec.length() - 1) {
            String tail = spec.substring(colon + 1).trim();
            try {
                return new AdapterRef(spec.substring(0, colon), Double.parseDouble(tail));
            } catch (NumberFormatException notAWeight) {
                // a colon inside the path
            }
        }
        return new AdapterRef(spec, 1.0);
    }
}
