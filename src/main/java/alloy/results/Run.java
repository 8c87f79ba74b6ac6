package alloy.results;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A run directory as {@link RunReader} read it. The kind-specific lists are empty when their file is absent.
 *
 * @param warnings what the reader forgave, one line each (a last row cut short by a killed run)
 */
public record Run(Path dir, RunInfo info, List<CandidateRow> candidates, List<SweepPoint> sweep, Optional<SweepFit> fit,
                  List<Generation> generations, List<Coefficient> coefficients, List<ParetoPoint> pareto,
                  List<SoupStep> soup, List<LearnStep> learning, List<LearnCheck> checks, List<String> warnings) {

    public Run {
        Objects.requireNonNull(dir, "run: dir");
        Objects.requireNonNull(info, "run " + dir + ": info");
        candidates = List.copyOf(candidates);
        sweep = List.copyOf(sweep);
        Objects.requireNonNull(fit, "run " + dir + ": fit");
        generations = List.copyOf(generations);
        coefficients = List.copyOf(coefficients);
        pareto = List.copyOf(pareto);
        soup = List.copyOf(soup);
        learning = List.copyOf(learning);
        checks = List.copyOf(checks);
        warnings = List.copyOf(warnings);
    }

    /** The directory's name, which names the run in leaderboards. */
    public String id() { return dir.getFileName() == null ? dir.toString() : dir.getFileName().toString(); }

    public RunKind kind() { return info.kind(); }

    public boolean finished() { return info.finished().isPresent(); }

    /** The recipe stored under {@code hash}, read from recipes/&lt;hash&gt;.yaml when asked. */
    public Optional<String> recipe(String hash) {
        if (!hash.matches("[0-9a-f]{" + RecipeHash.LENGTH + "}")) return Optional.empty();
        Path f = dir.resolve(Layout.RECIPES).resolve(hash + ".yaml");
        try {
            return Files.isRegularFile(f) ? Optional.of(Files.readString(f)) : Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }
}
