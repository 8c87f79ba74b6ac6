package alloy.eval.task;

/**
 * The parts of a proxy set. Merge ratios and searches are tuned on {@link #SEARCH}; decisions a search makes
 * about its own candidates (which ingredient a greedy soup keeps, when to stop early, which elites to re-score)
 * are taken on {@link #VALIDATION}, so that they do not reward what the search split happens to favour; a
 * winner is reported on {@link #HELDOUT}, which nothing was chosen on, so that its score is not inflated by the
 * choosing.
 *
 * <p>Every set has a search and a held-out split; the validation split is optional, so that two-split sets
 * stay valid.
 */
public enum Split {
    SEARCH("search"),
    VALIDATION("validation"),
    HELDOUT("heldout");

    private final String key;

    Split(String key) { this.key = key; }

    /** The name in manifests ({@code "splits": {"search": ..., "heldout": ...}}) and on the command line. */
    public String key() { return key; }

    /** Whether every set must have this split (search and heldout); validation is optional. */
    public boolean required() { return this != VALIDATION; }

    /** The split named {@code key}, with the valid names in the error. */
    public static Split parse(String key) {
        for (Split s : values()) if (s.key.equals(key)) return s;
        throw new IllegalArgumentException("unknown split \"" + key + "\"; expected search, validation or heldout");
    }

    @Override public String toString() { return key; }
}
