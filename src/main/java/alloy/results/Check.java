package alloy.results;

import java.util.Objects;

/** Constructor checks shared by the records of this package; each message names the record and the field. */
final class Check {
    private Check() {}

    static String nonBlank(String what, String field, String value) {
        Objects.requireNonNull(value, what + ": " + field + " is null");
        if (value.isBlank()) throw new IllegalArgumentException(what + ": " + field + " is blank");
        return value;
    }

    static String notNull(String what, String field, String value) {
        return Objects.requireNonNull(value, what + ": " + field + " is null (use \"\" for none)");
    }

    /** A number, or NaN for "undefined" (an undefined statistic, a time not measured); never infinite. */
    static double finiteOrNaN(String what, String field, double v) {
        if (Double.isInfinite(v)) throw new IllegalArgumentException(what + ": " + field + " is " + v);
        return v;
    }

    static double finite(String what, String field, double v) {
        if (!Double.isFinite(v)) throw new IllegalArgumentException(what + ": " + field + " must be a finite number, got " + v);
        return v;
    }

    static int nonNegative(String what, String field, int v) {
        if (v < 0) throw new IllegalArgumentException(what + ": " + field + " must be >= 0, got " + v);
        return v;
    }
}
