package alloy.eval.task;

/** A query and the one passage that answers it; the other passages of the split are its distractors. */
public record RetrievalItem(String id, String query, String passage) implements TaskItem {
    public RetrievalItem {
        TaskItem.checkId(id);
        TaskItem.checkText("query", query);
        TaskItem.checkText("passage", passage);
    }

    @Override public String content() { return query; }
}
