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
import alloy.tensor.MachineMemory;
import alloy.io.TensorInfo;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The one path from a candidate to its scores, shared by eval, sweep, evolve and soup: a recipe is merged in
 * memory over inputs opened once and shared by every candidate, loaded with the config of what was built
 * (a layer-stacking recipe has its own layer count), and scored on the splits asked for; a model is opened
 * and scored as it is. Owns the open inputs and the scorer, and closes them.
 *
 * <p>A caller that knows its next candidate (a sweep's next point, the rest of a generation) says so when
 * it asks for the current one ({@link #score(Candidate, List, Optional)}): that candidate is merged and handed to the scorer's engine on a background thread
 * while the current one is scored, so that a search pays for building only where scoring leaves the machine
 * idle. At most one candidate is built ahead, and only while two builds fit comfortably in memory.
 */
public final class CandidateScorer implements AutoCloseable {

    /** {@code -Dalloy.buildAhead=false} scores strictly one candidate at a time. */
    public static final String BUILD_AHEAD_PROPERTY = "alloy.buildAhead";

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

    /** A candidate built and loaded into the scorer; owns the merge, the built checkpoint (not an input) and the load. */
    private record Built(MergeRun run, Checkpoint checkpoint, boolean ownsCheckpoint, Scorer.Loaded loaded) implements AutoCloseable {
        @Override public void close() {
            try {
                loaded.close();
            } finally {
                try {
                    if (ownsCheckpoint) checkpoint.close();
                } finally {
                    if (run != null) run.close();
                }
            }
        }
    }

    /** The candidate being built ahead and its build. */
    private record Ahead(Candidate candidate, Future<Built> built) {}

    private final ScorerFactory factory;
    private final MergeRun.Options options;
    /** Inputs by resolved path, so that two recipes naming one model differently share it; guarded by itself. */
    private final Map<Path, Checkpoint> opened = new LinkedHashMap<>();
    private final boolean buildAhead = !"false".equals(System.getProperty(BUILD_AHEAD_PROPERTY));
    private volatile Scorer scorer;
    /** Bytes of the last candidate built in memory: what one more build ahead costs. */
    private volatile long lastBuildBytes = Long.MAX_VALUE;
    private ExecutorService builder;
    private Ahead ahead;

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

    /** Scores {@code c} on {@code split}, building {@code next} meanwhile (see {@link #score(Candidate, List, Optional)}). */
    public Scored score(Candidate c, Split split, Optional<Candidate> next) { return score(c, List.of(split), next).get(0); }

    /** Builds {@code c} once and scores it on each of {@code splits}, in that order. */
    public List<Scored> score(Candidate c, List<Split> splits) { return score(c, splits, Optional.empty()); }

    /**
     * Builds {@code c} once (or takes the build made ahead for it) and scores it on each of {@code splits}, in
     * that order; {@code next}, the candidate the caller will ask for after this one, is built on a background
     * thread while {@code c} is scored. The first split's seconds include the build, or the wait for it.
     */
    public synchronized List<Scored> score(Candidate c, List<Split> splits, Optional<Candidate> next) {
        long t0 = System.nanoTime();
        try (Built b = take(c)) {
            next.ifPresent(this::buildAhead);
            List<Scored> out = new ArrayList<>();
            for (Split s : splits) {
                List<TaskResult> results = b.loaded().score(s);
                double secs = (System.nanoTime() - t0) / 1e9;
                t0 = System.nanoTime();
                out.add(new Scored(c, s, results, secs));
            }
            return out;
        }
    }

    /**
     * Starts building {@code next} on a background thread. A no-op before the first candidate (which opens the
     * scorer), when the last build would not fit in memory twice over with room to spare, or with
     * {@code -Dalloy.buildAhead=false}. A candidate built ahead but never asked for is freed at the next
     * call or at {@link #close}.
     */
    private void buildAhead(Candidate next) {
        if (ahead != null && same(ahead.candidate(), next)) return;
        dropAhead();
        Scorer s = scorer;
        if (!buildAhead || s == null || lastBuildBytes > MachineMemory.total() / 8) return;
        if (builder == null) {
            builder = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "alloy-build-ahead");
                t.setDaemon(true);
                return t;
            });
        }
        ahead = new Ahead(next, builder.submit(() -> build(next, s)));
    }

    /** The build of {@code c}: the one made ahead when it is {@code c}, else made now. */
    private Built take(Candidate c) {
        if (ahead != null && same(ahead.candidate(), c)) {
            Future<Built> f = ahead.built();
            ahead = null;
            return await(f);
        }
        dropAhead();
        return build(c, null);
    }

    /** Two candidates build the same weights: equal recipes, or the same model. */
    private static boolean same(Candidate a, Candidate b) {
        return switch (a) {
            case Candidate.Merge m -> b instanceof Candidate.Merge n && m.recipe().equals(n.recipe());
            case Candidate.Model m -> m.equals(b);
        };
    }

    private Built build(Candidate c, Scorer known) {
        return switch (c) {
            case Candidate.Model m -> {
                Checkpoint ck = input(m.ref(), m.relativeTo());
                lastBuildBytes = bytes(ck);
                yield new Built(null, ck, false, (known != null ? known : scorerFor(ck, m.ref())).load(ck));
            }
            case Candidate.Merge m -> {
                Recipe r = m.recipe();
                MergeRun run = MergeRun.prepare(r, inputsOf(r), options);
                MemoryCheckpoint built = null;
                try {
                    built = run.toMemory(m.label(), options, s -> {});
                    lastBuildBytes = bytes(built);
                    Scorer s = known != null ? known : scorerFor(built, r.referenceModel());
                    yield new Built(run, built, true, s.load(built));
                } catch (RuntimeException | Error e) {
                    try {
                        if (built != null) built.close();
                    } finally {
                        run.close();
                    }
                    throw e;
                }
            }
        };
    }

    private static long bytes(Checkpoint ck) {
        long sum = 0;
        for (TensorInfo t : ck.tensors()) sum += MachineMemory.float32Bytes(t.shape().numel());
        return sum;
    }

    private Built await(Future<Built> f) {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            // the build runs on; its result is freed on the builder's thread once it ends
            builder.submit(() -> {
                try {
                    f.get().close();
                } catch (ExecutionException | InterruptedException ignored) {
                    // nothing was built, or nothing can be waited for
                }
            });
            throw new IllegalStateException("interrupted while a candidate was built", e);
        } catch (ExecutionException e) {
            // the build's own error (a recipe the method cannot merge, a bad tensor), as if built here
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw new IllegalStateException(e.getCause());
        }
    }

    /** Frees a candidate built ahead and not asked for (after its build ends: a merge is not interrupted). */
    private void dropAhead() {
        if (ahead == null) return;
        Future<Built> f = ahead.built();
        ahead = null;
        try {
            f.get().close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            // its error belongs to a candidate nobody asked for
        }
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

    /** The open inputs of {@code r}, keyed as the recipe names them (what {@link MergeRun#prepare(Recipe, Map)} expects). */
    public Map<String, Checkpoint> inputsOf(Recipe r) {
        Map<String, Checkpoint> byRef = new LinkedHashMap<>();
        for (String ref : r.referencedModels()) byRef.put(ref, input(ref, r.folder()));
        return byRef;
    }

    private Checkpoint input(String ref, Path relativeTo) {
        Path p = Checkpoints.resolve(ref, relativeTo);
        synchronized (opened) {
            Checkpoint c = opened.get(p);
            if (c == null) {
                c = Checkpoints.open(ref, relativeTo);
                opened.put(p, c);
            }
            return c;
        }
    }

    @Override public synchronized void close() {
        try {
            dropAhead();
        } finally {
            try {
                if (builder != null) builder.shutdown();
                if (scorer != null) scorer.close();
            } finally {
                scorer = null;
                synchronized (opened) {
                    opened.values().forEach(Checkpoint::close);
                    opened.clear();
                }
            }
        }
    }
}
