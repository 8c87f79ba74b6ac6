package alloy.eval.task;

import static org.junit.jupiter.api.Assertions.*;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The proxy sets committed under proxy-tasks/. */
class ShippedSetsTest {

    private static final Path ROOT = Path.of("proxy-tasks");

    /** name → {kind, search size, held-out size}. */
    private static final Map<String, List<Object>> EXPECTED = Map.of(
            "code-qa-retrieval", List.of(TaskKind.RETRIEVAL, 50, 30),
            "science-qa-retrieval", List.of(TaskKind.RETRIEVAL, 50, 30),
            "sts-pairs", List.of(TaskKind.PAIRS, 40, 20),
            "skill-add", List.of(TaskKind.GENERATION, 40, 60),
            "skill-reverse", List.of(TaskKind.GENERATION, 40, 60),
            "skill-sort", List.of(TaskKind.GENERATION, 40, 60),
            "skill-map", List.of(TaskKind.GENERATION, 40, 60),
            "skill-shift", List.of(TaskKind.GENERATION, 40, 60),
            "skill-choice", List.of(TaskKind.CHOICE, 40, 20),
            "skill-text", List.of(TaskKind.PERPLEXITY, 30, 10));

    private static final List<ProxyTask> ALL = ProxyTasks.loadAll(ROOT);

    @Test
    void everyExpectedSetLoadsWithItsKindAndSizes() {
        Map<String, ProxyTask> byName = ALL.stream().collect(Collectors.toMap(ProxyTask::name, t -> t));
        for (Map.Entry<String, List<Object>> e : EXPECTED.entrySet()) {
            ProxyTask t = byName.get(e.getKey());
            assertNotNull(t, "missing set " + e.getKey() + " among " + byName.keySet());
            assertEquals(e.getValue().get(0), t.kind(), t.name());
            assertEquals(e.getValue().get(1), t.items(Split.SEARCH).size(), t.name() + " search");
            assertEquals(e.getValue().get(2), t.items(Split.HELDOUT).size(), t.name() + " heldout");
            assertTrue(t.kind().metrics().containsAll(t.manifest().metrics()), t.name());
            assertTrue(t.manifest().metrics().contains(t.manifest().metric()), t.name());
        }
        assertEquals(ALL.stream().map(ProxyTask::name).sorted().toList(), ALL.stream().map(ProxyTask::name).toList(), "loadAll sorts by name");
    }

    @Test
    void splitsAreDisjointByIdAndByContent() {
        for (ProxyTask t : ALL) {
            Set<String> ids = new HashSet<>(), contents = new HashSet<>();
            for (Split s : Split.values()) {
                for (TaskItem i : t.items(s)) {
                    assertTrue(ids.add(i.id()), t.name() + ": id " + i.id() + " repeats");
                    assertTrue(contents.add(i.content()), t.name() + ": content of " + i.id() + " repeats");
                }
            }
            if (t instanceof ProxyTask.Retrieval r) {
                Set<String> passages = new HashSet<>();
                for (Split s : Split.values()) for (RetrievalItem i : r.items(s)) assertTrue(passages.add(i.passage()), t.name() + " " + i.id());
            }
        }
    }

    @Test
    void pairScoresSpreadOverTheScale() {
        ProxyTask.Pairs sts = (ProxyTask.Pairs) ALL.stream().filter(t -> t.name().equals("sts-pairs")).findFirst().orElseThrow();
        for (Split s : Split.values()) {
            List<PairItem> items = sts.items(s);
            assertTrue(items.stream().anyMatch(p -> p.score() <= 1), s + ": unrelated pairs");
            assertTrue(items.stream().anyMatch(p -> p.score() >= 2 && p.score() <= 3.4), s + ": related pairs");
            assertTrue(items.stream().anyMatch(p -> p.score() >= 4.5), s + ": paraphrases");
        }
    }

    @Test
    void retrievalQueriesAreNotTheirPassages() {
        for (ProxyTask t : ALL) {
            if (!(t instanceof ProxyTask.Retrieval r)) continue;
            for (Split s : Split.values()) {
                for (RetrievalItem i : r.items(s)) {
                    assertFalse(i.passage().toLowerCase().contains(i.query().toLowerCase()), t.name() + " " + i.id() + ": query copied into passage");
                }
            }
        }
    }

    @Test
    void writingAndReadingBackGivesTheSameSets(@TempDir Path tmp) {
        for (ProxyTask t : ALL) {
            ProxyTasks.write(tmp.resolve(t.name()), t);
            assertEquals(t, ProxyTasks.load(tmp.resolve(t.name())), t.name());
        }
    }
}
