package alloy.lora;

import java.util.Locale;

/** PEFT's majority_sign_method (merge_utils.calculate_majority_sign_mask): how TIES elects the sign of each entry. */
public enum MajoritySign {
    /** Sign of the sum of the (pruned, unweighted) tensors. PEFT's default. */
    TOTAL,
    /** Sign of the sum of their signs: each adapter one vote. */
    FREQUENCY;

    public static MajoritySign parse(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "total" -> TOTAL;
            case "frequency" -> FREQUENCY;
            default -> throw new IllegalArgumentException("unknown majority sign method '" + s + "' (expected total or frequency)");
        };
    }
}
