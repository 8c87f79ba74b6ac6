package alloy.eval.task;

/**
 * Two sentences and a human judgement of how similar they are in meaning, 0 (unrelated) to 5 (equivalent).
 *
 * @param domain the pair's domain, one of its set's; empty when the set declares none
 */
public record PairItem(String id, String a, String b, double score, String domain) implements TaskItem {

    public static final double MIN_SCORE = 0, MAX_SCORE = 5;

    public PairItem {
        TaskItem.checkId(id);
        TaskItem.checkText("a", a);
        TaskItem.checkText("b", b);
        if (!(score >= MIN_SCORE && score <= MAX_SCORE)) throw new TaskItemException("score", score + " is outside [0, 5]");
        TaskItem.checkDomain(domain);
    }

    /** A pair without a domain. */
    public PairItem(String id, String a, String b, double score) { this(id, a, b, score, ""); }

    @Override public String content() { return a + "\n" + b; }

    /** The same pair in {@code domain}. */
    public PairItem inDomain(String domain) { return new PairItem(id, a, b, score, domain); }
}
