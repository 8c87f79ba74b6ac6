package alloy.eval.task;

/**
 * A query and the one passage that answers it; the other passages of the split (other items' passages and
 * the split's pool-only {@link PoolPassage}s) are its distractors.
 *
 * @param domain the item's domain, one of its set's; empty when the set declares none
 */
public record RetrievalItem(String id, String query, String passage, String domain) implements TaskItem {
    public RetrievalItem {
        TaskItem.checkId(id);
        TaskItem.checkText("query", query);
        TaskItem.checkText("passage", passage);
        TaskItem.checkDomain(domain);
    }

    /** An item without a domain. */
    public RetrievalItem(String id, String query, String passage) { this(id, query, passage, ""); }

    @Override public String content() { return query; }

    /** The same item in {@code domain}. */
    public RetrievalItem inDomain(String domain) { return new RetrievalItem(id, query, passage, domain); }
}
