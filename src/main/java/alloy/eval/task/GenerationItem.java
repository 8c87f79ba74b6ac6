package alloy.eval.task;

/** A prompt that ends where the answer starts, and the answer greedy decoding must produce. */
public record GenerationItem(String id, String prompt, String answer) implements TaskItem {
    public GenerationItem {
        TaskItem.checkId(id);
        TaskItem.checkText("prompt", prompt);
        TaskItem.checkText("answer", answer);
    }

    @Override public String content() { return prompt; }
}
