package alloy.eval.task;

/** Two sentences and a human judgement of how similar they are in meaning, 0 (unrelated) to 5 (equivalent). */
public record PairItem(String id, String a, String b, double score) implements TaskItem {

    public static final double MIN_SCORE = 0, MAX_SCORE = 5;

    public PairItem {
        TaskItem.checkId(id);
        TaskItem.checkText("a", a);
        TaskItem.checkText("b", b);
        if (!(score >= MIN_SCORE && score <= MAX_SCORE)) throw new TaskItemException("score", score + " is outside [0, 5]");
    }

    @Override public String content() { return a + "\n" + b; }
}
