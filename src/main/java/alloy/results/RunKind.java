package alloy.results;

import java.util.Arrays;
import java.util.Locale;

/** Which command wrote a run directory; the {@code kind} field of run.json. */
public enum RunKind {
    EVAL, SWEEP, EVOLVE, SOUP, LEARN;

    /** The name in run.json: {@code eval}, {@code sweep}, ... */
    public String id() { return name().toLowerCase(Locale.ROOT); }

    /** The kind named {@code id}, with the valid names in the error. */
    public static RunKind parse(String id) {
        for (RunKind k : values()) if (k.id().equals(id)) return k;
        throw new IllegalArgumentException("unknown run kind \"" + id + "\"; expected one of "
                + Arrays.stream(values()).map(RunKind::id).toList());
    }

    @Override public String toString() { return id(); }
}
