package alloy.results;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads a run directory written by {@link RunWriter} (or by hand, in the same layout) and checks it on the way:
 * every problem is one {@link ResultsFileException} naming the file, the line and the field.
 *
 * <p>One thing is forgiven: in a run that never finished, a last CSV row with no line break after it (the run
 * was killed while writing it) is dropped with a warning instead of failing the whole directory.
 */
public final class RunReader {
    private static final ObjectMapper JSON = new ObjectMapper();

    private RunReader() {}

    /** True when {@code dir} holds a run (a run.json). */
    public static boolean isRun(Path dir) { return Files.isRegularFile(dir.resolve(Layout.RUN)); }

    public static Run read(Path dir) {
        if (!Files.isDirectory(dir)) throw new ResultsFileException(dir, 0, "not a directory");
        RunInfo info = readInfo(dir.resolve(Layout.RUN));
        boolean unfinished = info.finished().isEmpty();
        List<String> warnings = new ArrayList<>();
        Set<String> stored = new HashSet<>();
        List<CandidateRow> candidates = rows(dir.resolve(Layout.CANDIDATES), Layout.CANDIDATES_HEADER, unfinished, warnings, f -> {
            String hash = f.text(1);
            // The writer stores a recipe before naming it, so a hash without its file is damage, not a race.
            if (!hash.isEmpty() && !stored.contains(hash)) {
                if (!Files.isRegularFile(dir.resolve(Layout.RECIPES).resolve(hash + ".yaml"))) {
                    throw f.bad(1, "recipe " + hash + " has no file " + Layout.RECIPES + "/" + hash + ".yaml");
                }
                stored.add(hash);
            }
            return new CandidateRow(f.text(0), hash, f.text(2), f.text(3), f.parse(4, Split::parse), f.text(5), f.text(6),
                    f.numberOrNaN(7), f.numberOrNaN(8), f.numberOrNaN(9), f.integer(10), f.numberOrNaN(11));
        });
        List<SweepPoint> sweep = rows(dir.resolve(Layout.SWEEP), Layout.SWEEP_HEADER, unfinished, warnings, f -> new SweepPoint(
                f.text(0), f.number(1), f.numberOrNaN(2), f.bool(3)));
        Optional<SweepFit> fit = readFit(dir.resolve(Layout.FIT));
        List<Generation> generations = rows(dir.resolve(Layout.GENERATIONS), Layout.GENERATIONS_HEADER, unfinished, warnings, f -> new Generation(
                f.integer(0), f.integer(1), f.numberOrNaN(2), f.numberOrNaN(3)));
        List<Coefficient> coefficients = rows(dir.resolve(Layout.COEFFICIENTS), Layout.COEFFICIENTS_HEADER, unfinished, warnings, f -> new Coefficient(
                f.integer(0), f.text(1), f.text(2), f.number(3)));
        List<ParetoPoint> pareto = readPareto(dir.resolve(Layout.PARETO), unfinished, warnings);
        List<SoupStep> soup = rows(dir.resolve(Layout.SOUP), Layout.SOUP_HEADER, unfinished, warnings, f -> new SoupStep(
                f.integer(0), f.text(1), f.parse(2, Decision::parse), f.numberOrNaN(3), f.text(4)));
        List<LearnStep> learning = rows(dir.resolve(Layout.LOSS), Layout.LOSS_HEADER, unfinished, warnings, f -> new LearnStep(
                f.integer(0), f.numberOrNaN(1), f.numberOrNaN(2), f.numberOrNaN(3)));
        List<LearnCheck> checks = readChecks(dir.resolve(Layout.CHECKS), unfinished, warnings);
        return new Run(dir, info, candidates, sweep, fit, generations, coefficients, pareto, soup, learning, checks, warnings);
    }

    /** One record's fields, with typed access whose errors name the file, line and field. */
    private record Fields(Path file, int line, List<String> header, List<String> values) {
        String text(int i) { return values.get(i); }

        ResultsFileException bad(int i, String what) {
            return new ResultsFileException(file, line, "field " + (i + 1) + " (" + header.get(i) + "): " + what);
        }

        double number(int i) {
            String s = values.get(i).strip();
            if (s.isEmpty()) throw bad(i, "is empty; a number is required");
            try {
                return Double.parseDouble(s);
            } catch (NumberFormatException e) {
                throw bad(i, "\"" + s + "\" is not a number");
            }
        }

        double numberOrNaN(int i) { return values.get(i).isBlank() ? Double.NaN : number(i); }

        /** The columns from {@code from} on as header name to number (NaN when empty); a name twice is refused. */
        Map<String, Double> namedNumbers(int from) {
            Map<String, Double> out = new LinkedHashMap<>();
            for (int i = from; i < header.size(); i++) {
                if (out.put(header.get(i), numberOrNaN(i)) != null) throw new ResultsFileException(file, 1, "column \"" + header.get(i) + "\" appears twice");
            }
            return out;
        }

        int integer(int i) {
            String s = values.get(i).strip();
            try {
                return Integer.parseInt(s);
            } catch (NumberFormatException e) {
                throw bad(i, "\"" + s + "\" is not a whole number");
            }
        }

        boolean bool(int i) {
            return switch (values.get(i).strip()) {
                case "true" -> true;
                case "false" -> false;
                default -> throw bad(i, "\"" + values.get(i) + "\" is not true or false");
            };
        }

        <T> T parse(int i, Function<String, T> parser) {
            try {
                return parser.apply(values.get(i));
            } catch (IllegalArgumentException e) {
                throw bad(i, e.getMessage());
            }
        }
    }

    private static <T> List<T> rows(Path file, List<String> header, boolean unfinished, List<String> warnings, Function<Fields, T> make) {
        return rows(file, header, false, unfinished, warnings, make);
    }

    /** {@link #rows(Path, List, boolean, List, Function)}; {@code openHeader}: named columns may follow {@code header}. */
    private static <T> List<T> rows(Path file, List<String> header, boolean openHeader, boolean unfinished, List<String> warnings, Function<Fields, T> make) {
        List<T> out = new ArrayList<>();
        for (Fields f : records(file, header, openHeader, unfinished, warnings)) {
            try {
                out.add(make.apply(f));
            } catch (ResultsFileException e) {
                throw e;
            } catch (IllegalArgumentException | NullPointerException e) {
                // The record's own check (a reversed interval, a blank name): the place, then its words.
                throw new ResultsFileException(file, f.line(), e.getMessage());
            }
        }
        return out;
    }

    /**
     * The records of {@code file} after its header, each the header's width. {@code openHeader}: the header may
     * go on past {@code header} (pareto.csv's objective columns); otherwise extra columns at the end are allowed
     * and ignored, for files written by a later Alloy.
     */
    private static List<Fields> records(Path file, List<String> header, boolean openHeader, boolean unfinished, List<String> warnings) {
        if (!Files.exists(file)) return List.of();
        List<Csv.Record> recs = Csv.parse(file, readText(file));
        if (recs.isEmpty()) return List.of();
        Csv.Record head = recs.get(0);
        for (int i = 0; i < header.size(); i++) {
            String got = i < head.fields().size() ? head.fields().get(i) : "(nothing)";
            if (!got.equals(header.get(i))) {
                throw new ResultsFileException(file, head.line(), "header field " + (i + 1) + " is \"" + got + "\", expected \"" + header.get(i)
                        + "\" (header: " + String.join(",", header) + (openHeader ? ",..." : "") + ")");
            }
        }
        List<String> names = head.fields();
        List<Fields> out = new ArrayList<>();
        for (int r = 1; r < recs.size(); r++) {
            Csv.Record rec = recs.get(r);
            if (rec.fields().size() != names.size()) {
                if (unfinished && !rec.terminated() && r == recs.size() - 1) {
                    warnings.add(file + ":" + rec.line() + ": dropped a last row cut short (the run did not finish)");
                    continue;
                }
                throw new ResultsFileException(file, rec.line(), rec.fields().size() + " fields, expected " + names.size()
                        + " (" + String.join(",", names) + "); a comma in a field needs quotes");
            }
            out.add(new Fields(file, rec.line(), names, rec.fields()));
        }
        return out;
    }

    /** checks.csv: step, stopping_loss, best, then one column per proxy set. */
    private static List<LearnCheck> readChecks(Path file, boolean unfinished, List<String> warnings) {
        int fixed = Layout.CHECKS_HEADER.size();
        return rows(file, Layout.CHECKS_HEADER, true, unfinished, warnings,
                f -> new LearnCheck(f.integer(0), f.numberOrNaN(1), f.bool(2), f.namedNumbers(fixed)));
    }

    private static List<ParetoPoint> readPareto(Path file, boolean unfinished, List<String> warnings) {
        return rows(file, List.of("candidate"), true, unfinished, warnings, f -> {
            if (f.header().size() < 2) throw new ResultsFileException(file, 1, "no objective columns after \"candidate\"");
            return new ParetoPoint(f.text(0), f.namedNumbers(1));
        });
    }

    private static String readText(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(readText(file));
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            String msg = e.getOriginalMessage().lines().findFirst().orElse("malformed JSON");
            if (loc != null) throw new ResultsFileException(file, loc.getLineNr(), loc.getColumnNr(), msg);
            throw new ResultsFileException(file, 0, msg);
        }
    }

    static RunInfo readInfo(Path file) {
        if (!Files.isRegularFile(file)) throw new ResultsFileException(file, 0, "missing: not a run directory");
        JsonNode o = readJson(file);
        if (!o.isObject()) throw new ResultsFileException(file, 1, "expected a JSON object");
        int format = o.path("format").asInt(0);
        if (format < 1 || format > Layout.FORMAT) {
            throw new ResultsFileException(file, 0, "format " + o.path("format") + " is not one this Alloy reads (1.." + Layout.FORMAT + ")");
        }
        try {
            RunKind kind = RunKind.parse(str(file, o, "kind"));
            List<String> command = new ArrayList<>();
            for (JsonNode a : array(file, o, "command")) command.add(a.asText());
            Map<String, List<String>> inputs = new LinkedHashMap<>();
            JsonNode in = o.path("inputs");
            for (Iterator<Map.Entry<String, JsonNode>> it = in.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                List<String> vs = new ArrayList<>();
                if (e.getValue().isArray()) e.getValue().forEach(v -> vs.add(v.asText())); else vs.add(e.getValue().asText());
                inputs.put(e.getKey(), vs);
            }
            Map<String, String> metrics = new LinkedHashMap<>();
            o.path("metrics").fields().forEachRemaining(e -> metrics.put(e.getKey(), e.getValue().asText()));
            JsonNode seed = o.path("seed");
            OptionalLong s = seed.isIntegralNumber() ? OptionalLong.of(seed.asLong()) : OptionalLong.empty();
            Instant started = instant(file, o, "started").orElseThrow(() -> new ResultsFileException(file, 0, "\"started\" is missing"));
            Optional<Instant> finished = instant(file, o, "finished");
            return new RunInfo(kind, command, inputs, metrics, s, started, finished, str(file, o, "alloy_version"));
        } catch (ResultsFileException e) {
            throw e;
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new ResultsFileException(file, 0, e.getMessage());
        }
    }

    private static Optional<SweepFit> readFit(Path file) {
        if (!Files.exists(file)) return Optional.empty();
        JsonNode o = readJson(file);
        try {
            JsonNode v = o.path("vertex");
            return Optional.of(new SweepFit(str(file, o, "param"), num(file, o, "a"), num(file, o, "b"), num(file, o, "c"), num(file, o, "r2"),
                    v.isNumber() ? OptionalDouble.of(v.asDouble()) : OptionalDouble.empty(), num(file, o, "proposal"), o.path("reason").asText("")));
        } catch (ResultsFileException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new ResultsFileException(file, 0, e.getMessage());
        }
    }

    private static String str(Path file, JsonNode o, String key) {
        JsonNode v = o.get(key);
        if (v == null || !v.isTextual()) throw new ResultsFileException(file, 0, "\"" + key + "\" must be a string, found " + (v == null ? "nothing" : v.toString()));
        return v.asText();
    }

    private static double num(Path file, JsonNode o, String key) {
        JsonNode v = o.get(key);
        if (v == null || !v.isNumber()) throw new ResultsFileException(file, 0, "\"" + key + "\" must be a number, found " + (v == null ? "nothing" : v.toString()));
        return v.asDouble();
    }

    private static JsonNode array(Path file, JsonNode o, String key) {
        JsonNode v = o.get(key);
        if (v == null || !v.isArray()) throw new ResultsFileException(file, 0, "\"" + key + "\" must be an array, found " + (v == null ? "nothing" : v.toString()));
        return v;
    }

    private static Optional<Instant> instant(Path file, JsonNode o, String key) {
        JsonNode v = o.get(key);
        if (v == null || v.isNull()) return Optional.empty();
        try {
            return Optional.of(Instant.parse(v.asText()));
        } catch (DateTimeParseException e) {
            throw new ResultsFileException(file, 0, "\"" + key + "\" is not an ISO-8601 instant: " + v);
        }
    }
}
