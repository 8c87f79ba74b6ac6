package alloy.report;

import static org.junit.jupiter.api.Assertions.*;

import alloy.results.CandidateRow;
import alloy.results.Direction;
import alloy.results.Run;
import alloy.results.RunInfo;
import alloy.results.RunKind;
import alloy.results.RunReader;
import alloy.results.RunWriter;
import alloy.results.Split;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LeaderboardTest {

    @TempDir Path tmp;

    @Test
    void tiesShareTheAverageRankAndNaNComesLast() {
        double[] v = {0.5, 0.9, 0.5, Double.NaN, 0.7, 0.5, Double.NaN};
        assertArrayEquals(new double[] {4, 1, 4, 6.5, 2, 4, 6.5}, Leaderboard.ranks(v, Direction.HIGHER_IS_BETTER));
        assertArrayEquals(new double[] {2, 5, 2, 6.5, 4, 2, 6.5}, Leaderboard.ranks(v, Direction.LOWER_IS_BETTER));
        double[] r = Leaderboard.ranks(new double[] {3, 3, 3}, Direction.HIGHER_IS_BETTER);
        assertArrayEquals(new double[] {2, 2, 2}, r, "ranks still sum to n(n+1)/2");
        assertEquals(0, Leaderboard.ranks(new double[0], Direction.HIGHER_IS_BETTER).length);
    }

    private Run run(String id, RunKind kind, Map<String, String> metrics, List<CandidateRow> rows) {
        RunInfo info = RunInfo.start(kind, List.of("alloy", kind.id()));
        for (var e : metrics.entrySet()) info = info.withMetric(e.getKey(), e.getValue());
        try (RunWriter w = RunWriter.create(tmp.resolve(id), info)) {
            rows.forEach(w::candidate);
            w.finish();
        }
        return RunReader.read(tmp.resolve(id));
    }

    static CandidateRow r(String c, Split s, String task, String metric, double v) {
        return new CandidateRow(c, "", "model", c.equals("b") ? "w=[1,1], \"odd\"" : "", s, task, metric, v, v - 0.1, v + 0.1, 20, 1);
    }

    @Test
    void overallRankIsTheMeanTaskRankWithTiesAndGapsAndMissingTasksUnranked() {
        // a: best on t1, worst on t2 -> mean 2; b: 2nd and 2nd -> 2; c: 3rd and 1st -> 2; d: only t1.
        Run one = run("one", RunKind.EVAL, Map.of("t1", "acc", "t2", "ppl"), List.of(
                r("a", Split.HELDOUT, "t1", "acc", 0.9), r("a", Split.HELDOUT, "t2", "ppl", 30),
                r("a", Split.HELDOUT, "t1", "recall@1", 0.1), // another metric of t1: not ranked
                r("b", Split.HELDOUT, "t1", "acc", 0.8), r("b", Split.HELDOUT, "t2", "ppl", 20),
                r("c", Split.HELDOUT, "t1", "acc", 0.6), r("c", Split.HELDOUT, "t2", "ppl", 10),
                r("a", Split.SEARCH, "t1", "acc", 0.95)));
        Run two = run("two", RunKind.SWEEP, Map.of(), List.of(
                r("d", Split.HELDOUT, "t1", "acc", 0.7), r("e", Split.HELDOUT, "t1", "acc", 0.2), r("e", Split.HELDOUT, "t2", "ppl", 40),
                r("s", Split.SEARCH, "t1", "acc", 0.99)));
        Leaderboard.Result res = Leaderboard.build(List.of(one, two), Leaderboard.Options.defaults());
        assertEquals(List.of("t1", "t2"), res.tasks().stream().map(Leaderboard.TaskColumn::task).toList());
        assertEquals(List.of("acc", "ppl"), res.tasks().stream().map(Leaderboard.TaskColumn::metric).toList());
        assertEquals(Direction.LOWER_IS_BETTER, res.tasks().get(1).direction());
        List<Leaderboard.Entry> e = res.entries();
        assertEquals(List.of("a", "b", "c", "e", "d"), e.stream().map(Leaderboard.Entry::candidate).toList());
        // t1 over a,b,c,d,e: 1,2,4,3,5 ; t2 over a,b,c,e: 3,2,1,4 -> means a 2, b 2, c 2.5, e 4.5
        assertEquals(List.of(1, 1, 3, 4, 0), e.stream().map(Leaderboard.Entry::rank).toList(), "equal means share a rank; the next rank skips");
        assertEquals(2.0, e.get(0).meanRank());
        assertEquals(2.5, e.get(2).meanRank());
        assertEquals(3.0, e.get(4).cells().get("t1").rank(), "an unranked candidate still has its task rank");
        assertFalse(e.get(4).ranked());
        assertEquals(0.9, e.get(0).cells().get("t1").value(), "the held-out score, not the search one");
        assertTrue(res.notes().stream().anyMatch(n -> n.contains("1 candidate(s) lack a score")), res.notes().toString());
        assertTrue(res.notes().stream().anyMatch(n -> n.contains("1 candidate(s) have no heldout score")), res.notes().toString());

        Leaderboard.Result search = Leaderboard.build(List.of(one, two), new Leaderboard.Options(List.of("t1"), Split.SEARCH, Map.of(), 1));
        assertEquals(List.of("s", "a"), search.entries().stream().map(Leaderboard.Entry::candidate).toList());
        assertEquals(1, search.shown().size());
        assertTrue(search.notes().get(0).contains("SEARCH split"), "search-split ranks are labelled as such: " + search.notes());
        assertTrue(TerminalTable.render(search, 100, false).contains("SEARCH split"));

        Leaderboard.Result recall = Leaderboard.build(List.of(one), new Leaderboard.Options(List.of("t1"), Split.HELDOUT, Map.of("t1", "recall@1"), 0));
        assertEquals(List.of("a"), recall.entries().stream().map(Leaderboard.Entry::candidate).toList(), "--metric picks another metric");
    }

    @Test
    void aCandidateInSeveralRunsWithTheSameScoresIsOneRow() {
        // parent p is scored in both runs on the same items; q has the same name in both but other scores
        Run evolve = run("evolve", RunKind.EVOLVE, Map.of("t1", "acc"), List.of(
                r("p", Split.HELDOUT, "t1", "acc", 0.8), r("q", Split.HELDOUT, "t1", "acc", 0.5), r("w", Split.HELDOUT, "t1", "acc", 0.9)));
        Run soup = run("soup", RunKind.SOUP, Map.of("t1", "acc"), List.of(
                r("p", Split.HELDOUT, "t1", "acc", 0.8), r("q", Split.HELDOUT, "t1", "acc", 0.6)));
        Leaderboard.Result res = Leaderboard.build(List.of(evolve, soup), Leaderboard.Options.defaults());
        assertEquals(List.of("w", "p", "q", "q"), res.entries().stream().map(Leaderboard.Entry::candidate).toList());
        assertEquals("evolve, soup", res.entries().get(1).run());
        // ranks are over distinct candidates: w 1, p 2, q(0.6) 3, q(0.5) 4
        assertEquals(List.of(1, 2, 3, 4), res.entries().stream().map(Leaderboard.Entry::rank).toList());
        assertTrue(res.notes().stream().anyMatch(n -> n.startsWith("1 row(s) repeated a candidate")), res.notes().toString());
    }

    @Test
    void theCsvQuotesAndTheTerminalTableFitsAndIsPlainWhenPiped() throws Exception {
        Run one = run("one", RunKind.EVAL, Map.of(), List.of(r("a", Split.HELDOUT, "t1", "acc", 0.9), r("b", Split.HELDOUT, "t1", "acc", 0.8),
                r("a-candidate-with-a-very-long-name-that-goes-on-and-on", Split.HELDOUT, "t1", "acc", 0.7)));
        Leaderboard.Result res = Leaderboard.build(List.of(one), Leaderboard.Options.defaults());
        Path csv = tmp.resolve("lb.csv");
        res.writeCsv(csv);
        String text = Files.readString(csv);
        assertTrue(text.startsWith("rank,candidate,run,kind,method,params,recipe_hash,split,mean_rank,t1.acc.value,t1.acc.low,t1.acc.high,t1.acc.n,t1.acc.rank"), text);
        assertTrue(text.contains("\"w=[1,1], \"\"odd\"\"\""), "params with a comma and quotes stay one field: " + text);
        for (int width : new int[] {80, 120}) {
            String t = TerminalTable.render(res, width, false);
            assertFalse(t.contains("\u001b["), "no escape codes when piped");
            for (String line : t.split("\n")) assertTrue(line.length() <= width, width + ": " + line);
        }
        assertTrue(TerminalTable.render(res, 100, true).contains("\u001b[1m"), "bold on a terminal");
    }
}
