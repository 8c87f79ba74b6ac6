package alloy.results;

import java.util.Locale;

/** What a greedy soup did with one model: the first ingredient, or a model it kept or left out. */
public enum Decision {
    START, ACCEPT, REJECT;

    public String id() { return name().toLowerCase(Locale.ROOT); }

    public static Decision parse(String id) {
        for (Decision d : values()) if (d.id().equals(id)) return d;
        throw new IllegalArgumentException("unknown soup decision \"" + id + "\"; expected start, accept or reject");
    }

    @Override public String toString() { return id(); }
}
