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
    private static final Map<String, List<Object>> EXPECTED = Map.ofEntries(
            Map.entry("mixed-retrieval", List.of(TaskKind.RETRIEVAL, 175, 100)),
            Map.entry("mixed-pairs", List.of(TaskKind.PAIRS, 100, 60)),
            Map.entry("code-qa-retrieval", List.of(TaskKind.RETRIEVAL, 50, 30)),
            Map.entry("science-qa-retrieval", List.of(TaskKind.RETRIEVAL, 50, 30)),
            Map.entry("sts-pairs", List.of(TaskKind.PAIRS, 40, 20)),
            Map.entry("skill-add", List.of(TaskKind.GENERATION, 40, 60)),
            Map.entry("skill-reverse", List.of(TaskKind.GENERATION, 40, 60)),
            Map.entry("skill-sort", List.of(TaskKind.GENERATION, 40, 60)),
            Map.entry("skill-map", List.of(TaskKind.GENERATION, 40, 60)),
            Map.entry("skill-shift", List.of(TaskKind.GENERATION, 40, 60)),
            Map.entry("skill-choice", List.of(TaskKind.CHOICE, 40, 20)),
            Map.entry("skill-text", List.of(TaskKind.PERPLEXITY, 30, 10)));

    /** The multi-domain sets: validation size, and the five domains every split holds in equal numbers. */
    private static final Map<String, Integer> VALIDATION = Map.of("mixed-retrieval", 70, "mixed-pairs", 40);
    private static final List<String> DOMAINS = List.of("programming", "natural-science", "medicine-health", "law-finance", "everyday-life");

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
    void everyManifestStatesSizeDomainsAndProvenance() throws java.io.IOException {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        for (ProxyTask t : ALL) {
            var m = json.readTree(ROOT.resolve(t.name()).resolve(ProxyTasks.MANIFEST).toFile());
            assertTrue(m.has("size"), t.name() + ": manifest states no size");
            assertTrue(m.has("domains") && m.get("domains").size() > 0, t.name() + ": manifest names no domains");
            assertFalse(m.path("provenance").asText().isBlank(), t.name() + ": manifest does not say how the set was written");
            if (t instanceof ProxyTask.Retrieval) assertTrue(m.has("pool"), t.name() + ": retrieval manifest states no pool size");
        }
    }

    @Test
    void multiDomainSetsAreLargeBalancedAndHaveValidation() {
        for (Map.Entry<String, Integer> e : VALIDATION.entrySet()) {
            ProxyTask t = ALL.stream().filter(x -> x.name().equals(e.getKey())).findFirst().orElseThrow();
            assertEquals(List.of(Split.SEARCH, Split.VALIDATION, Split.HELDOUT), t.splits(), t.name());
            assertEquals(e.getValue(), t.items(Split.VALIDATION).size(), t.name() + " validation");
            assertEquals(DOMAINS, t.manifest().domains(), t.name());
            for (Split s : t.splits()) {
                Map<String, Long> perDomain = t.items(s).stream().collect(Collectors.groupingBy(TaskItem::domain, Collectors.counting()));
                assertEquals(Set.copyOf(DOMAINS), perDomain.keySet(), t.name() + " " + s);
                assertEquals(1, Set.copyOf(perDomain.values()).size(), t.name() + " " + s + ": domains unbalanced " + perDomain);
            }
        }
        ProxyTask.Retrieval r = (ProxyTask.Retrieval) ALL.stream().filter(x -> x.name().equals("mixed-retrieval")).findFirst().orElseThrow();
        assertTrue(r.size() >= 300, "at least 300 queries, found " + r.size());
        assertEquals(Weighting.DOMAINS, r.manifest().weighting());
    }

    @Test
    void everyMixedRetrievalQueryHasANearMissInItsSplitAndDomain() {
        ProxyTask.Retrieval r = (ProxyTask.Retrieval) ALL.stream().filter(x -> x.name().equals("mixed-retrieval")).findFirst().orElseThrow();
        Set<String> allPassages = new HashSet<>();
        for (Split s : r.splits()) {
            Map<String, PoolPassage> pool = r.pool(s).stream().collect(Collectors.toMap(PoolPassage::id, p -> p));
            assertEquals(r.items(s).size(), pool.size(), s + ": one near miss per query");
            for (RetrievalItem i : r.items(s)) {
                PoolPassage near = pool.get(i.id() + "~near");
                assertNotNull(near, s + ": no near miss for " + i.id());
                assertEquals(i.domain(), near.domain(), i.id());
                assertTrue(allPassages.add(i.passage()) && allPassages.add(near.passage()), i.id() + ": passage repeats in the set");
            }
        }
    }

    @Test
    void mixedPairsSpreadOverTheScaleInEveryDomain() {
        ProxyTask.Pairs p = (ProxyTask.Pairs) ALL.stream().filter(x -> x.name().equals("mixed-pairs")).findFirst().orElseThrow();
        for (String d : DOMAINS) {
            List<PairItem> items = p.splits().stream().flatMap(s -> p.items(s).stream()).filter(i -> i.domain().equals(d)).toList();
            assertTrue(items.stream().anyMatch(i -> i.score() <= 1), d + ": unrelated or contradictory pairs");
            assertTrue(items.stream().anyMatch(i -> i.score() > 1 && i.score() < 4), d + ": related pairs");
            assertTrue(items.stream().anyMatch(i -> i.score() >= 4.5), d + ": paraphrases");
        }
    }

    @Test
    void splitsAreDisjointByIdAndByContent() {
        for (ProxyTask t : ALL) {
            Set<String> ids = new HashSet<>(), contents = new HashSet<>();
            for (Split s : t.splits()) {
                for (TaskItem i : t.items(s)) {
                    assertTrue(ids.add(i.id()), t.name() + ": id " + i.id() + " repeats");
                    assertTrue(contents.add(i.content()), t.name() + ": content of " + i.id() + " repeats");
                }
            }
            if (t instanceof ProxyTask.Retrieval r) {
                Set<String> passages = new HashSet<>();
                for (Split s : t.splits()) for (RetrievalItem i : r.items(s)) assertTrue(passages.add(i.passage()), t.name() + " " + i.id());
            }
        }
    }

    @Test
    void pairScoresSpreadOverTheScale() {
        ProxyTask.Pairs sts = (ProxyTask.Pairs) ALL.stream().filter(t -> t.name().equals("sts-pairs")).findFirst().orElseThrow();
        for (Split s : sts.splits()) {
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
            for (Split s : t.splits()) {
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
