package alloy.eval.task;

/**
 * One line of a proxy split. Each kind has its own record, checked when built; the loader adds the file
 * and line to any complaint.
 */
public sealed interface TaskItem permits RetrievalItem, PairItem, ChoiceItem, GenerationItem, TextItem {

    /** Unique within the whole set (both splits), so that per-item results can be joined across runs. */
    String id();

    /** The text that identifies the item's content, used to keep the two splits apart. */
    String content();

    /**
     * An id is a plain token: no surrounding space (it would make "x" and "x " two items) and not blank.
     */
    static String checkId(String id) {
        if (id == null) throw new TaskItemException("id", "missing");
        if (id.isBlank()) throw new TaskItemException("id", "blank");
        if (!id.strip().equals(id)) throw new TaskItemException("id", "\"" + id + "\" has surrounding whitespace");
        return id;
    }

    /** A required text field: present and not blank. */
    static String checkText(String key, String value) {
        if (value == null) throw new TaskItemException(key, "missing");
        if (value.isBlank()) throw new TaskItemException(key, "blank");
        return value;
    }
}
