package alloy.eval.task;

import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The part of {@code manifest.json} every kind shares. Kind-specific fields (the generation limits) live
 * on the task records of {@link ProxyTask}. Deliberately absent: query or passage prefixes and pooling for
 * embedding sets, which belong to the model being scored, not to the data.
 *
 * @param name        the set's folder name: lowercase letters, digits and dashes
 * @param metric      the primary metric, one of {@code metrics}
 * @param metrics     every metric to report, a subset of the kind's
 * @param splits      file of each split, relative to the set's folder
 */
public record TaskManifest(String name, TaskKind kind, String metric, List<String> metrics, String description,
                           Map<Split, String> splits) {

    private static final Pattern NAME = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*");
    private static final Pattern FILE = Pattern.compile("[A-Za-z0-9_.-]+");

    public TaskManifest {
        Objects.requireNonNull(kind, "kind");
        if (name == null || !NAME.matcher(name).matches()) {
            throw new TaskItemException("name", "\"" + name + "\" must be lowercase letters, digits and single dashes");
        }
        if (metrics == null || metrics.isEmpty()) throw new TaskItemException("metrics", "at least one metric is needed");
        metrics = List.copyOf(metrics);
        if (new HashSet<>(metrics).size() != metrics.size()) throw new TaskItemException("metrics", "repeated metric in " + metrics);
        for (String m : metrics) {
            if (!kind.metrics().contains(m)) {
                throw new TaskItemException("metrics", "\"" + m + "\" is not a " + kind + " metric; expected some of " + kind.metrics());
            }
        }
        if (metric == null || !metrics.contains(metric)) {
            throw new TaskItemException("metric", "primary metric \"" + metric + "\" must be one of metrics " + metrics);
        }
        TaskItem.checkText("description", description);
        if (splits == null) throw new TaskItemException("splits", "missing");
        for (Split s : Split.values()) {
            String f = splits.get(s);
            if (f == null) throw new TaskItemException("splits", "no file for split \"" + s + "\"");
            // Plain names only: a set is one folder that can be copied or zipped alone.
            if (!FILE.matcher(f).matches() || f.equals(".") || f.equals("..")) {
                throw new TaskItemException("splits", "\"" + f + "\" of split \"" + s + "\" must be a plain file name in the set's folder");
            }
        }
        if (splits.get(Split.SEARCH).equals(splits.get(Split.HELDOUT))) {
            throw new TaskItemException("splits", "search and heldout both read \"" + splits.get(Split.SEARCH) + "\"");
        }
        splits = Map.copyOf(new EnumMap<>(splits));
    }

    /** The usual layout: {@code search.jsonl} and {@code heldout.jsonl}, the kind's metrics, its first as primary. */
    public static TaskManifest standard(String name, TaskKind kind, String description) {
        return new TaskManifest(name, kind, kind.metrics().getFirst(), kind.metrics(), description,
                Map.of(Split.SEARCH, "search.jsonl", Split.HELDOUT, "heldout.jsonl"));
    }

    public String file(Split split) { return splits.get(split); }
}
