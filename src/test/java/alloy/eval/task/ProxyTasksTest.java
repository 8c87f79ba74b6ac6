package alloy.eval.task;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loader validation: every refusal is one line naming the file, the line and the key. */
class ProxyTasksTest {

    @TempDir Path tmp;

    private static final String CHOICE_MANIFEST = """
            {"name": "%s", "kind": "choice", "metric": "acc", "metrics": ["acc", "acc_norm"],
             "description": "test set", "splits": {"search": "search.jsonl", "heldout": "heldout.jsonl"}}
            """;

    private static final String GOOD_HELDOUT = """
            {"id": "h1", "context": "2+2=", "choices": ["4", "5"], "answer": 0}
            """;

    private Path choiceSet(String name, String search, String heldout) throws IOException {
        Path dir = tmp.resolve(name);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("manifest.json"), CHOICE_MANIFEST.formatted(name));
        Files.writeString(dir.resolve("search.jsonl"), search);
        Files.writeString(dir.resolve("heldout.jsonl"), heldout);
        return dir;
    }

    private TaskFormatException refused(Path dir) {
        TaskFormatException e = assertThrows(TaskFormatException.class, () -> ProxyTasks.load(dir));
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        return e;
    }

    private static void assertNames(TaskFormatException e, String file, int line, String key) {
        assertEquals(file, e.file().getFileName().toString(), e.getMessage());
        assertEquals(line, e.line(), e.getMessage());
        assertEquals(key, e.key(), e.getMessage());
        String where = line > 0 ? file + ":" + line + ": " : file + ": ";
        assertTrue(e.getMessage().contains(where), e.getMessage());
        if (key != null) assertTrue(e.getMessage().contains("key \"" + key + "\""), e.getMessage());
    }

    @Test
    void loadsAWellFormedSet() throws IOException {
        Path dir = choiceSet("ok", """
                {"id": "s1", "context": "1+1=", "choices": ["2", "3", "11"], "answer": 0}

                {"id": "s2", "context": "1+2=", "choices": ["2", "3"], "answer": 1}\r
                """, GOOD_HELDOUT);
        ProxyTask.Choice t = (ProxyTask.Choice) ProxyTasks.load(dir);
        assertEquals(2, t.items(Split.SEARCH).size());
        assertEquals("3", t.items(Split.SEARCH).get(1).correct());
        assertEquals(List.of("acc", "acc_norm"), t.manifest().metrics());
    }

    @Test
    void answerOutOfRange() throws IOException {
        TaskFormatException e = refused(choiceSet("range", """
                {"id": "s1", "context": "1+1=", "choices": ["2", "3"], "answer": 0}
                {"id": "s2", "context": "1+2=", "choices": ["2", "3"], "answer": 2}
                """, GOOD_HELDOUT));
        assertNames(e, "search.jsonl", 2, "answer");
        assertTrue(e.getMessage().contains("outside the 2 choices") && e.getMessage().contains("s2"), e.getMessage());
    }

    @Test
    void duplicateIdAcrossSplitsNamesBothPlaces() throws IOException {
        TaskFormatException e = refused(choiceSet("dup", """
                {"id": "h1", "context": "1+1=", "choices": ["2", "3"], "answer": 0}
                """, GOOD_HELDOUT));
        assertNames(e, "heldout.jsonl", 1, "id");
        assertTrue(e.getMessage().contains("first at search.jsonl:1"), e.getMessage());
    }

    @Test
    void duplicateContentWithinASplit() throws IOException {
        TaskFormatException e = refused(choiceSet("same", """
                {"id": "s1", "context": "1+1=", "choices": ["2", "3"], "answer": 0}
                {"id": "s2", "context": "1+1=", "choices": ["2", "4"], "answer": 0}
                """, GOOD_HELDOUT));
        assertNames(e, "search.jsonl", 2, "context");
    }

    @Test
    void missingUnknownAndMistypedKeys() throws IOException {
        assertNames(refused(choiceSet("missing", """
                {"id": "s1", "choices": ["2", "3"], "answer": 0}
                """, GOOD_HELDOUT)), "search.jsonl", 1, "context");
        assertNames(refused(choiceSet("unknown", """
                {"id": "s1", "context": "1+1=", "choices": ["2", "3"], "answer": 0, "anwser": 1}
                """, GOOD_HELDOUT)), "search.jsonl", 1, "anwser");
        assertNames(refused(choiceSet("type", """
                {"id": "s1", "context": "1+1=", "choices": ["2", "3"], "answer": "0"}
                """, GOOD_HELDOUT)), "search.jsonl", 1, "answer");
        assertNames(refused(choiceSet("blank", """
                {"id": " ", "context": "1+1=", "choices": ["2", "3"], "answer": 0}
                """, GOOD_HELDOUT)), "search.jsonl", 1, "id");
        assertNames(refused(choiceSet("repeated", """
                {"id": "s1", "context": "1+1=", "choices": ["2", "2"], "answer": 0}
                """, GOOD_HELDOUT)), "search.jsonl", 1, "choices");
    }

    @Test
    void invalidJsonAndEmptySplit() throws IOException {
        TaskFormatException bad = refused(choiceSet("json", """
                {"id": "s1", "context": "1+1=", "choices": ["2", "3"], "answer": 0}


                {"id": "s2", "context": "1+2=", "choices": ["2", "3"] "answer": 1}
                """, GOOD_HELDOUT));
        assertNames(bad, "search.jsonl", 4, null);
        assertTrue(bad.getMessage().contains("not valid JSON"), bad.getMessage());
        TaskFormatException empty = refused(choiceSet("empty", "\n\n", GOOD_HELDOUT));
        assertNames(empty, "search.jsonl", 0, null);
        assertTrue(empty.getMessage().contains("empty split"), empty.getMessage());
    }

    @Test
    void manifestProblemsNameTheManifestKey() throws IOException {
        Path dir = choiceSet("named", "{\"id\": \"s1\", \"context\": \"1+1=\", \"choices\": [\"2\", \"3\"], \"answer\": 0}\n", GOOD_HELDOUT);
        assertEquals("named", ProxyTasks.load(dir).name());
        Files.writeString(dir.resolve("manifest.json"), CHOICE_MANIFEST.formatted("other"));
        assertNames(refused(dir), "manifest.json", 0, "name");
        Files.writeString(dir.resolve("manifest.json"), CHOICE_MANIFEST.formatted("named").replace("\"acc\", \"acc_norm\"", "\"acc\", \"mrr\""));
        assertNames(refused(dir), "manifest.json", 0, "metrics");
        Files.writeString(dir.resolve("manifest.json"), CHOICE_MANIFEST.formatted("named").replace("\"choice\"", "\"quiz\""));
        assertNames(refused(dir), "manifest.json", 0, "kind");
        Files.writeString(dir.resolve("manifest.json"), CHOICE_MANIFEST.formatted("named").replace("\"test set\"", "\"t\", \"query_prefix\": \"query: \""));
        assertNames(refused(dir), "manifest.json", 0, "query_prefix");
        Files.writeString(dir.resolve("manifest.json"), CHOICE_MANIFEST.formatted("named").replace("heldout.jsonl", "nowhere.jsonl"));
        assertNames(refused(dir), "nowhere.jsonl", 0, null);
        Files.delete(dir.resolve("manifest.json"));
        assertNames(refused(dir), "manifest.json", 0, null);
    }

    @Test
    void generationNeedsItsLimits() throws IOException {
        Path dir = tmp.resolve("gen");
        Files.createDirectories(dir);
        String manifest = """
                {"name": "gen", "kind": "generation", "metric": "exact_match", "metrics": ["exact_match"],
                 "description": "d", "splits": {"search": "a.jsonl", "heldout": "b.jsonl"}, "max_tokens": 5, "stop": ["\\n"]}
                """;
        Files.writeString(dir.resolve("manifest.json"), manifest);
        Files.writeString(dir.resolve("a.jsonl"), "{\"id\": \"1\", \"prompt\": \"rev abc>\", \"answer\": \"cba\"}\n");
        Files.writeString(dir.resolve("b.jsonl"), "{\"id\": \"2\", \"prompt\": \"rev abd>\", \"answer\": \"dba\"}\n");
        ProxyTask.Generation g = (ProxyTask.Generation) ProxyTasks.load(dir);
        assertEquals(5, g.maxTokens());
        assertEquals(List.of("\n"), g.stop());
        Files.writeString(dir.resolve("manifest.json"), manifest.replace(", \"max_tokens\": 5", ""));
        assertNames(refused(dir), "manifest.json", 0, "max_tokens");
        Files.writeString(dir.resolve("manifest.json"), manifest.replace("\"max_tokens\": 5", "\"max_tokens\": 0"));
        assertNames(refused(dir), "manifest.json", 0, "max_tokens");
    }

    @Test
    void pairScoresMustBeOnTheScale() throws IOException {
        Path dir = tmp.resolve("pairs");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("manifest.json"), """
                {"name": "pairs", "kind": "pairs", "metric": "spearman", "metrics": ["spearman"],
                 "description": "d", "splits": {"search": "search.jsonl", "heldout": "heldout.jsonl"}}
                """);
        Files.writeString(dir.resolve("search.jsonl"), "{\"id\": \"1\", \"a\": \"x\", \"b\": \"y\", \"score\": 5.5}\n");
        Files.writeString(dir.resolve("heldout.jsonl"), "{\"id\": \"2\", \"a\": \"x\", \"b\": \"z\", \"score\": 1}\n");
        assertNames(refused(dir), "search.jsonl", 1, "score");
    }

    @Test
    void retrievalPoolsMayNotRepeatAPassage() throws IOException {
        Path dir = tmp.resolve("ret");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("manifest.json"), """
                {"name": "ret", "kind": "retrieval", "metric": "mrr", "metrics": ["recall@1", "mrr"],
                 "description": "d", "splits": {"search": "search.jsonl", "heldout": "heldout.jsonl"}}
                """);
        Files.writeString(dir.resolve("search.jsonl"), """
                {"id": "1", "query": "q1", "passage": "p"}
                {"id": "2", "query": "q2", "passage": "p"}
                """);
        Files.writeString(dir.resolve("heldout.jsonl"), "{\"id\": \"3\", \"query\": \"q3\", \"passage\": \"p\"}\n");
        assertNames(refused(dir), "search.jsonl", 2, "passage");
    }

    @Test
    void loadAllRefusesAFolderThatIsNotASet() throws IOException {
        choiceSet("good", "{\"id\": \"s1\", \"context\": \"1+1=\", \"choices\": [\"2\", \"3\"], \"answer\": 0}\n", GOOD_HELDOUT);
        assertEquals(1, ProxyTasks.loadAll(tmp).size());
        Files.createDirectories(tmp.resolve(".hidden"));
        assertEquals(1, ProxyTasks.loadAll(tmp).size());
        Files.createDirectories(tmp.resolve("stray"));
        TaskFormatException e = assertThrows(TaskFormatException.class, () -> ProxyTasks.loadAll(tmp));
        assertTrue(e.getMessage().contains("stray"), e.getMessage());
    }

    @Test
    void recordsCheckTheirInvariantsToo() {
        TaskManifest m = TaskManifest.standard("x", TaskKind.GENERATION, "d");
        GenerationItem a = new GenerationItem("a", "p", "q"), b = new GenerationItem("b", "p", "r");
        TaskItemException e = assertThrows(TaskItemException.class, () -> new ProxyTask.Generation(m, 4, List.of("\n"), List.of(a), List.of(b)));
        assertEquals("prompt", e.key());
        assertThrows(TaskItemException.class, () -> new ProxyTask.Generation(m, 4, List.of("\n"), List.of(a), List.of()));
        assertThrows(TaskItemException.class, () -> new ProxyTask.Perplexity(m, List.of(new TextItem("a", "t")), List.of(new TextItem("b", "u"))));
        assertEquals("answer", assertThrows(TaskItemException.class, () -> new ChoiceItem("c", "x", List.of("1", "2"), -1)).key());
        assertThrows(IllegalArgumentException.class, () -> Split.parse("test"));
        assertEquals(Split.HELDOUT, Split.parse("heldout"));
    }

    // ---- three splits, pools, domains, sizes ----------------------------------------------------------

    private static final String MIXED_MANIFEST = """
            {"name": "mixed", "kind": "retrieval", "metric": "mrr", "metrics": ["recall@1", "mrr"], "description": "d",
             "domains": ["code", "law"], "weighting": "domains", "provenance": "written for a test",
             "splits": {"search": "s.jsonl", "validation": "v.jsonl", "heldout": "h.jsonl"},
             "size": {"search": 2, "validation": 1, "heldout": 2}, "pool": {"search": 3, "validation": 1, "heldout": 3}}
            """;

    private Path mixedSet(String manifest, String search, String validation, String heldout) throws IOException {
        Path dir = tmp.resolve("mixed");
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("manifest.json"), manifest);
        Files.writeString(dir.resolve("s.jsonl"), search);
        Files.writeString(dir.resolve("v.jsonl"), validation);
        Files.writeString(dir.resolve("h.jsonl"), heldout);
        return dir;
    }

    private static final String MIXED_SEARCH = """
            {"id": "s1", "query": "undo a commit", "passage": "git reset moves the branch back", "domain": "code"}
            {"id": "s2", "query": "deposit back", "passage": "landlords must return deposits", "domain": "law"}
            {"id": "s1~near", "passage": "git revert adds an inverse commit", "domain": "code"}
            """;
    private static final String MIXED_VALIDATION = """
            {"id": "v1", "query": "sort a list", "passage": "sorted returns a new list", "domain": "code"}
            """;
    private static final String MIXED_HELDOUT = """
            {"id": "h1", "query": "notice to quit", "passage": "a month's notice ends the lease", "domain": "law"}
            {"id": "h2", "query": "slow query", "passage": "an index avoids the scan", "domain": "code"}
            {"id": "h1~near", "passage": "rent rises need notice", "domain": "law"}
            """;

    @Test
    void threeSplitsPoolPassagesAndDomainsLoad() throws IOException {
        ProxyTask.Retrieval r = (ProxyTask.Retrieval) ProxyTasks.load(mixedSet(MIXED_MANIFEST, MIXED_SEARCH, MIXED_VALIDATION, MIXED_HELDOUT));
        assertEquals(List.of(Split.SEARCH, Split.VALIDATION, Split.HELDOUT), r.splits());
        assertEquals(5, r.size());
        assertEquals(List.of("git revert adds an inverse commit"), r.pool(Split.SEARCH).stream().map(PoolPassage::passage).toList());
        assertEquals(List.of(), r.pool(Split.VALIDATION));
        assertEquals(3, r.passages(Split.SEARCH).size());
        assertEquals("git reset moves the branch back", r.passages(Split.SEARCH).getFirst());
        assertEquals("law", r.items(Split.HELDOUT).getFirst().domain());
        assertEquals(Weighting.DOMAINS, r.manifest().weighting());
        assertEquals("written for a test", r.manifest().provenance());
        assertEquals(3, r.manifest().pools().get(Split.HELDOUT));
        assertEquals(Weighting.ITEMS, r.withWeighting(Weighting.ITEMS).manifest().weighting());
    }

    @Test
    void threeSplitSetsWriteAndReadBack() throws IOException {
        ProxyTask t = ProxyTasks.load(mixedSet(MIXED_MANIFEST, MIXED_SEARCH, MIXED_VALIDATION, MIXED_HELDOUT));
        Path copy = tmp.resolve("copy").resolve("mixed");
        ProxyTasks.write(copy, t);
        assertEquals(t, ProxyTasks.load(copy));
        assertTrue(Files.readString(copy.resolve("s.jsonl")).contains("{\"id\":\"s1~near\",\"passage\":\"git revert adds an inverse commit\",\"domain\":\"code\"}"));
    }

    @Test
    void aTwoSplitSetHasNoValidationItems() throws IOException {
        ProxyTask t = ProxyTasks.load(choiceSet("two", "{\"id\": \"s1\", \"context\": \"1+1=\", \"choices\": [\"2\", \"3\"], \"answer\": 0}\n", GOOD_HELDOUT));
        assertEquals(List.of(Split.SEARCH, Split.HELDOUT), t.splits());
        assertFalse(t.has(Split.VALIDATION));
        assertEquals(List.of(), t.items(Split.VALIDATION));
        assertEquals(Map.of(Split.SEARCH, 1, Split.HELDOUT, 1), t.manifest().sizes(), "sizes filled in when the manifest does not state them");
    }

    @Test
    void domainsMustBeDeclaredAndGivenWhenThereAreSeveral() throws IOException {
        assertNames(refused(mixedSet(MIXED_MANIFEST, MIXED_SEARCH.replace("\"domain\": \"law\"", "\"domain\": \"medicine\""), MIXED_VALIDATION,
                MIXED_HELDOUT)), "s.jsonl", 2, "domain");
        assertNames(refused(mixedSet(MIXED_MANIFEST, MIXED_SEARCH, MIXED_VALIDATION.replace(", \"domain\": \"code\"", ""), MIXED_HELDOUT)),
                "v.jsonl", 1, "domain");
        // One declared domain: lines may leave it out and items take it.
        String one = MIXED_MANIFEST.replace("\"domains\": [\"code\", \"law\"], \"weighting\": \"domains\",", "\"domains\": [\"code\"],");
        String noDomains = MIXED_SEARCH.replace(", \"domain\": \"code\"", "").replace(", \"domain\": \"law\"", "");
        ProxyTask t = ProxyTasks.load(mixedSet(one, noDomains, MIXED_VALIDATION, MIXED_HELDOUT.replace("\"domain\": \"law\"", "\"domain\": \"code\"")));
        assertEquals("code", t.items(Split.SEARCH).get(1).domain());
        // Domain weighting needs at least two domains.
        assertNames(refused(mixedSet(one.replace("\"provenance\"", "\"weighting\": \"domains\", \"provenance\""), noDomains, MIXED_VALIDATION,
                MIXED_HELDOUT)), "manifest.json", 0, "weighting");
    }

    @Test
    void statedSizesMustMatchTheFiles() throws IOException {
        assertNames(refused(mixedSet(MIXED_MANIFEST.replace("\"validation\": 1, \"heldout\": 2}", "\"validation\": 1, \"heldout\": 3}"),
                MIXED_SEARCH, MIXED_VALIDATION, MIXED_HELDOUT)), "manifest.json", 0, "size");
        assertNames(refused(mixedSet(MIXED_MANIFEST.replace("\"pool\": {\"search\": 3", "\"pool\": {\"search\": 2"),
                MIXED_SEARCH, MIXED_VALIDATION, MIXED_HELDOUT)), "manifest.json", 0, "pool");
    }

    @Test
    void aPoolPassageMayNotRepeatAnItemsPassageOrId() throws IOException {
        assertNames(refused(mixedSet(MIXED_MANIFEST, MIXED_SEARCH.replace("git revert adds an inverse commit", "git reset moves the branch back"),
                MIXED_VALIDATION, MIXED_HELDOUT)), "s.jsonl", 3, "passage");
        assertNames(refused(mixedSet(MIXED_MANIFEST, MIXED_SEARCH.replace("\"s1~near\"", "\"s2\""), MIXED_VALIDATION, MIXED_HELDOUT)),
                "s.jsonl", 3, "id");
        assertNames(refused(mixedSet(MIXED_MANIFEST, MIXED_SEARCH.replace("\"passage\": \"git revert", "\"note\": \"x\", \"passage\": \"git revert"),
                MIXED_VALIDATION, MIXED_HELDOUT)), "s.jsonl", 3, "note");
        assertNames(refused(mixedSet(MIXED_MANIFEST, MIXED_SEARCH, "{\"id\": \"v0\", \"passage\": \"only a pool\", \"domain\": \"code\"}\n",
                MIXED_HELDOUT)), "v.jsonl", 0, null);
    }

    @Test
    void validationIsAKnownSplitName() throws IOException {
        assertEquals(Split.VALIDATION, Split.parse("validation"));
        assertNames(refused(mixedSet(MIXED_MANIFEST.replace("\"validation\": \"v.jsonl\"", "\"dev\": \"v.jsonl\""),
                MIXED_SEARCH, MIXED_VALIDATION, MIXED_HELDOUT)), "manifest.json", 0, "splits");
    }
}
