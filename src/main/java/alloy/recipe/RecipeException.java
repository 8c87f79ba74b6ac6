package alloy.recipe;

/** A recipe that cannot be run; the message names the recipe file and the YAML key. */
public class RecipeException extends RuntimeException {
    public RecipeException(String message) { super(message); }
    public RecipeException(String message, Throwable cause) { super(message, cause); }
}
