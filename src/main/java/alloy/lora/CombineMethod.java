package alloy.lora;

import java.util.Arrays;
import java.util.Locale;

/**
 * The {@code combination_type}s of PEFT's LoraModel.add_weighted_adapter that keep the result exact in
 * factored form (the *_svd variants, which re-factor a dense delta, are not offered).
 */
public enum CombineMethod {
    /** A = sum sign(f_i) sqrt|f_i| A_i, B = sum sqrt|f_i| B_i with f_i = w_i · scale_i; equal ranks. */
    LINEAR(false, false),
    /** A = [f_1 A_1; f_2 A_2; ...], B = [B_1 B_2 ...]: rank r_1 + r_2 + ..., and B·A = sum f_i B_i A_i exactly. */
    CAT(false, false),
    /** LINEAR's weights, each factor magnitude-pruned to density, sign elected, agreeing entries averaged. */
    TIES(true, false),
    /** LINEAR's weights, each factor randomly pruned to density and divided by density, summed. */
    DARE_LINEAR(true, true),
    /** DARE_LINEAR's pruning with TIES's election and average. */
    DARE_TIES(true, true),
    /** LINEAR's weights, each factor magnitude-pruned to density, summed. */
    MAGNITUDE_PRUNE(true, false);

    private final boolean needsDensity, random;

    CombineMethod(boolean needsDensity, boolean random) {
        this.needsDensity = needsDensity;
        this.random = random;
    }

    /** PEFT's spelling. */
    public String peftName() { return name().toLowerCase(Locale.ROOT); }

    public boolean needsDensity() { return needsDensity; }

    public boolean random() { return random; }

    /** Every method except cat needs all adapters to have one rank. */
    public boolean sameRank() { return this != CAT; }

    public static CombineMethod parse(String s) {
        for (CombineMethod m : values()) if (m.peftName().equals(s.trim().toLowerCase(Locale.ROOT))) return m;
        throw new IllegalArgumentException("unknown combination method '" + s + "' (expected one of "
                + String.join(", ", Arrays.stream(values()).map(CombineMethod::peftName).toList()) + ")");
    }
}
