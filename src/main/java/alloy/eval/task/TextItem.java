package alloy.eval.task;

/** A text whose perplexity is measured. */
public record TextItem(String id, String text) implements TaskItem {
    public TextItem {
        TaskItem.checkId(id);
        TaskItem.checkText("text", text);
    }

    @Override public String content() { return text; }
}
