package alloy.eval.task;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.HashMap;

/**
 * The part of {@code manifest.json} every kind shares. Kind-specific fields (the generation limits) live
 * on the task records of {@link ProxyTask}. Deliberately absent: query or passage prefixes and pooling for
 * embedding sets, which belong to the model being scored, not to the data.
 *
 * @param name        the set's folder name: lowercase letters, digits and dashes
 * @param metric      the primary metric, one of {@code metrics}
 * @param metrics     every metric to report, a subset of the kind's
 * @param splits      file of each split, relative to the set's folder: search and heldout always, validation
 *                    optionally
 * @param domains     the domains items are drawn from (names like {@code name}); empty when the set does not
 *                    say. With one domain every item belongs to it; with several every item names its own.
 * @param weighting   how a split's items are averaged into its score ({@link Weighting#DOMAINS} needs at least
 *                    two domains)
 * @param provenance  how the set was written (by hand, by which generator); empty when not said
 * @param sizes       items per split as the manifest states them (queries of a retrieval set, pairs of a pairs
 *                    set); empty when not stated. A {@link ProxyTask} checks stated sizes against its items and
 *                    fills them in when absent, so a loaded or built set always carries its true sizes.
 * @param pools       passages in each split's pool (retrieval only: the items' passages and the pool-only
 *                    ones), stated and checked like {@code sizes}; empty for other kinds
 */
public record TaskManifest(String name, TaskKind kind, String metric, List<String> metrics, String description,
                           Map<Split, String> splits, List<String> domains, Weighting weighting, String provenance,
                           Map<Split, Integer> sizes, Map<Split, Integer> pools) {

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
            if (f == null) {
                if (s.required()) throw new TaskItemException("splits", "no file for split \"" + s + "\"");
                continue;
            }
            // Plain names only: a set is one folder that can be copied or zipped alone.
            if (!FILE.matcher(f).matches() || f.equals(".") || f.equals("..")) {
                throw new TaskItemException("splits", "\"" + f + "\" of split \"" + s + "\" must be a plain file name in the set's folder");
            }
        }
        Map<String, Split> files = new HashMap<>();
        for (Split s : Split.values()) {
            String f = splits.get(s);
            if (f == null) continue;
            Split other = files.putIfAbsent(f, s);
            if (other != null) throw new TaskItemException("splits", other + " and " + s + " both read \"" + f + "\"");
        }
        splits = Collections.unmodifiableMap(new EnumMap<>(splits));
        Objects.requireNonNull(domains, "domains");
        domains = List.copyOf(domains);
        if (new HashSet<>(domains).size() != domains.size()) throw new TaskItemException("domains", "repeated domain in " + domains);
        for (String d : domains) {
            if (!NAME.matcher(d).matches()) throw new TaskItemException("domains", "\"" + d + "\" must be lowercase letters, digits and single dashes");
        }
        Objects.requireNonNull(weighting, "weighting");
        if (weighting == Weighting.DOMAINS && domains.size() < 2) {
            throw new TaskItemException("weighting", "\"domains\" needs at least two domains, the set declares " + domains);
        }
        if (weighting == Weighting.DOMAINS && !(kind == TaskKind.RETRIEVAL || kind == TaskKind.PAIRS)) {
            throw new TaskItemException("weighting", "\"domains\" applies to retrieval and pairs sets, not " + kind);
        }
        Objects.requireNonNull(provenance, "provenance");
        sizes = counts("size", sizes, splits);
        pools = counts("pool", pools, splits);
        if (!pools.isEmpty() && kind != TaskKind.RETRIEVAL) throw new TaskItemException("pool", "only retrieval sets have pools, not " + kind);
    }

    /** A manifest with the domains, weighting, provenance and sizes unsaid. */
    public TaskManifest(String name, TaskKind kind, String metric, List<String> metrics, String description, Map<Split, String> splits) {
        this(name, kind, metric, metrics, description, splits, List.of(), Weighting.ITEMS, "", Map.of(), Map.of());
    }

    private static Map<Split, Integer> counts(String key, Map<Split, Integer> counts, Map<Split, String> splits) {
        Objects.requireNonNull(counts, key);
        if (counts.isEmpty()) return Map.of();
        if (!counts.keySet().equals(splits.keySet())) {
            throw new TaskItemException(key, "states splits " + counts.keySet().stream().sorted().toList()
                    + " but the set has " + splits.keySet().stream().sorted().toList());
        }
        for (Map.Entry<Split, Integer> e : counts.entrySet()) {
            if (e.getValue() == null || e.getValue() < 1) throw new TaskItemException(key, e.getKey() + ": expected a positive count, found " + e.getValue());
        }
        return Collections.unmodifiableMap(new EnumMap<>(counts));
    }

    /** The usual layout: {@code search.jsonl} and {@code heldout.jsonl}, the kind's metrics, its first as primary. */
    public static TaskManifest standard(String name, TaskKind kind, String description) {
        return new TaskManifest(name, kind, kind.metrics().getFirst(), kind.metrics(), description,
                Map.of(Split.SEARCH, "search.jsonl", Split.HELDOUT, "heldout.jsonl"));
    }

    /** The file of {@code split}, or null when the set has no such split. */
    public String file(Split split) { return splits.get(split); }

    /** Whether the set has {@code split} (search and heldout always do). */
    public boolean has(Split split) { return splits.containsKey(split); }

    /** The set's splits in order: search, validation when present, heldout. */
    public List<Split> splitList() {
        List<Split> out = new ArrayList<>();
        for (Split s : Split.values()) if (splits.containsKey(s)) out.add(s);
        return List.copyOf(out);
    }

    /** The same manifest with stated sizes (and pools, empty unless retrieval). */
    public TaskManifest withSizes(Map<Split, Integer> sizes, Map<Split, Integer> pools) {
        return new TaskManifest(name, kind, metric, metrics, description, splits, domains, weighting, provenance, sizes, pools);
    }

    /** The same manifest scored with another weighting. */
    public TaskManifest withWeighting(Weighting weighting) {
        return new TaskManifest(name, kind, metric, metrics, description, splits, domains, weighting, provenance, sizes, pools);
    }

    /** The same manifest with domains and provenance said. */
    public TaskManifest withOrigin(List<String> domains, String provenance) {
        return new TaskManifest(name, kind, metric, metrics, description, splits, domains, weighting, provenance, sizes, pools);
    }
}
