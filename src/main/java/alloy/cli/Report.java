package alloy.cli;

import alloy.eval.TaskResult;
import alloy.eval.stats.Score;
import alloy.recipe.RecipeYaml;
import alloy.search.Evolution;
import alloy.search.MergeCodec;
import alloy.search.SearchSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** What an evolve run leaves beside its journal, and what it prints at the end. */
final class Report {

    private Report() {}

    static void write(Path dir, SearchSpec spec, MergeCodec codec, int layers, Evolution.Result r) throws IOException {
        StringBuilder gens = new StringBuilder("generation,scored,best,mean,seconds\n");
        for (Evolution.Generation g : r.generations()) {
            gens.append(String.format(Locale.ROOT, "%d,%d,%.6f,%.6f,%.1f%n", g.generation(), g.scored(), g.best(), g.mean(), g.seconds()));
        }
        Files.writeString(dir.resolve("generations.csv"), gens);
        StringBuilder el = new StringBuilder("rank,label,search_objective\n");
        int k = 1;
        for (Evolution.Scored e : r.elites()) el.append(String.format(Locale.ROOT, "%d,%s,%.6f%n", k++, csv(e.label()), e.objective()));
        Files.writeString(dir.resolve("elites.csv"), el);
        if (r.winner().recipe() != null) {
            Files.writeString(dir.resolve("winner.yaml"), "# winner of alloy evolve (" + r.winner().label() + "), search objective "
                    + String.format(Locale.ROOT, "%.4f", r.winner().objective()) + "\n" + RecipeYaml.write(r.winner().recipe()));
            StringBuilder co = new StringBuilder("layer,model,parameter,value\n");
            for (Evolution.Coefficient c : Evolution.coefficients(r.winner().recipe(), codec, layers)) {
                co.append(String.format(Locale.ROOT, "%d,%s,%s,%.4f%n", c.layer(), csv(c.model()), csv(c.parameter()), c.value()));
            }
            Files.writeString(dir.resolve("coefficients.csv"), co);
        }
        if (r.stopped()) return;
        StringBuilder ho = new StringBuilder("candidate,task,metric,value,lower,upper,n\n");
        for (var e : r.heldout().entrySet()) {
            for (TaskResult t : e.getValue()) {
                Score s = t.primary();
                ho.append(String.format(Locale.ROOT, "%s,%s,%s,%.6f,%.6f,%.6f,%d%n", csv(e.getKey()), t.task(), s.metric(), s.value(), s.lower(), s.upper(), s.n()));
            }
        }
        Files.writeString(dir.resolve("heldout.csv"), ho);
        StringBuilder cmp = new StringBuilder("against,task,metric,mean_diff,lower,upper,bootstrap_p,wins,losses,ties,sign_p,verdict\n");
        for (Evolution.Comparison c : r.comparisons()) {
            var t = c.test();
            cmp.append(String.format(Locale.ROOT, "%s,%s,%s,%.6f,%.6f,%.6f,%.4f,%d,%d,%d,%.4f,%s%n", csv(c.against()), c.task(), t.metric(), t.meanDiff(),
                    t.lower(), t.upper(), t.bootstrapP(), t.wins(), t.losses(), t.ties(), t.signTestP(), t.significant() ? "real" : "within noise"));
        }
        Files.writeString(dir.resolve("comparisons.csv"), cmp);
    }

    static void print(Evolution.Result r, SearchSpec spec, Path dir) {
        System.out.println();
        System.out.println("objective: " + r.objective().describe());
        System.out.println("baselines (search split):");
        for (Evolution.Scored b : r.baselines()) {
            System.out.printf(Locale.ROOT, "  %-32s objective %.4f%s%n", shorten(b.label()), b.objective(), EvolveCommand.scores(b.search()));
        }
        System.out.printf(Locale.ROOT, "elites of the final generation (search split), winner chosen on the %s split:%n", r.selection());
        for (Evolution.Scored e : r.elites()) {
            System.out.printf(Locale.ROOT, "  %-32s objective %.4f%s%s%n", shorten(e.label()), e.objective(), EvolveCommand.scores(e.search()),
                    e == r.winner() ? "  <- winner" : "");
        }
        if (r.stopped()) {
            System.out.printf(Locale.ROOT, "stopped after %d candidates; best so far: %s (search objective %.4f). Continue with: scripts/alloy evolve --resume %s%n",
                    r.scored(), r.winner().label(), r.winner().objective(), dir);
            return;
        }
        System.out.println("held-out split (never used to choose), 95% bootstrap intervals:");
        for (Map.Entry<String, List<TaskResult>> e : r.heldout().entrySet()) {
            System.out.printf(Locale.ROOT, "  %-32s%s%n", shorten(e.getKey()), EvolveCommand.scores(e.getValue()));
        }
        System.out.println("winner vs each parent and the uniform merge (held-out, paired on the same items; the paired bootstrap decides, the sign test is shown beside it):");
        for (Evolution.Comparison c : r.comparisons()) {
            System.out.printf(Locale.ROOT, "  vs %-28s %-22s %s%n", shorten(c.against()), c.task(), c.test().verdict("it", "winner"));
        }
        System.out.printf(Locale.ROOT, "%d candidates scored; wrote %s (winner.yaml, journal.jsonl, generations.csv, coefficients.csv, heldout.csv, comparisons.csv)%n",
                r.scored(), dir);
    }

    /** Maven coordinates and long paths are long: keep the tail that tells models apart. */
    static String shorten(String s) {
        String t = s.replaceFirst("^maven:dev\\.langchain4j:langchain4j-embeddings-", "").replaceFirst(":[0-9][^:]*$", "");
        if (t.contains("/")) t = Path.of(t).getFileName().toString();
        return t.length() <= 32 ? t : "..." + t.substring(t.length() - 29);
    }

    static String csv(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
