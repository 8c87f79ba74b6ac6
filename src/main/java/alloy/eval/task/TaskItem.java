package alloy.eval.task;

/**
 * One line of a proxy split. Each kind has its own record, checked when built; the loader adds the file
 * and line to any complaint.
 */
public sealed interface TaskItem permits RetrievalItem, PairItem, ChoiceItem, GenerationItem, TextItem {

    /** Unique within the whole set (every split), so that per-item results can be joined across runs. */
    String id();

    /** The text that identifies the item's content, used to keep the splits apart. */
    String content();

    /**
     * The item's domain (programming, medicine...), one of those its set's manifest declares; empty for kinds
     * without domains and for sets that declare none.
     */
    default String domain() { return ""; }

    /**
     * An id is a plain token: no surrounding space (it would make "x" and "x " two items) and not blank.
     */
    static String checkId(String id) {
        if (id == null) throw new TaskItemException("id", "missing");
        if (id.isBlank()) throw new TaskItemException("id", "blank");
        if (!id.strip().equals(id)) throw new TaskItemException("id", "\"" + id + "\" has surrounding whitespace");
        return id;
    }

    /** A domain: empty (none) or lowercase letters, digits and single dashes, like a set's name. */
    static String checkDomain(String domain) {
        if (domain == null) throw new TaskItemException("domain", "missing (use \"\" for none)");
        if (!domain.isEmpty() && !domain.matches("[a-z0-9]+(-[a-z0-9]+)*")) {
            throw new TaskItemException("domain", "\"" + domain + "\" must be lowercase letters, digits and single dashes");
        }
        return domain;
    }

    /** A required text field: present and not blank. */
    static String checkText(String key, String value) {
        if (value == null) throw new TaskItemException(key, "missing");
        if (value.isBlank()) throw new TaskItemException(key, "blank");
        return value;
    }
}
