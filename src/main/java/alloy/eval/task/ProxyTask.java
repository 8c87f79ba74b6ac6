package alloy.eval.task;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * A proxy set: its manifest and the items of each split, typed by kind, so that a scorer switches on the
 * record and gets its items without casts:
 * <pre>{@code
 * switch (task) {
 *     case ProxyTask.Retrieval r -> ... r.items(split) ... r.pool(split) ...   // List<RetrievalItem>, List<PoolPassage>
 *     case ProxyTask.Generation g -> ... g.maxTokens() ...
 *     ...
 * }
 * }</pre>
 * Each record checks that its manifest has its kind and names the same splits as its items, that no split is
 * empty, that ids are unique over every split, that no item's content (query, pair, context, prompt, text)
 * appears twice (an item in two splits would make the held-out score not held out, and one twice in a split
 * would count double), and that item domains are the manifest's. With one declared domain, items that name
 * none are put in it. The manifest's sizes are checked against the items when stated and filled in when not.
 * {@link ProxyTasks} makes the same checks first with file and line numbers.
 */
public sealed interface ProxyTask {

    TaskManifest manifest();

    /** The items of one split, in file order; empty when the set has no such split (validation is optional). */
    List<? extends TaskItem> items(Split split);

    /** The same set with its splits averaged another way (see {@link Weighting}). */
    ProxyTask withWeighting(Weighting weighting);

    default String name() { return manifest().name(); }

    default TaskKind kind() { return manifest().kind(); }

    /** The set's splits in order: search, validation when present, heldout. */
    default List<Split> splits() { return manifest().splitList(); }

    default boolean has(Split split) { return manifest().has(split); }

    /** Total items over every split. */
    default int size() {
        int n = 0;
        for (Split s : splits()) n += items(s).size();
        return n;
    }

    /**
     * @param splitItems the queries of each split with their passages
     * @param pools      each split's pool-only passages (near misses and other distractors); a split without
     *                   any may be absent
     */
    record Retrieval(TaskManifest manifest, Map<Split, List<RetrievalItem>> splitItems, Map<Split, List<PoolPassage>> pools)
            implements ProxyTask {
        public Retrieval {
            splitItems = checked(manifest, TaskKind.RETRIEVAL, splitItems, RetrievalItem::inDomain);
            Objects.requireNonNull(pools, "pools");
            Map<Split, List<PoolPassage>> p = new EnumMap<>(Split.class);
            Map<Split, Integer> poolSizes = new EnumMap<>(Split.class);
            Set<String> ids = new HashSet<>();
            for (List<RetrievalItem> items : splitItems.values()) for (RetrievalItem i : items) ids.add(i.id());
            for (Split s : splitItems.keySet()) {
                List<PoolPassage> extra = new ArrayList<>();
                for (PoolPassage x : pools.getOrDefault(s, List.of())) {
                    x = x.domain().isEmpty() && manifest.domains().size() == 1 ? x.inDomain(manifest.domains().getFirst()) : x;
                    checkDomain(manifest, x.domain(), x.id());
                    if (!ids.add(x.id())) throw new TaskItemException("id", "duplicate id \"" + x.id() + "\" (pool passage of " + s + ")");
                    extra.add(x);
                }
                if (!extra.isEmpty()) p.put(s, List.copyOf(extra));
                poolSizes.put(s, splitItems.get(s).size() + extra.size());
            }
            for (Split s : pools.keySet()) {
                if (!splitItems.containsKey(s) && !pools.get(s).isEmpty()) {
                    throw new TaskItemException("splits", manifest.name() + " has pool passages for split " + s + " but no such split");
                }
            }
            pools = Collections.unmodifiableMap(p);
            // The pool of a split is its passages: two equal passages would make the relevant one ambiguous.
            for (Split s : splitItems.keySet()) {
                Set<String> seen = new HashSet<>();
                for (RetrievalItem i : splitItems.get(s)) {
                    if (!seen.add(i.passage())) throw new TaskItemException("passage", "item " + i.id() + " repeats a passage of its split");
                }
                for (PoolPassage x : pools.getOrDefault(s, List.of())) {
                    if (!seen.add(x.passage())) throw new TaskItemException("passage", "pool passage " + x.id() + " repeats a passage of its split");
                }
            }
            manifest = sized(manifest, splitItems, poolSizes);
        }

        /** A two-split set without pool-only passages. */
        public Retrieval(TaskManifest manifest, List<RetrievalItem> search, List<RetrievalItem> heldout) {
            this(manifest, twoSplits(search, heldout), Map.of());
        }

        @Override public List<RetrievalItem> items(Split split) { return splitItems.getOrDefault(split, List.of()); }

        /** The split's pool-only passages, in file order (empty when it has none). */
        public List<PoolPassage> pool(Split split) { return pools.getOrDefault(split, List.of()); }

        /** Every passage a query of {@code split} is ranked against: the items' passages in item order, then the pool's. */
        public List<String> passages(Split split) {
            List<String> out = new ArrayList<>();
            for (RetrievalItem i : items(split)) out.add(i.passage());
            for (PoolPassage x : pool(split)) out.add(x.passage());
            return out;
        }

        @Override public Retrieval withWeighting(Weighting weighting) {
            return new Retrieval(manifest.withWeighting(weighting), splitItems, pools);
        }
    }

    record Pairs(TaskManifest manifest, Map<Split, List<PairItem>> splitItems) implements ProxyTask {
        public Pairs {
            splitItems = checked(manifest, TaskKind.PAIRS, splitItems, PairItem::inDomain);
            manifest = sized(manifest, splitItems, Map.of());
        }

        public Pairs(TaskManifest manifest, List<PairItem> search, List<PairItem> heldout) {
            this(manifest, twoSplits(search, heldout));
        }

        @Override public List<PairItem> items(Split split) { return splitItems.getOrDefault(split, List.of()); }

        @Override public Pairs withWeighting(Weighting weighting) { return new Pairs(manifest.withWeighting(weighting), splitItems); }
    }

    record Choice(TaskManifest manifest, Map<Split, List<ChoiceItem>> splitItems) implements ProxyTask {
        public Choice {
            splitItems = checked(manifest, TaskKind.CHOICE, splitItems, null);
            manifest = sized(manifest, splitItems, Map.of());
        }

        public Choice(TaskManifest manifest, List<ChoiceItem> search, List<ChoiceItem> heldout) {
            this(manifest, twoSplits(search, heldout));
        }

        @Override public List<ChoiceItem> items(Split split) { return splitItems.getOrDefault(split, List.of()); }

        @Override public Choice withWeighting(Weighting weighting) { return new Choice(manifest.withWeighting(weighting), splitItems); }
    }

    /**
     * @param maxTokens tokens greedy decoding may produce before it is cut off
     * @param stop      strings that end a generation (not part of the answer)
     */
    record Generation(TaskManifest manifest, int maxTokens, List<String> stop, Map<Split, List<GenerationItem>> splitItems)
            implements ProxyTask {
        public Generation {
            if (maxTokens <= 0) throw new TaskItemException("max_tokens", "must be positive, found " + maxTokens);
            Objects.requireNonNull(stop, "stop");
            stop = List.copyOf(stop);
            for (String s : stop) if (s.isEmpty()) throw new TaskItemException("stop", "an empty stop string would end every generation at once");
            splitItems = checked(manifest, TaskKind.GENERATION, splitItems, null);
            manifest = sized(manifest, splitItems, Map.of());
        }

        public Generation(TaskManifest manifest, int maxTokens, List<String> stop, List<GenerationItem> search, List<GenerationItem> heldout) {
            this(manifest, maxTokens, stop, twoSplits(search, heldout));
        }

        @Override public List<GenerationItem> items(Split split) { return splitItems.getOrDefault(split, List.of()); }

        @Override public Generation withWeighting(Weighting weighting) {
            return new Generation(manifest.withWeighting(weighting), maxTokens, stop, splitItems);
        }
    }

    record Perplexity(TaskManifest manifest, Map<Split, List<TextItem>> splitItems) implements ProxyTask {
        public Perplexity {
            splitItems = checked(manifest, TaskKind.PERPLEXITY, splitItems, null);
            manifest = sized(manifest, splitItems, Map.of());
        }

        public Perplexity(TaskManifest manifest, List<TextItem> search, List<TextItem> heldout) {
            this(manifest, twoSplits(search, heldout));
        }

        @Override public List<TextItem> items(Split split) { return splitItems.getOrDefault(split, List.of()); }

        @Override public Perplexity withWeighting(Weighting weighting) { return new Perplexity(manifest.withWeighting(weighting), splitItems); }
    }

    /** The key that holds an item's {@link TaskItem#content()}. */
    static String contentKey(TaskKind kind) {
        return switch (kind) {
            case RETRIEVAL -> "query";
            case PAIRS -> "a";
            case CHOICE -> "context";
            case GENERATION -> "prompt";
            case PERPLEXITY -> "text";
        };
    }

    /** The usual search and heldout splits, without validation. */
    static <T> Map<Split, List<T>> twoSplits(List<T> search, List<T> heldout) {
        Map<Split, List<T>> m = new EnumMap<>(Split.class);
        m.put(Split.SEARCH, Objects.requireNonNull(search, "search items"));
        m.put(Split.HELDOUT, Objects.requireNonNull(heldout, "heldout items"));
        return m;
    }

    /**
     * The checks every kind shares, returning the splits as an immutable map in split order with domains
     * filled in ({@code inDomain} is null for kinds whose items have no domain).
     */
    private static <T extends TaskItem> Map<Split, List<T>> checked(TaskManifest manifest, TaskKind kind, Map<Split, List<T>> splits,
                                                                   BiFunction<T, String, T> inDomain) {
        Objects.requireNonNull(manifest, "manifest");
        Objects.requireNonNull(splits, "splits");
        if (manifest.kind() != kind) {
            throw new TaskItemException("kind", manifest.name() + " is a " + manifest.kind() + " set, not " + kind);
        }
        if (!splits.keySet().equals(manifest.splits().keySet())) {
            throw new TaskItemException("splits", manifest.name() + ": the manifest names splits " + manifest.splitList()
                    + " but items were given for " + splits.keySet().stream().sorted().toList());
        }
        if (inDomain == null && manifest.domains().size() > 1) {
            throw new TaskItemException("domains", manifest.name() + ": " + kind + " items carry no domain, so the set can declare at most one");
        }
        Map<String, Split> ids = new HashMap<>();
        Map<String, Split> contents = new HashMap<>();
        Map<Split, List<T>> out = new LinkedHashMap<>();
        for (Split split : manifest.splitList()) {
            List<T> items = splits.get(split);
            if (items == null || items.isEmpty()) throw new TaskItemException("splits", manifest.name() + " has no " + split + " items");
            List<T> kept = new ArrayList<>(items.size());
            for (T i : items) {
                Objects.requireNonNull(i, "item of " + split);
                if (inDomain != null && i.domain().isEmpty() && manifest.domains().size() == 1) i = inDomain.apply(i, manifest.domains().getFirst());
                if (inDomain != null) checkDomain(manifest, i.domain(), i.id());
                Split before = ids.putIfAbsent(i.id(), split);
                if (before != null) throw new TaskItemException("id", "duplicate id \"" + i.id() + "\" in " + before + " and " + split);
                Split other = contents.putIfAbsent(i.content(), split);
                if (other != null) {
                    throw new TaskItemException(contentKey(kind), "item " + i.id() + " (" + split + ") repeats the content of a " + other + " item");
                }
                kept.add(i);
            }
            out.put(split, List.copyOf(kept));
        }
        return Collections.unmodifiableMap(new EnumMap<>(out));
    }

    private static void checkDomain(TaskManifest manifest, String domain, String id) {
        List<String> declared = manifest.domains();
        if (declared.isEmpty()) {
            if (!domain.isEmpty()) {
                throw new TaskItemException("domain", "item " + id + " is in domain \"" + domain + "\" but " + manifest.name()
                        + " declares no domains in its manifest");
            }
        } else if (domain.isEmpty()) {
            throw new TaskItemException("domain", "item " + id + " names no domain; " + manifest.name() + " has several " + declared);
        } else if (!declared.contains(domain)) {
            throw new TaskItemException("domain", "item " + id + ": \"" + domain + "\" is not one of the set's domains " + declared);
        }
    }

    /** The manifest with its sizes checked against the items (when stated) and filled in. */
    private static TaskManifest sized(TaskManifest manifest, Map<Split, ? extends List<?>> splits, Map<Split, Integer> pools) {
        Map<Split, Integer> sizes = new EnumMap<>(Split.class);
        for (Map.Entry<Split, ? extends List<?>> e : splits.entrySet()) sizes.put(e.getKey(), e.getValue().size());
        check("size", manifest.name(), manifest.sizes(), sizes);
        check("pool", manifest.name(), manifest.pools(), pools);
        return manifest.withSizes(sizes, pools);
    }

    private static void check(String key, String name, Map<Split, Integer> stated, Map<Split, Integer> actual) {
        if (stated.isEmpty()) return;
        for (Split s : actual.keySet()) {
            if (!actual.get(s).equals(stated.get(s))) {
                throw new TaskItemException(key, name + " states " + stated.get(s) + " for " + s + " but has " + actual.get(s)
                        + "; update the manifest");
            }
        }
    }
}
