package alloy.cli;

import alloy.eval.TaskResult;
import alloy.eval.stats.Score;
import alloy.eval.task.ProxyTask;
import alloy.io.onnx.MavenModels;
import alloy.recipe.ParameterSetting;
import alloy.recipe.Recipe;
import alloy.recipe.RecipeYaml;
import alloy.results.CandidateRow;
import alloy.results.RunInfo;
import alloy.results.RunKind;
import alloy.results.RunWriter;
import alloy.results.Split;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.Model.CommandSpec;
import alloy.merge.MergeMethods;
import alloy.merge.ParamSpec;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.function.UnaryOperator;

/** Scores as rows of the common results layout ({@code alloy.results}), for every command that scores. */
final class Runs {

    private Runs() {}

    /** run.json's description of this command: its kind, its arguments as given, the tasks and their primary metrics. */
    static RunInfo info(RunKind kind, CommandSpec spec, List<ProxyTask> tasks) {
        // a subcommand's parse result holds the whole command line, its own name included
        List<String> cmd = new ArrayList<>(List.of("alloy"));
        List<String> args = spec.commandLine().getParseResult().originalArgs();
        if (args.isEmpty() || !args.get(0).equals(spec.name())) cmd.add(spec.name());
        cmd.addAll(args);
        RunInfo info = RunInfo.start(kind, cmd).withInput("tasks", tasks.stream().map(ProxyTask::name).toList());
        for (ProxyTask t : tasks) info = info.withMetric(t.name(), t.manifest().metric());
        return info;
    }

    /**
     * {@code r} as a file in {@code dir} writes it: every model, base and tokenizer source that is a local path
     * relative to the recipe's folder renamed relative to {@code dir}, so that the file merges as it stands
     * (recipes resolve paths against their own folder) wherever the run folder sits beside the file it was
     * made from. Maven coordinates, Hugging Face ids, absolute paths and stage names stay as they are.
     */
    static Recipe relocated(Recipe r, Path dir) {
        Path from = r.folder().toAbsolutePath().normalize(), to = dir.toAbsolutePath().normalize();
        UnaryOperator<String> move = ref -> {
            if (ref.startsWith(MavenModels.PREFIX) || r.stageNames().contains(ref)) return ref;
            Path p;
            try {
                p = Path.of(ref);
            } catch (InvalidPathException e) {
                return ref;
            }
            if (p.isAbsolute() || !Files.exists(from.resolve(p))) return ref;
            return to.relativize(from.resolve(p).normalize()).toString().replace(File.separatorChar, '/');
        };
        List<Recipe.Stage> stages = r.stages().stream().map(st -> new Recipe.Stage(st.name(), relocated(st.recipe(), dir))).toList();
        return new Recipe(r.mergeMethod(), r.baseModel().map(move), r.models().stream().map(m -> new Recipe.InputModel(move.apply(m.model()), m.parameters())).toList(),
                r.slices().stream().map(sl -> new Recipe.OutputSlice(sl.sources().stream()
                        .map(x -> new Recipe.InputSlice(move.apply(x.model()), x.from(), x.to(), x.parameters())).toList(), sl.parameters())).toList(),
                r.parameters(), r.dtype(), r.outDtype(), r.tokenizerSource().map(t -> t.equals("base") || t.equals("union") ? t : move.apply(t)), dir, stages);
    }

    /**
     * A recipe file's header line saying the seed its DARE/DELLA masks were drawn with when scored, when that is
     * not the seed {@code alloy merge} and {@code alloy eval} use unless told (0); empty otherwise.
     */
    static String maskSeedNote(long randomSeed) {
        return randomSeed == 0 ? "" : "# scored with DARE/DELLA masks drawn from seed " + randomSeed + ": merge or score it with --random-seed "
                + randomSeed + " to get the same model\n";
    }

    /** Writes the recipe (when there is one) and one row per task and metric; returns the recipe's hash ("" for a model). */
    static String scores(RunWriter w, String candidate, Recipe recipe, String params, alloy.eval.task.Split split,
                         List<TaskResult> results, double seconds) {
        // hashed as the spec names its models, stored naming them from recipes/ so that the file merges as it stands
        String hash = recipe == null ? "" : w.recipe(RecipeYaml.write(recipe), RecipeYaml.write(relocated(recipe, w.recipesDir())));
        String method = recipe == null ? "model" : recipe.mergeMethod();
        String summary = params != null ? params : recipe == null ? "" : params(recipe);
        String name = recipe == null ? Report.shorten(candidate) : candidate;
        for (TaskResult r : results) {
            for (Score s : r.metrics().values()) {
                w.candidate(new CandidateRow(name, hash, method, summary, Split.parse(split.key()), r.task(), s.metric(), s.value(),
                        s.lower(), s.upper(), s.n(), seconds / Math.max(1, results.size())));
            }
        }
        return hash;
    }

    /** A short summary of a recipe's values: {@code expert-add: weight=[0.91, 0.4] density=0.7; ...; lambda=1}. */
    static String params(Recipe r) {
        // the method's flags (normalize, rescale, ...) print as true/false, as in the recipe, not as 1/0
        Set<String> flags = new HashSet<>();
        try {
            var method = MergeMethods.get(r.mergeMethod());
            for (var ps : method.parameters()) if (ps.kind() == ParamSpec.Kind.FLAG) flags.add(ps.name());
            for (var ps : method.tensorParameters()) if (ps.kind() == ParamSpec.Kind.FLAG) flags.add(ps.name());
        } catch (RuntimeException unknownMethod) {
            // a recipe that got this far has a known method; numbers as written otherwise
        }
        List<String> parts = new ArrayList<>();
        for (Recipe.Stage st : r.stages()) parts.add(st.name() + " = {" + params(st.recipe()) + "}");
        for (Recipe.InputModel m : r.models()) {
            if (m.parameters().isEmpty()) continue;
            parts.add(Report.shorten(m.model()) + ": " + values(m.parameters(), flags));
        }
        Map<String, ParameterSetting> global = r.parameters();
        if (!global.isEmpty()) parts.add(values(global, flags));
        return String.join("; ", parts);
    }

    private static String values(Map<String, ParameterSetting> ps, Set<String> flags) {
        return ps.entrySet().stream().map(e -> e.getKey() + "=" + (flags.contains(e.getKey()) && e.getValue() instanceof ParameterSetting.Scalar sc
                ? String.valueOf(sc.value() != 0) : value(e.getValue()))).collect(Collectors.joining(" "));
    }

    private static String value(ParameterSetting s) {
        return switch (s) {
            case ParameterSetting.Scalar sc -> num(sc.value());
            case ParameterSetting.Gradient g -> Arrays.stream(g.anchors()).mapToObj(Runs::num).collect(Collectors.joining(", ", "[", "]"));
            case ParameterSetting.Filtered f -> f.conditions().stream()
                    .map(c -> (c.filter() == null ? "*" : c.filter()) + ":" + value(c.value())).collect(Collectors.joining(" ", "{", "}"));
        };
    }

    private static String num(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.3g", v);
    }

    static Path defaultDir(String prefix, String name) {
        return Path.of("results", prefix + "-" + name.replaceAll("[^A-Za-z0-9_.-]+", "_"));
    }
}
