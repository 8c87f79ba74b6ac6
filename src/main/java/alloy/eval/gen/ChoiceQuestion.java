package alloy.eval.gen;

import java.util.List;

/** A multiple-choice item: the context, the candidate continuations, and the index of the right one. */
public record ChoiceQuestion(String context, List<String> choices, int gold) {
    public ChoiceQuestion {
        if (context == null) throw new IllegalArgumentException("context must not be null");
        choices = List.copyOf(choices);
        if (choices.size() < 2) throw new IllegalArgumentException("a choice item needs at least 2 choices, found " + choices.size());
        for (String c : choices) if (c.isEmpty()) throw new IllegalArgumentException("choices must not be empty: " + choices);
        if (gold < 0 || gold >= choices.size()) {
            throw new IllegalArgumentException("gold index " + gold + " outside the " + choices.size() + " choices");
        }
    }
}
