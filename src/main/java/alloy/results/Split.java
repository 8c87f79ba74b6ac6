package alloy.results;

import java.util.Arrays;
import java.util.Locale;

/**
 * The split a score was measured on. Proxy sets have {@link #SEARCH} and {@link #HELDOUT}; a search that keeps
 * a third slice to stop or choose on records it as {@link #VALIDATION}. Only held-out scores were not chosen
 * on, so only they are fit to report; leaderboards rank on them unless told otherwise.
 *
 * <p>Separate from {@code alloy.eval.task.Split} on purpose: results are read by code (the report) that must
 * not depend on the evaluation code. {@link #parse} takes that enum's {@code key()}.
 */
public enum Split {
    SEARCH, VALIDATION, HELDOUT;

    public String id() { return name().toLowerCase(Locale.ROOT); }

    public static Split parse(String id) {
        for (Split s : values()) if (s.id().equals(id)) return s;
        throw new IllegalArgumentException("unknown split \"" + id + "\"; expected one of "
                + Arrays.stream(values()).map(Split::id).toList());
    }

    @Override public String toString() { return id(); }
}
