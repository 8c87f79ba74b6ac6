package alloy.eval.task;

/**
 * The two halves of every proxy set. Merge ratios and searches are tuned on {@link #SEARCH}; a winner is
 * reported on {@link #HELDOUT}, which nothing was chosen on, so that its score is not inflated by the
 * choosing.
 */
public enum Split {
    SEARCH("search"),
    HELDOUT("heldout");

    private final String key;

    Split(String key) { this.key = key; }

    /** The name in manifests ({@code "splits": {"search": ..., "heldout": ...}}) and on the command line. */
    public String key() { return key; }

    /** The split named {@code key}, with the valid names in the error. */
    public static Split parse(String key) {
        for (Split s : values()) if (s.key.equals(key)) return s;
        throw new IllegalArgumentException("unknown split \"" + key + "\"; expected search or heldout");
    }

    @Override public String toString() { return key; }
}
