package alloy.report;

import static org.junit.jupiter.api.Assertions.*;

import alloy.cli.Main;
import alloy.results.Run;
import alloy.results.RunReader;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Renders leaderboard.html in headless Chromium (Debian's chromium, as .ci/run installs it) and checks the DOM
 * the browser built: every candidate is a row of the table, and every plot has one mark per data point of the
 * runs it draws. Skips, saying so, only where no Chromium can be found.
 *
 * <p>{@code -Dalloy.screenshot=docs/leaderboard.png} also saves a screenshot of the page's top (the README's).
 */
class LeaderboardBrowserTest {

    @TempDir Path tmp;

    static Optional<Path> chromium() {
        List<Path> candidates = new ArrayList<>();
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            for (String name : List.of("chromium", "chromium-browser")) candidates.add(Path.of(dir, name));
        }
        candidates.add(Path.of("/usr/bin/chromium"));
        return candidates.stream().filter(Files::isExecutable).findFirst();
    }

    /** Chromium as the project's checks run it: headless, as root (no sandbox), no network chatter, a fresh profile. */
    private String runChromium(Path chrome, List<String> args, Path stdout) throws IOException, InterruptedException {
        Path profile = Files.createTempDirectory(tmp, "chromium-profile");
        List<String> cmd = new ArrayList<>(List.of(chrome.toString(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-extensions",
                "--user-data-dir=" + profile));
        cmd.addAll(args);
        Process p = new ProcessBuilder(cmd).redirectOutput(stdout.toFile()).redirectError(tmp.resolve("chromium.err").toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("chromium did not finish in 120 s: " + cmd);
        }
        String out = Files.readString(stdout);
        if (p.exitValue() != 0) fail("chromium exited " + p.exitValue() + ": " + Files.readString(tmp.resolve("chromium.err")));
        return out;
    }

    @Test
    void theRenderedPageHasEveryCandidateAndEveryMark() throws Exception {
        Optional<Path> chrome = chromium();
        if (chrome.isEmpty()) {
            System.err.println("SKIPPED LeaderboardBrowserTest: no chromium on PATH or at /usr/bin/chromium (apt-get install chromium; .ci/run does it as root)");
        }
        Assumptions.assumeTrue(chrome.isPresent(), "no chromium on PATH or at /usr/bin/chromium");

        List<Path> dirs = ReportFixtures.writeAll(tmp.resolve("results"));
        Path out = tmp.resolve("board");
        assertEquals(0, Main.run("leaderboard", tmp.resolve("results").toString(), "--tasks", "skill-add,skill-reverse", "--out", out.toString()));
        Path html = out.resolve("leaderboard.html");
        String dom = runChromium(chrome.get(), List.of("--dump-dom", html.toUri().toString()), tmp.resolve("dom.html"));
        assertTrue(dom.contains("<table id=\"leaderboard\""), "the browser built the table: " + dom.substring(0, Math.min(300, dom.length())));

        List<Run> runs = dirs.stream().map(RunReader::read).toList();
        // Every (run, candidate) with a held-out score on either task is a row; the BGE sweep's tasks are other ones.
        Set<String> tasks = Set.of("skill-add", "skill-reverse");
        Set<PageDom.Row> expected = new LinkedHashSet<>();
        Set<List<String>> cells = new LinkedHashSet<>();
        for (Run r : runs) {
            for (var c : r.candidates()) {
                if (c.split() != alloy.results.Split.HELDOUT || !tasks.contains(c.task())) continue;
                expected.add(new PageDom.Row(c.candidate(), r.id()));
                if (!Double.isNaN(c.value())) cells.add(List.of(r.id(), c.candidate(), c.task()));
            }
        }
        List<PageDom.Row> rows = PageDom.rows(dom);
        assertEquals(expected, new LinkedHashSet<>(rows), "table rows");
        assertEquals(expected.size(), rows.size(), "no row twice");

        List<PageDom.Figure> figs = PageDom.figures(dom);
        Run eval = runs.get(0), linear = runs.get(1), slerp = runs.get(2), evolve = runs.get(3), soup = runs.get(4), learn = runs.get(5);
        PageDom.Figure board = one(figs, "leaderboard", "");
        assertEquals(cells.size(), board.marks(), "leaderboard: one point per candidate and task scored");
        assertEquals(board.marks(), board.whiskers(), "each point has its interval whisker");
        for (Run sweep : List.of(linear, slerp)) {
            PageDom.Figure f = one(figs, "sweep", sweep.id());
            assertEquals(sweep.sweep().stream().filter(p -> !p.proposal()).count(), f.marks("sampled"), sweep.id());
            assertEquals(sweep.sweep().stream().filter(p -> p.proposal()).count(), f.marks("proposal"), sweep.id());
        }
        PageDom.Figure gens = one(figs, "evolve", evolve.id());
        assertEquals(evolve.generations().size(), gens.marks("best"));
        assertEquals(evolve.generations().size(), gens.marks("mean"));
        List<PageDom.Figure> heat = figs.stream().filter(f -> f.plot().equals("coefficients")).toList();
        assertEquals(2, heat.size(), "one heatmap per parameter (weight, density)");
        assertEquals(evolve.coefficients().size(), heat.stream().mapToInt(PageDom.Figure::marks).sum(), "one cell per layer x model x parameter");
        PageDom.Figure pareto = one(figs, "pareto", evolve.id());
        assertEquals(evolve.pareto().size(), pareto.marks("front"));
        assertTrue(pareto.marks("evaluated") > 0, "the front is drawn among everything the search scored");
        PageDom.Figure soupFig = one(figs, "soup", soup.id());
        assertEquals(soup.soup().size(), soupFig.marks());
        assertEquals(3, soupFig.marks("reject"));
        assertEquals(1, soupFig.marks("accept"));
        assertEquals(1, soupFig.marks("start"));
        PageDom.Figure curve = one(figs, "learn", learn.id());
        assertEquals(learn.learning().size(), curve.marks("training loss"));
        assertEquals(learn.checks().size(), curve.marks("early-stopping loss"));
        assertEquals(1, curve.marks("kept"), "the kept check is marked");
        assertEquals(9, figs.size(), "leaderboard, 2 sweeps, evolve, learning curve, 2 heatmaps, pareto, soup = " + figs.stream().map(PageDom.Figure::plot).toList());
        for (PageDom.Figure f : figs) {
            assertTrue(f.svg().contains("<svg"), f.plot() + " has its svg inline");
            assertTrue(f.svg().contains("<text"), f.plot() + " has axis labels as text");
        }
        assertEquals(0, eval.warnings().size());

        // The README's picture: the same runs with the table cut to the first 8, so the plots come into view.
        String shot = System.getProperty("alloy.screenshot", "");
        Path png = shot.isBlank() ? tmp.resolve("leaderboard.png") : Path.of(shot).toAbsolutePath();
        Path top = tmp.resolve("board-top");
        assertEquals(0, Main.run("leaderboard", tmp.resolve("results").toString(), "--tasks", "skill-add,skill-reverse", "--top", "8", "--out", top.toString()));
        Files.createDirectories(png.getParent());
        runChromium(chrome.get(), List.of("--hide-scrollbars", "--window-size=960,1250", "--screenshot=" + png, top.resolve("leaderboard.html").toUri().toString()),
                tmp.resolve("shot.out"));
        assertTrue(Files.size(png) > 10_000, "a screenshot with something on it");
        byte[] head = Files.readAllBytes(png);
        assertEquals((byte) 0x89, head[0]);
        assertEquals("PNG", new String(head, 1, 3, StandardCharsets.US_ASCII));
    }

    private static PageDom.Figure one(List<PageDom.Figure> figs, String plot, String run) {
        List<PageDom.Figure> f = figs.stream().filter(x -> x.plot().equals(plot) && x.run().equals(run)).toList();
        assertEquals(1, f.size(), "one " + plot + " figure for run '" + run + "', found " + figs.stream().map(x -> x.plot() + "/" + x.run()).toList());
        return f.get(0);
    }
}
