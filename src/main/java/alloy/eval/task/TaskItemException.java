package alloy.eval.task;

/**
 * An item refused at construction, naming the offending key; {@link ProxyTasks} turns it into a
 * {@link TaskFormatException} with the file and line.
 */
public final class TaskItemException extends IllegalArgumentException {

    private final String key;
    private final String problem;

    public TaskItemException(String key, String problem) {
        super("key \"" + key + "\": " + problem);
        this.key = key;
        this.problem = problem;
    }

    /** The JSON key at fault. */
    public String key() { return key; }

    /** What is wrong with it, without the key. */
    public String problem() { return problem; }
}
