package alloy.eval.task;

/**
 * A passage in a retrieval split's pool that answers none of its queries: a near miss written beside one
 * query (same topic, wrong answer) or any other distractor. A JSONL line with a {@code passage} and no
 * {@code query}.
 *
 * @param domain the passage's domain, one of its set's; empty when the set declares none
 */
public record PoolPassage(String id, String passage, String domain) {
    public PoolPassage {
        TaskItem.checkId(id);
        TaskItem.checkText("passage", passage);
        TaskItem.checkDomain(domain);
    }

    public PoolPassage inDomain(String domain) { return new PoolPassage(id, passage, domain); }
}
