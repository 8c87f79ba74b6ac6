package alloy.search;

import alloy.recipe.Recipe;
import alloy.recipe.RecipeYaml;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Something to score: a model as it is on disk, or a recipe to merge in memory. Eval, sweeps, searches and
 * soups all hand their candidates to {@link CandidateScorer} in this form.
 */
public sealed interface Candidate permits Candidate.Model, Candidate.Merge {

    /** How the candidate is named in output and errors. */
    String label();

    /** A checkpoint as the user named it: a path, a Maven coordinate or a Hugging Face cache name. */
    record Model(String ref, Path relativeTo) implements Candidate {
        public Model {
            Objects.requireNonNull(ref, "model reference");
            if (ref.isBlank()) throw new IllegalArgumentException("empty model reference");
        }

        @Override public String label() { return ref; }
    }

    /** A recipe merged in memory, never written. */
    record Merge(String label, Recipe recipe) implements Candidate {
        public Merge {
            Objects.requireNonNull(label, "label");
            Objects.requireNonNull(recipe, "recipe of " + label);
        }
    }

    /** A command-line argument: a {@code .yaml}/{@code .yml} file is a recipe, anything else a model. */
    static Candidate parse(String arg) {
        if (arg.endsWith(".yaml") || arg.endsWith(".yml")) return new Merge(arg, RecipeYaml.read(Path.of(arg)));
        return new Model(arg, Path.of("").toAbsolutePath());
    }
}
