package alloy.tensor;

import java.util.Locale;

/**
 * Element types of checkpoint tensors. Arithmetic is defined for the floating types F64, F32, F16 and
 * BF16; every other type is copied through untouched and refused where a method would have to compute
 * with it.
 */
public enum DType {
    F64("F64", 8, true),
    F32("F32", 4, true),
    F16("F16", 2, true),
    BF16("BF16", 2, true),
    I64("I64", 8, false),
    I32("I32", 4, false),
    I16("I16", 2, false),
    I8("I8", 1, false),
    U8("U8", 1, false),
    BOOL("BOOL", 1, false),
    F8_E4M3("F8_E4M3", 1, false),
    F8_E5M2("F8_E5M2", 1, false);

    private final String safetensorsName;
    private final int byteSize;
    private final boolean arithmetic;

    DType(String safetensorsName, int byteSize, boolean arithmetic) {
        this.safetensorsName = safetensorsName;
        this.byteSize = byteSize;
        this.arithmetic = arithmetic;
    }

    public int byteSize() { return byteSize; }

    /** True where Alloy can decode the values to float and merge them. */
    public boolean arithmetic() { return arithmetic; }

    public String safetensorsName() { return safetensorsName; }

    /** The torch spelling that config.json's {@code torch_dtype} uses. */
    public String torchName() {
        return switch (this) {
            case F64 -> "float64";
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
            case I64 -> "int64";
            case I32 -> "int32";
            case I16 -> "int16";
            case I8 -> "int8";
            case U8 -> "uint8";
            case BOOL -> "bool";
            case F8_E4M3 -> "float8_e4m3fn";
            case F8_E5M2 -> "float8_e5m2";
        };
    }

    public static DType fromSafetensors(String name) {
        for (DType t : values()) {
            if (t.safetensorsName.equals(name)) return t;
        }
        throw new IllegalArgumentException("unknown safetensors dtype '" + name + "'");
    }

    /** Parses a recipe's {@code dtype}/{@code out_dtype}: torch names (float16, bfloat16, ...) or safetensors names. */
    public static DType fromRecipe(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        return switch (n) {
            case "float32", "fp32", "f32", "float" -> F32;
            case "float16", "fp16", "f16", "half" -> F16;
            case "bfloat16", "bf16" -> BF16;
            case "float64", "fp64", "f64", "double" -> F64;
            default -> throw new IllegalArgumentException(
                    "unknown dtype '" + name + "' (expected float32, float16, bfloat16 or float64)");
        };
    }
}
