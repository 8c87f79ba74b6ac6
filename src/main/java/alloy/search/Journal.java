package alloy.search;

import alloy.eval.TaskResult;
import alloy.eval.stats.Score;
import alloy.eval.task.Split;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.nio.file.FileAlreadyExistsException;

/**
 * Every scored candidate of a search, one JSON line each, appended and fsynced as soon as it is scored, so
 * that a killed search loses at most the candidate in flight. A resumed search reads the journal back and
 * takes each entry's scores instead of scoring again; the search itself is replayed from its seed, which
 * makes the resumed run take exactly the decisions the uninterrupted one would have taken.
 */
public final class Journal implements AutoCloseable {

    public static final String FILE = "journal.jsonl";

    static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One scored candidate.
     *
     * @param key        what identifies the candidate: {@code model:REF} or the canonical recipe YAML
     * @param role       baseline, search, elite, heldout
     * @param generation the generation that scored it (0 for baselines and the final scoring)
     */
    public record Entry(int seq, String role, int generation, String label, String key, Split split,
                        List<TaskResult> results, double seconds) {
        public Entry {
            results = List.copyOf(results);
        }
    }

    private final Path file;
    private final FileChannel channel;
    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, Entry> byKey = new LinkedHashMap<>();

    private Journal(Path file, FileChannel channel, List<Entry> existing) {
        this.file = file;
        this.channel = channel;
        existing.forEach(this::remember);
    }

    /** One search per journal: a second process resuming the same run would interleave its lines with the first's. */
    private static void lock(Path file, FileChannel channel) {
        try {
            if (channel.tryLock() == null) throw new IllegalStateException("held");
        } catch (IOException | IllegalStateException e) {   // OverlappingFileLockException: held by this very process
            try {
                channel.close();
            } catch (IOException ignored) {
                // refusing anyway
            }
            throw new IllegalArgumentException(file + ": another alloy process is using this search (its journal is locked); wait for it or stop it first");
        }
    }

    /** A new journal in {@code dir}; refuses to replace one (a search is resumed with {@code --resume}, never restarted over itself). */
    public static Journal create(Path dir) {
        Path f = dir.resolve(FILE);
        try {
            Files.createDirectories(dir);
            FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
            lock(f, ch);
            return new Journal(f, ch, List.of());
        } catch (FileAlreadyExistsException e) {
            throw new IllegalArgumentException(f + ": a search journal is already there; resume it with --resume " + dir + " or choose another --out");
        } catch (IOException e) {
            throw new UncheckedIOException(f + ": cannot create journal: " + e.getMessage(), e);
        }
    }

    /**
     * Opens the journal of a killed search to continue it: complete lines are read back; a last line cut short
     * by the kill is dropped (it was never acknowledged as scored).
     */
    public static Journal resume(Path dir) {
        Path f = dir.resolve(FILE);
        if (!Files.isRegularFile(f)) throw new IllegalArgumentException(dir + ": no " + FILE + " to resume");
        try {
            FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE);
            lock(f, ch);
            byte[] all = Files.readAllBytes(f);
            int end = all.length;
            while (end > 0 && all[end - 1] != '\n') end--;
            List<Entry> entries = new ArrayList<>();
            String text = new String(all, 0, end, StandardCharsets.UTF_8);
            int lineNo = 0;
            for (String line : text.split("\n")) {
                lineNo++;
                if (line.isBlank()) continue;
                try {
                    entries.add(read(JSON.readTree(line)));
                } catch (IOException | RuntimeException e) {
                    ch.close();
                    throw new IllegalArgumentException(f + ":" + lineNo + ": unreadable journal line: " + e.getMessage());
                }
            }
            ch.truncate(end);
            ch.position(end);
            return new Journal(f, ch, entries);
        } catch (IOException e) {
            throw new UncheckedIOException(f + ": cannot read journal: " + e.getMessage(), e);
        }
    }

    static String key(String key, Split split) { return split.key() + "\u0000" + key; }

    private void remember(Entry e) {
        entries.add(e);
        byKey.putIfAbsent(key(e.key(), e.split()), e);
    }

    public synchronized Optional<Entry> find(String key, Split split) { return Optional.ofNullable(byKey.get(key(key, split))); }

    public synchronized List<Entry> entries() { return List.copyOf(entries); }

    public synchronized int size() { return entries.size(); }

    public Path file() { return file; }

    /** Appends, flushes and fsyncs one entry; returns it with its sequence number. */
    public synchronized Entry append(String role, int generation, String label, String key, Split split, List<TaskResult> results, double seconds) {
        Entry e = new Entry(entries.size(), role, generation, label, key, split, results, seconds);
        try {
            byte[] line = (JSON.writeValueAsString(write(e)) + "\n").getBytes(StandardCharsets.UTF_8);
            ByteBuffer buf = ByteBuffer.wrap(line);
            while (buf.hasRemaining()) channel.write(buf);
            channel.force(false);
        } catch (IOException ex) {
            throw new UncheckedIOException(file + ": cannot append: " + ex.getMessage(), ex);
        }
        remember(e);
        return e;
    }

    static ObjectNode write(Entry e) {
        ObjectNode o = JSON.createObjectNode();
        o.put("seq", e.seq());
        o.put("role", e.role());
        o.put("generation", e.generation());
        o.put("label", e.label());
        o.put("split", e.split().key());
        o.put("seconds", e.seconds());
        ArrayNode rs = o.putArray("results");
        for (TaskResult r : e.results()) {
            ObjectNode t = rs.addObject();
            t.put("task", r.task());
            t.put("primary", r.primary().metric());
            ArrayNode ms = t.putArray("metrics");
            for (Score s : r.metrics().values()) {
                ObjectNode m = ms.addObject();
                m.put("metric", s.metric());
                m.put("value", s.value());
                m.put("lower", s.lower());
                m.put("upper", s.upper());
                m.put("n", s.n());
                ArrayNode items = m.putArray("items");
                for (double v : s.items()) items.add(v);
            }
        }
        o.put("key", e.key());
        return o;
    }

    static Entry read(JsonNode o) {
        List<TaskResult> results = new ArrayList<>();
        for (JsonNode t : o.get("results")) {
            Map<String, Score> metrics = new LinkedHashMap<>();
            for (JsonNode m : t.get("metrics")) {
                double[] items = new double[m.get("items").size()];
                for (int i = 0; i < items.length; i++) items[i] = m.get("items").get(i).asDouble();
                metrics.put(m.get("metric").asText(), new Score(m.get("metric").asText(), num(m.get("value")), num(m.get("lower")),
                        num(m.get("upper")), m.get("n").asInt(), items));
            }
            String split = o.get("split").asText();
            results.add(new TaskResult(t.get("task").asText(), split, metrics.get(t.get("primary").asText()), metrics));
        }
        return new Entry(o.get("seq").asInt(), o.get("role").asText(), o.get("generation").asInt(), o.get("label").asText(),
                o.get("key").asText(), Split.parse(o.get("split").asText()), results, o.get("seconds").asDouble());
    }

    /** Jackson writes NaN as the string "NaN" (an undefined Spearman, say). */
    private static double num(JsonNode n) { return n.isNumber() ? n.asDouble() : Double.parseDouble(n.asText()); }

    @Override public synchronized void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // every entry was already forced to disk
        }
    }
}
