package alloy.report;

import static org.junit.jupiter.api.Assertions.*;

import alloy.results.CandidateRow;
import alloy.results.Run;
import alloy.results.RunInfo;
import alloy.results.RunKind;
import alloy.results.RunReader;
import alloy.results.RunWriter;
import alloy.results.Split;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The page as Alloy writes it, without a browser: structure, marks, escaping, nothing fetched. */
class HtmlReportTest {

    @TempDir Path tmp;

    @Test
    void everyFigureHasOneMarkPerDataPointAndNothingIsFetched() {
        List<Run> runs = ReportFixtures.writeAll(tmp).stream().map(RunReader::read).toList();
        Leaderboard.Result r = Leaderboard.build(runs, new Leaderboard.Options(List.of("skill-add", "skill-reverse"), Split.HELDOUT, java.util.Map.of(), 0));
        String html = HtmlReport.render(r, runs, Instant.EPOCH);
        List<Plots.Figure> made = HtmlReport.figures(r, runs);
        List<PageDom.Figure> found = PageDom.figures(html);
        assertEquals(made.size(), found.size());
        for (int i = 0; i < made.size(); i++) {
            assertEquals(made.get(i).plot(), found.get(i).plot());
            assertEquals(made.get(i).marks(), found.get(i).marks(), made.get(i).plot() + " " + made.get(i).run());
            assertTrue(found.get(i).marks() > 0, made.get(i).plot());
        }
        assertEquals(r.entries().size(), PageDom.rows(html).size());
        String lower = html.toLowerCase(java.util.Locale.ROOT);
        for (String fetch : List.of("<script", "<link", "<img", "@import", "src=", "href=\"http", "url(http")) {
            assertFalse(lower.contains(fetch), "the page must not fetch anything: found " + fetch);
        }
        // Clip paths are per chart, so that charts on one page never clip each other.
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("<clipPath id='([^']+)'").matcher(html);
        java.util.Set<String> ids = new java.util.HashSet<>();
        while (m.find()) assertTrue(ids.add(m.group(1)), "duplicate id " + m.group(1));
    }

    @Test
    void namesAreEscaped() {
        RunInfo info = RunInfo.start(RunKind.EVAL, List.of("alloy", "eval", "<b>"));
        try (RunWriter w = RunWriter.create(tmp.resolve("esc"), info)) {
            w.candidate(CandidateRow.model("<img src=x onerror=alert(1)>\"&'", Split.HELDOUT, "t", "acc", 0.5, 0.4, 0.6, 10, 1));
            w.finish();
        }
        Run run = RunReader.read(tmp.resolve("esc"));
        Leaderboard.Result r = Leaderboard.build(List.of(run), Leaderboard.Options.defaults());
        String html = HtmlReport.render(r, List.of(run), Instant.EPOCH);
        assertFalse(html.contains("<img"), "markup in a name is text");
        assertTrue(html.contains("&lt;img src=x onerror=alert(1)&gt;&quot;&amp;&#39;"));
        assertEquals(List.of(new PageDom.Row("<img src=x onerror=alert(1)>\"&'", "esc")), PageDom.rows(html));
    }
}
