package alloy.results;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * What run.json says about a run: which command wrote it and with what, when, and by which Alloy.
 *
 * @param command  the command line as given, one argument per element ({@code alloy sweep configs/x.yaml ...})
 * @param inputs   named inputs, in order: {@code recipe}, {@code models}, {@code tasks}, ... each with its values
 * @param metrics  the primary metric of each task ({@code skill-add -> exact_match}); a leaderboard ranks each task
 *                 on it. May be empty: the leaderboard then takes the first metric written for the task
 * @param seed     the random seed, when the run used one
 * @param finished empty while the run is going, or when it was killed before {@link RunWriter#finish()}
 */
public record RunInfo(RunKind kind, List<String> command, Map<String, List<String>> inputs, Map<String, String> metrics,
                      OptionalLong seed, Instant started, Optional<Instant> finished, String alloyVersion) {

    public RunInfo {
        Objects.requireNonNull(kind, "run info: kind");
        Objects.requireNonNull(command, "run info: command");
        if (command.isEmpty()) throw new IllegalArgumentException("run info: the command line is empty");
        command.forEach(a -> Objects.requireNonNull(a, "run info: a null command-line argument"));
        command = List.copyOf(command);
        Objects.requireNonNull(inputs, "run info: inputs");
        Map<String, List<String>> in = new LinkedHashMap<>();
        inputs.forEach((k, v) -> {
            Check.nonBlank("run info", "input name", k);
            Objects.requireNonNull(v, "run info: input " + k);
            in.put(k, List.copyOf(v));
        });
        inputs = Collections.unmodifiableMap(in);
        Objects.requireNonNull(metrics, "run info: metrics");
        Map<String, String> m = new LinkedHashMap<>();
        metrics.forEach((k, v) -> m.put(Check.nonBlank("run info", "task name", k), Check.nonBlank("run info: task " + k, "metric", v)));
        metrics = Collections.unmodifiableMap(m);
        Objects.requireNonNull(seed, "run info: seed (use OptionalLong.empty())");
        Objects.requireNonNull(started, "run info: started");
        Objects.requireNonNull(finished, "run info: finished (use Optional.empty())");
        if (finished.isPresent() && finished.get().isBefore(started)) {
            throw new IllegalArgumentException("run info: finished " + finished.get() + " is before started " + started);
        }
        Check.nonBlank("run info", "alloy_version", alloyVersion);
    }

    /** A run of {@code kind} starting now, with this Alloy's version and nothing else known yet. */
    public static RunInfo start(RunKind kind, List<String> command) {
        return new RunInfo(kind, command, Map.of(), Map.of(), OptionalLong.empty(), Instant.now(), Optional.empty(), AlloyVersion.get());
    }

    /** This info with one more named input (replacing one of the same name). */
    public RunInfo withInput(String name, List<String> values) {
        Map<String, List<String>> in = new LinkedHashMap<>(inputs);
        in.put(name, values);
        return new RunInfo(kind, command, in, metrics, seed, started, finished, alloyVersion);
    }

    public RunInfo withInput(String name, String... values) { return withInput(name, List.of(values)); }

    /** This info with the primary metric of {@code task}. */
    public RunInfo withMetric(String task, String metric) {
        Map<String, String> m = new LinkedHashMap<>(metrics);
        m.put(task, metric);
        return new RunInfo(kind, command, inputs, m, seed, started, finished, alloyVersion);
    }

    public RunInfo withSeed(long s) {
        return new RunInfo(kind, command, inputs, metrics, OptionalLong.of(s), started, finished, alloyVersion);
    }

    public RunInfo withStarted(Instant t) {
        return new RunInfo(kind, command, inputs, metrics, seed, t, finished, alloyVersion);
    }

    public RunInfo withFinished(Instant t) {
        return new RunInfo(kind, command, inputs, metrics, seed, started, Optional.of(t), alloyVersion);
    }

    /** The command line as one string, arguments with spaces or quotes quoted for a POSIX shell. */
    public String commandLine() {
        List<String> out = new ArrayList<>();
        for (String a : command) {
            out.add(a.isEmpty() || a.chars().anyMatch(ch -> " \t\n'\"\\$`*?[]{}()<>|&;#~".indexOf(ch) >= 0)
                    ? "'" + a.replace("'", "'\\''") + "'" : a);
        }
        return String.join(" ", out);
    }
}
