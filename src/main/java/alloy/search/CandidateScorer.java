package alloy.search;

import alloy.eval.Scorer;
import alloy.eval.family.Scorers;
import alloy.eval.TaskResult;
import alloy.eval.task.ProxyTask;
import alloy.eval.task.Split;
import alloy.io.Checkpoint;
import alloy.io.resolve.Checkpoints;
import alloy.io.MemoryCheckpoint;
import alloy.recipe.MergeRun;
import alloy.recipe.Recipe;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The one path from a candidate to its scores, shared by eval, sweep, evolve and soup: a recipe is merged in
 * memory over inputs opened once and shared by every candidate, loaded with the config of what was built
 * (a layer-stacking recipe has its own layer count), and scored on the splits asked for; a model is opened
 * and scored as it is. Owns the open inputs and the scorer, and closes them.
 */
public final class CandidateScorer implements AutoCloseable {

    /**
     * Opens the scorer for candidates shaped like {@code reference} ({@code name}: as the user named it,
     * from which an encoder's pooling profile may be guessed).
     */
    @FunctionalInterface
    public interface ScorerFactory {
        Scorer open(Checkpoint reference, String name);
    }

    /** One candidate's scores on one split, and how long building and scoring it took. */
    public record Scored(Candidate candidate, Split split, List<TaskResult> results, double seconds) {
        public Scored {
            Objects.requireNonNull(candidate, "candidate");
            Objects.requireNonNull(split, "split");
            results = List.copyOf(results);
        }

        /** The unweighted objective of {@link Scorer#objective}. */
        public double objective() { return Scorer.objective(results); }
    }

    private final ScorerFactory factory;
    private final MergeRun.Options options;
    /** Inputs by resolved path, so that two recipes naming one model differently share it. */
    private final Map<Path, Checkpoint> opened = new LinkedHashMap<>();
    private Scorer scorer;

    public CandidateScorer(ScorerFactory factory, MergeRun.Options options) {
        this.factory = Objects.requireNonNull(factory, "scorer factory");
        this.options = Objects.requireNonNull(options, "merge options");
    }

    /** Scores with the scorer {@link Scorers} picks for the model family, on {@code tasks}. */
    public static CandidateScorer forTasks(List<ProxyTask> tasks, Optional<String> profile, MergeRun.Options options) {
        return new CandidateScorer((ref, name) -> Scorers.open(ref, name, tasks, profile), options);
    }

    public MergeRun.Options options() { return options; }

    /** Scores {@code c} on {@code split}. */
    public Scored score(Candidate c, Split split) { return score(c, List.of(split)).get(0); }

    /** Builds {@code c} once and scores it on each of {@code splits}, in that order. */
    public synchronized List<Scored> score(Candidate c, List<Split> splits) {
        long t0 = System.nanoTime();
        return withBuilt(c, (ck, sc) -> scoreAll(c, ck, sc, splits, t0));
    }

    /** What a caller does with a built candidate and the scorer (statistics beyond the scores, say). */
    @FunctionalInterface
    public interface Use<T> {
        T apply(Checkpoint built, Scorer scorer);
    }

    /** Builds {@code c} (a recipe in memory, a model as it is), hands it to {@code use} with the scorer, and frees the build. */
    public synchronized <T> T withBuilt(Candidate c, Use<T> use) {
        return switch (c) {
            case Candidate.Model m -> {
                Checkpoint ck = input(m.ref(), m.relativeTo());
                yield use.apply(ck, scorerFor(ck, m.ref()));
            }
            case Candidate.Merge m -> {
                Recipe r = m.recipe();
                try (MergeRun run = MergeRun.prepare(r, inputsOf(r), options);
                     MemoryCheckpoint built = run.toMemory(m.label(), options, s -> {})) {
                    yield use.apply(built, scorerFor(built, r.referenceModel()));
                }
            }
        };
    }

    private Scorer scorerFor(Checkpoint ck, String name) {
        if (scorer == null) scorer = factory.open(ck, name);
        return scorer;
    }

    private List<Scored> scoreAll(Candidate c, Checkpoint ck, Scorer scorer, List<Split> splits, long t0) {
        List<Scored> out = new ArrayList<>();
        for (Split s : splits) {
            List<TaskResult> results = scorer.score(ck, s);
            double secs = (System.nanoTime() - t0) / 1e9;
            t0 = System.nanoTime();
            out.add(new Scored(c, s, results, secs));
        }
        return out;
    }

    /** The open inputs of {@code r}, keyed as the recipe names them (what {@link MergeRun#prepare(Recipe, Map)} expects). */
    public synchronized Map<String, Checkpoint> inputsOf(Recipe r) {
        Map<String, Checkpoint> byRef = new LinkedHashMap<>();
        for (String ref : r.referencedModels()) byRef.put(ref, input(ref, r.folder()));
        return byRef;
    }

    private Checkpoint input(String ref, Path relativeTo) {
        Path p = Checkpoints.resolve(ref, relativeTo);
        Checkpoint c = opened.get(p);
        if (c == null) {
            c = Checkpoints.open(ref, relativeTo);
            opened.put(p, c);
        }
        return c;
    }

    @Override public synchronized void close() {
        try {
            if (scorer != null) scorer.close();
        } finally {
            scorer = null;
            opened.values().forEach(Checkpoint::close);
            opened.clear();
        }
    }
}
