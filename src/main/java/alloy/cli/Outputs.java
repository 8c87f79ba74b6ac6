package alloy.cli;

import java.nio.file.Path;

/** The output a command was given, positionally (as {@code mergekit-yaml CONFIG OUT}) or with {@code -o}. */
final class Outputs {

    private Outputs() {}

    /**
     * The one output named; {@code null} only when {@code optional} (a dry run) and none was given. An empty
     * name is refused here: it would resolve to the working directory.
     */
    static Path one(Path positional, Path option, boolean optional) {
        if (positional != null && option != null && !positional.equals(option)) {
            throw new IllegalArgumentException("two outputs given: " + positional + " and -o " + option + "; name one");
        }
        Path out = positional != null ? positional : option;
        if (out == null && !optional) throw new IllegalArgumentException("no output: give OUT or -o OUT");
        if (out != null && out.toString().isBlank()) {
            throw new IllegalArgumentException("output: empty name (it would mean the working directory); name a new directory or file");
        }
        return out;
    }
}
