package alloy.results;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.LinkOption;

/**
 * Writes one run directory in the layout every command shares (results/README.md): run.json, candidates.csv,
 * recipes/&lt;hash&gt;.yaml, and the kind-specific files the report draws. The writer owns its files: it
 * refuses a directory that already holds a run, and any path that would land outside the directory.
 *
 * <p>Each CSV row is flushed as it is written, so a run that is killed keeps every row it reported; run.json
 * is written at the start and again, with the finished time, by {@link #finish()} (both times by an atomic
 * rename, so it is never half written). A run closed without {@link #finish()} reads back as unfinished.
 *
 * <p>Methods are synchronized: a search may report candidates from several threads. I/O failures are thrown
 * as {@link UncheckedIOException}s naming the file, so that rows can be written from listeners and lambdas.
 */
public final class RunWriter implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Path dir;
    private RunInfo info;
    private final Map<String, BufferedWriter> open = new HashMap<>();
    /** The named columns of pareto.csv and checks.csv, as their first line fixed them. */
    private final Map<String, List<String>> namedColumns = new HashMap<>();
    private boolean finished, closed;

    private RunWriter(Path dir, RunInfo info) {
        this.dir = dir;
        this.info = info;
    }

    /**
     * Creates {@code dir} (and its parents) and writes run.json.
     *
     * @throws IllegalArgumentException when {@code dir} already holds a run (run.json, candidates.csv or another
     *                                  file of the layout), or is a file
     */
    public static RunWriter create(Path dir, RunInfo info) {
        if (info.finished().isPresent()) throw new IllegalArgumentException("run info for " + dir + " is already finished");
        Path abs = dir.toAbsolutePath().normalize();
        if (Files.exists(abs) && !Files.isDirectory(abs)) throw new IllegalArgumentException(dir + " is a file, not a results directory");
        for (String name : Layout.OWNED) {
            if (Files.exists(abs.resolve(name), LinkOption.NOFOLLOW_LINKS)) {
                throw new IllegalArgumentException(dir + " already holds a run (" + name + "); choose another output folder or remove it");
            }
        }
        try {
            Files.createDirectories(abs);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create results folder " + dir + ": " + e.getMessage(), e);
        }
        RunWriter w = new RunWriter(abs, info);
        w.writeRunJson();
        return w;
    }

    public Path dir() { return dir; }

    public synchronized RunInfo info() { return info; }

    /**
     * Stores a recipe as recipes/&lt;hash&gt;.yaml (once; a second call with the same text does nothing) and returns
     * its {@link RecipeHash}, for {@link CandidateRow#recipeHash()}.
     *
     * @param canonicalYaml the recipe as {@code RecipeYaml.write} prints it, so that equal recipes hash equal
     */
    public synchronized String recipe(String canonicalYaml) {
        return recipe(canonicalYaml, canonicalYaml);
    }

    /**
     * {@link #recipe(String)} with {@code fileYaml} as the file's text: the same recipe with its local model paths
     * written relative to {@link #recipesDir()}, so that the file merges as it stands, while the hash stays that
     * of {@code canonicalYaml}, which names the models as the spec did, so that runs made from specs in the same
     * place give a recipe the same hash wherever their run folders are.
     */
    public synchronized String recipe(String canonicalYaml, String fileYaml) {
        alive();
        String hash = RecipeHash.of(canonicalYaml);
        Path recipes = inside(Layout.RECIPES);
        Path file = inside(Layout.RECIPES + "/" + hash + ".yaml");
        try {
            if (Files.exists(file)) {
                if (!Files.readString(file).equals(fileYaml)) {
                    throw new IllegalStateException(file + " holds a different recipe with the same hash " + hash + " (a 48-bit collision); refusing to overwrite it");
                }
                return hash;
            }
            Files.createDirectories(recipes);
            atomicWrite(file, fileYaml);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
        return hash;
    }

    /** The folder that recipes are stored in (recipes/ in the run). */
    public Path recipesDir() { return dir.resolve(Layout.RECIPES); }

    /** Appends one line to candidates.csv. A non-empty recipe hash must have been stored by {@link #recipe} first. */
    public synchronized void candidate(CandidateRow r) {
        alive();
        if (!r.recipeHash().isEmpty() && !Files.exists(inside(Layout.RECIPES + "/" + r.recipeHash() + ".yaml"))) {
            throw new IllegalArgumentException("candidate " + r.candidate() + ": recipe " + r.recipeHash() + " was not stored; call recipe(yaml) first");
        }
        row(Layout.CANDIDATES, Layout.CANDIDATES_HEADER, List.of(r.candidate(), r.recipeHash(), r.method(), r.params(),
                r.split().id(), r.task(), r.metric(), Csv.number(r.value()), Csv.number(r.low()), Csv.number(r.high()),
                Integer.toString(r.n()), Csv.number(r.seconds())));
    }

    /** Appends one line to sweep.csv. */
    public synchronized void sweepPoint(SweepPoint p) {
        alive();
        row(Layout.SWEEP, Layout.SWEEP_HEADER, List.of(p.param(), Csv.number(p.value()), Csv.number(p.objective()), Boolean.toString(p.proposal())));
    }

    /** Writes fit.json (replacing an earlier fit of this run). */
    public synchronized void fit(SweepFit f) {
        alive();
        ObjectNode o = JSON.createObjectNode();
        o.put("param", f.param());
        o.put("a", f.a());
        o.put("b", f.b());
        o.put("c", f.c());
        o.put("r2", f.r2());
        if (f.vertex().isPresent()) o.put("vertex", f.vertex().getAsDouble()); else o.putNull("vertex");
        o.put("proposal", f.proposal());
        o.put("reason", f.reason());
        json(Layout.FIT, o);
    }

    /** Appends one line to generations.csv. */
    public synchronized void generation(Generation g) {
        alive();
        row(Layout.GENERATIONS, Layout.GENERATIONS_HEADER, List.of(Integer.toString(g.generation()), Integer.toString(g.evaluated()),
                Csv.number(g.best()), Csv.number(g.mean())));
    }

    /** Appends one line to coefficients.csv (the winning recipe's per-layer coefficients). */
    public synchronized void coefficient(Coefficient c) {
        alive();
        row(Layout.COEFFICIENTS, Layout.COEFFICIENTS_HEADER, List.of(Integer.toString(c.layer()), c.model(), c.parameter(), Csv.number(c.value())));
    }

    /**
     * Appends one line to pareto.csv. The first point fixes the columns (its objectives' names, in order); every
     * later point must have the same names.
     */
    public synchronized void paretoPoint(ParetoPoint p) {
        alive();
        namedRow(Layout.PARETO, List.of("candidate"), List.of(p.candidate()), p.objectives(), "pareto point " + p.candidate() + " has objectives");
    }

    /** Appends one line to loss.csv. */
    public synchronized void learnStep(LearnStep s) {
        alive();
        row(Layout.LOSS, Layout.LOSS_HEADER, List.of(Integer.toString(s.step()), Csv.number(s.trainingLoss()), Csv.number(s.gradientNorm()),
                Csv.number(s.seconds())));
    }

    /**
     * Appends one line to checks.csv. The first check fixes the set columns (its sets' names, in order); every
     * later check must have the same names.
     */
    public synchronized void learnCheck(LearnCheck c) {
        alive();
        namedRow(Layout.CHECKS, Layout.CHECKS_HEADER, List.of(Integer.toString(c.step()), Csv.number(c.stoppingLoss()), Boolean.toString(c.best())),
                c.bySet(), "early-stopping check " + c.step() + " has sets");
    }

    /**
     * One line of a file whose columns go on past {@code fixedHeader} with one number per name in {@code named}: the
     * first line fixes those names, in order, and a later line with other names is refused ({@code what} names it).
     */
    private void namedRow(String name, List<String> fixedHeader, List<String> fixedFields, Map<String, Double> named, String what) {
        List<String> names = List.copyOf(named.keySet());
        List<String> first = namedColumns.putIfAbsent(name, names);
        if (first != null && !first.equals(names)) throw new IllegalArgumentException(what + " " + names + ", but " + name + "'s columns are " + first);
        List<String> header = new ArrayList<>(fixedHeader);
        header.addAll(names);
        List<String> fields = new ArrayList<>(fixedFields);
        for (double v : named.values()) fields.add(Csv.number(v));
        row(name, header, fields);
    }

    /** Appends one line to soup.csv. */
    public synchronized void soupStep(SoupStep s) {
        alive();
        row(Layout.SOUP, Layout.SOUP_HEADER, List.of(Integer.toString(s.step()), s.model(), s.decision().id(), Csv.number(s.score()), s.metric()));
    }

    /**
     * Writes another file of the run (a winner.yaml, a summary) under {@code name}, a plain file name that is not
     * one of the layout's own.
     */
    public synchronized Path text(String name, String content) {
        alive();
        if (name.isBlank() || name.contains("/") || name.contains("\\") || name.equals(".") || name.equals("..")) {
            throw new IllegalArgumentException("\"" + name + "\" is not a plain file name inside " + dir);
        }
        if (Layout.OWNED.contains(name)) throw new IllegalArgumentException(name + " belongs to the results layout; the writer's own methods write it");
        Path file = inside(name);
        try {
            atomicWrite(file, content);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
        return file;
    }

    /** Records the finished time in run.json and closes the files. Further writes are refused. */
    public synchronized void finish() {
        alive();
        info = info.withFinished(Instant.now().isBefore(info.started()) ? info.started() : Instant.now());
        writeRunJson();
        finished = true;
        close();
    }

    /** Closes the files; without {@link #finish()} first, the run stays marked unfinished. */
    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        IOException first = null;
        for (Map.Entry<String, BufferedWriter> e : open.entrySet()) {
            try {
                e.getValue().close();
            } catch (IOException x) {
                if (first == null) first = x;
            }
        }
        open.clear();
        if (first != null) throw new UncheckedIOException("cannot close a file in " + dir + ": " + first.getMessage(), first);
    }

    public synchronized boolean finished() { return finished; }

    private void alive() {
        if (closed) throw new IllegalStateException("results of " + dir + " are " + (finished ? "finished" : "closed") + "; nothing more can be written");
    }

    /**
     * {@code relative} resolved in the run directory, refused when it would leave it (.., an absolute path) or
     * when the file there is a symbolic link, which could point anywhere.
     */
    private Path inside(String relative) {
        Path p = dir.resolve(relative).normalize();
        if (!p.startsWith(dir) || p.equals(dir)) throw new IllegalArgumentException("refusing to write " + relative + ": it is outside the results folder " + dir);
        for (Path q = p; q != null && !q.equals(dir); q = q.getParent()) {
            if (Files.isSymbolicLink(q)) throw new IllegalArgumentException("refusing to write through the symbolic link " + q + " in the results folder");
        }
        return p;
    }

    private void row(String name, List<String> header, List<String> fields) {
        Path file = inside(name);
        try {
            BufferedWriter w = open.get(name);
            if (w == null) {
                // CREATE_NEW: a file of this name that appeared since create() is someone else's; never append to it.
                w = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                open.put(name, w);
                w.write(Csv.line(header));
            }
            w.write(Csv.line(fields));
            w.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private void json(String name, ObjectNode node) {
        Path file = inside(name);
        try {
            atomicWrite(file, JSON.writeValueAsString(node) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    private void writeRunJson() {
        ObjectNode o = JSON.createObjectNode();
        o.put("format", Layout.FORMAT);
        o.put("kind", info.kind().id());
        ArrayNode cmd = o.putArray("command");
        info.command().forEach(cmd::add);
        ObjectNode in = o.putObject("inputs");
        info.inputs().forEach((k, v) -> {
            ArrayNode a = in.putArray(k);
            v.forEach(a::add);
        });
        ObjectNode m = o.putObject("metrics");
        info.metrics().forEach(m::put);
        if (info.seed().isPresent()) o.put("seed", info.seed().getAsLong()); else o.putNull("seed");
        o.put("started", info.started().toString());
        if (info.finished().isPresent()) o.put("finished", info.finished().get().toString()); else o.putNull("finished");
        o.put("alloy_version", info.alloyVersion());
        json(Layout.RUN, o);
    }

    /** Writes beside the target under a hidden name, then renames over it, so readers never see half a file. */
    private static void atomicWrite(Path file, String content) throws IOException {
        Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.UTF_8);
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
