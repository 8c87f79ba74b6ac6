package alloy.eval.task;

import java.nio.file.Path;

/**
 * A proxy set that cannot be read, in one line naming the file, the line (for JSONL) and the key:
 * {@code proxy-tasks/skill-choice/search.jsonl:12: key "answer": 4 is outside the 4 choices}.
 */
public final class TaskFormatException extends RuntimeException {

    private final Path file;
    private final int line;
    private final String key;

    /**
     * @param line 1-based line of a JSONL file, or 0 when the problem concerns the file as a whole
     * @param key  the JSON key at fault, or null
     */
    public TaskFormatException(Path file, int line, String key, String problem) {
        super(file + (line > 0 ? ":" + line : "") + ": " + (key != null ? "key \"" + key + "\": " : "") + problem);
        this.file = file;
        this.line = line;
        this.key = key;
    }

    public Path file() { return file; }

    public int line() { return line; }

    public String key() { return key; }
}
