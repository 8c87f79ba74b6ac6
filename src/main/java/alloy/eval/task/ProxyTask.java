package alloy.eval.task;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A proxy set: its manifest and the items of both splits, typed by kind, so that a scorer switches on the
 * record and gets its items without casts:
 * <pre>{@code
 * switch (task) {
 *     case ProxyTask.Retrieval r -> ... r.items(split) ...   // List<RetrievalItem>
 *     case ProxyTask.Generation g -> ... g.maxTokens() ...
 *     ...
 * }
 * }</pre>
 * Each record checks that its manifest has its kind, that neither split is empty, that ids are unique over
 * both splits, and that no item's content (query, pair, context, prompt, text) appears twice: an item in both
 * splits would make the held-out score not held out, and one twice in a split would count double. {@link ProxyTasks} makes the same checks first with file and line numbers.
 */
public sealed interface ProxyTask {

    TaskManifest manifest();

    /** The items of one split, in file order. */
    List<? extends TaskItem> items(Split split);

    default String name() { return manifest().name(); }

    default TaskKind kind() { return manifest().kind(); }

    /** Total items over both splits. */
    default int size() { return items(Split.SEARCH).size() + items(Split.HELDOUT).size(); }

    record Retrieval(TaskManifest manifest, List<RetrievalItem> search, List<RetrievalItem> heldout) implements ProxyTask {
        public Retrieval {
            search = List.copyOf(search);
            heldout = List.copyOf(heldout);
            check(manifest, TaskKind.RETRIEVAL, search, heldout);
            // The pool of a split is its passages: two equal passages would make the relevant one ambiguous.
            for (List<RetrievalItem> split : List.of(search, heldout)) {
                Set<String> seen = new HashSet<>();
                for (RetrievalItem i : split) {
                    if (!seen.add(i.passage())) throw new TaskItemException("passage", "item " + i.id() + " repeats a passage of its split");
                }
            }
        }

        @Override public List<RetrievalItem> items(Split split) { return split == Split.SEARCH ? search : heldout; }
    }

    record Pairs(TaskManifest manifest, List<PairItem> search, List<PairItem> heldout) implements ProxyTask {
        public Pairs {
            search = List.copyOf(search);
            heldout = List.copyOf(heldout);
            check(manifest, TaskKind.PAIRS, search, heldout);
        }

        @Override public List<PairItem> items(Split split) { return split == Split.SEARCH ? search : heldout; }
    }

    record Choice(TaskManifest manifest, List<ChoiceItem> search, List<ChoiceItem> heldout) implements ProxyTask {
        public Choice {
            search = List.copyOf(search);
            heldout = List.copyOf(heldout);
            check(manifest, TaskKind.CHOICE, search, heldout);
        }

        @Override public List<ChoiceItem> items(Split split) { return split == Split.SEARCH ? search : heldout; }
    }

    /**
     * @param maxTokens tokens greedy decoding may produce before it is cut off
     * @param stop      strings that end a generation (not part of the answer)
     */
    record Generation(TaskManifest manifest, int maxTokens, List<String> stop, List<GenerationItem> search,
                      List<GenerationItem> heldout) implements ProxyTask {
        public Generation {
            if (maxTokens <= 0) throw new TaskItemException("max_tokens", "must be positive, found " + maxTokens);
            Objects.requireNonNull(stop, "stop");
            stop = List.copyOf(stop);
            for (String s : stop) if (s.isEmpty()) throw new TaskItemException("stop", "an empty stop string would end every generation at once");
            search = List.copyOf(search);
            heldout = List.copyOf(heldout);
            check(manifest, TaskKind.GENERATION, search, heldout);
        }

        @Override public List<GenerationItem> items(Split split) { return split == Split.SEARCH ? search : heldout; }
    }

    record Perplexity(TaskManifest manifest, List<TextItem> search, List<TextItem> heldout) implements ProxyTask {
        public Perplexity {
            search = List.copyOf(search);
            heldout = List.copyOf(heldout);
            check(manifest, TaskKind.PERPLEXITY, search, heldout);
        }

        @Override public List<TextItem> items(Split split) { return split == Split.SEARCH ? search : heldout; }
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

    private static void check(TaskManifest manifest, TaskKind kind, List<? extends TaskItem> search, List<? extends TaskItem> heldout) {
        Objects.requireNonNull(manifest, "manifest");
        if (manifest.kind() != kind) {
            throw new TaskItemException("kind", manifest.name() + " is a " + manifest.kind() + " set, not " + kind);
        }
        Map<String, Split> ids = new HashMap<>();
        Map<String, Split> contents = new HashMap<>();
        for (Split split : Split.values()) {
            List<? extends TaskItem> items = split == Split.SEARCH ? search : heldout;
            if (items.isEmpty()) throw new TaskItemException("splits", manifest.name() + " has no " + split + " items");
            for (TaskItem i : items) {
                Split before = ids.putIfAbsent(i.id(), split);
                if (before != null) throw new TaskItemException("id", "duplicate id \"" + i.id() + "\" in " + before + " and " + split);
                Split other = contents.putIfAbsent(i.content(), split);
                if (other != null) {
                    throw new TaskItemException(contentKey(kind), "item " + i.id() + " (" + split + ") repeats the content of a " + other + " item");
                }
            }
        }
    }
}
