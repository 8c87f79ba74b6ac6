package alloy.eval.task;

/**
 * How a split's per-item values are averaged into its score. {@link #ITEMS}: every item counts once (the plain
 * mean). {@link #DOMAINS}: every domain counts once, the mean of the per-domain means, so that the domain with
 * the most items does not decide the score (for a pairs set, the mean of the per-domain Spearman correlations).
 * On a split with as many items in every domain the two agree on the mean.
 */
public enum Weighting {
    ITEMS("items"),
    DOMAINS("domains");

    private final String key;

    Weighting(String key) { this.key = key; }

    /** The {@code "weighting"} value in a manifest and on the command line. */
    public String key() { return key; }

    public static Weighting parse(String key) {
        for (Weighting w : values()) if (w.key.equals(key)) return w;
        throw new IllegalArgumentException("unknown weighting \"" + key + "\"; expected items or domains");
    }

    @Override public String toString() { return key; }
}
