package alloy.eval.task;

import java.util.HashSet;
import java.util.List;

/** A context, the continuations to choose from, and the index of the right one. */
public record ChoiceItem(String id, String context, List<String> choices, int answer) implements TaskItem {
    public ChoiceItem {
        TaskItem.checkId(id);
        TaskItem.checkText("context", context);
        if (choices == null) throw new TaskItemException("choices", "missing");
        if (choices.size() < 2) throw new TaskItemException("choices", "needs at least 2 choices, found " + choices.size());
        for (int i = 0; i < choices.size(); i++) {
            String c = choices.get(i);
            if (c == null || c.isEmpty()) throw new TaskItemException("choices", "choice " + i + " is empty");
        }
        // Two equal choices would make the answer index ambiguous: one is right and the same text is wrong.
        if (new HashSet<>(choices).size() != choices.size()) throw new TaskItemException("choices", "repeated choice in " + choices);
        choices = List.copyOf(choices);
        if (answer < 0 || answer >= choices.size()) {
            throw new TaskItemException("answer", answer + " is outside the " + choices.size() + " choices (0.." + (choices.size() - 1) + ")");
        }
    }

    /** The right continuation. */
    public String correct() { return choices.get(answer); }

    @Override public String content() { return context; }
}
