package alloy.results;

import java.nio.file.Path;

/**
 * A results file that cannot be read as the layout says. The message is one line that starts with the place:
 * {@code results/x/candidates.csv:7: field 8 (value): "abc" is not a number}, or {@code file:line:column:} for
 * a syntax error at a character.
 */
public final class ResultsFileException extends RuntimeException {
    private final Path file;
    private final int line;

    public ResultsFileException(Path file, int line, String message) {
        super(file + (line > 0 ? ":" + line : "") + ": " + message);
        this.file = file;
        this.line = line;
    }

    public ResultsFileException(Path file, int line, int column, String message) {
        super(file + ":" + line + ":" + column + ": " + message);
        this.file = file;
        this.line = line;
    }

    public ResultsFileException(Path file, int line, String message, Throwable cause) {
        super(file + (line > 0 ? ":" + line : "") + ": " + message, cause);
        this.file = file;
        this.line = line;
    }

    public Path file() { return file; }

    /** 1-based line, 0 when the problem is with the file as a whole. */
    public int line() { return line; }
}
