package alloy.io;

import alloy.tensor.DType;
import alloy.tensor.Shape;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One .safetensors file, memory-mapped read-only in an Arena of its own: no copy onto the heap and no
 * 2 GiB limit. Layout: 8-byte little-endian header length N, N bytes of JSON, then the data buffer that
 * {@code data_offsets} index (relative to the end of the header). The whole header is checked on open,
 * so a bad file fails before any tensor is merged.
 */
public final class SafetensorsFile implements Checkpoint {

    /** Headers above this are refused as corrupt; the format's own reference reader uses 100 MB. */
    static final long MAX_HEADER = 100L << 20;

    /** Two header entries with one name would leave it open which tensor the name means: refused. */
    private static final ObjectMapper HEADER_JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final Path file;
    private final Optional<Path> modelDir;
    private final Arena arena;
    /** Kept open for the size check before each tensor is handed out ({@link MappedReads}). */
    private final RandomAccessFile open;
    private final MemorySegment data;
    /** Where the data buffer starts in the file: 8 + header length. */
    private final long dataStart;
    private final Map<String, TensorInfo> infos;
    private final Map<String, long[]> offsets;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path file, Optional<Path> modelDir, Arena arena, RandomAccessFile open, MemorySegment data, long dataStart,
                            Map<String, TensorInfo> infos, Map<String, long[]> offsets, Map<String, String> metadata) {
        this.file = file;
        this.modelDir = modelDir;
        this.arena = arena;
        this.open = open;
        this.data = data;
        this.dataStart = dataStart;
        this.infos = infos;
        this.offsets = offsets;
        this.metadata = metadata;
    }

    public static SafetensorsFile open(Path file) {
        return open(file, Optional.ofNullable(file.toAbsolutePath().getParent()));
    }

    static SafetensorsFile open(Path file, Optional<Path> modelDir) {
        Arena arena = Arena.ofShared();
        return MappedReads.open(file, arena, ch -> {
            long size = ch.length();
            if (size < 8) throw new CheckpointException(file + ": truncated, " + size + " bytes (a safetensors file starts with an 8-byte header length)");
            MemorySegment all = ch.getChannel().map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long n = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            if (n < 2 || n > size - 8) {
                throw new CheckpointException(file + ": header length " + n + " is larger than the file allows (" + (size - 8) + " bytes after the length)");
            }
            if (n > MAX_HEADER) throw new CheckpointException(file + ": header length " + n + " exceeds " + MAX_HEADER + " bytes");
            String json = new String(all.asSlice(8, n).toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8);
            MemorySegment data = all.asSlice(8 + n);
            Parsed p = parseHeader(file, json, data.byteSize());
            return new SafetensorsFile(file, modelDir, arena, ch, data, 8 + n, p.infos, p.offsets, p.metadata);
        });
    }

    private record Parsed(Map<String, TensorInfo> infos, Map<String, long[]> offsets, Map<String, String> metadata) {}

    private static Parsed parseHeader(Path file, String json, long dataSize) {
        JsonNode root;
        try {
            root = HEADER_JSON.readTree(json);
        } catch (IOException e) {
            throw new CheckpointException(file + ": header is not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
        }
        if (root == null || !root.isObject()) throw new CheckpointException(file + ": header is not a JSON object");
        Map<String, String> meta = new LinkedHashMap<>();
        List<Map.Entry<String, long[]>> spans = new ArrayList<>();
        Map<String, TensorInfo> infos = new LinkedHashMap<>();
        Map<String, long[]> offsets = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode v = e.getValue();
            if (name.equals("__metadata__")) {
                v.fields().forEachRemaining(m -> meta.put(m.getKey(), m.getValue().asText()));
                continue;
            }
            String where = file + ": tensor '" + name + "'";
            JsonNode dt = v.get("dtype"), sh = v.get("shape"), off = v.get("data_offsets");
            if (dt == null || sh == null || !sh.isArray() || off == null || !off.isArray() || off.size() != 2) {
                throw new CheckpointException(where + ": header entry needs dtype, shape and data_offsets [begin, end]");
            }
            DType dtype;
            try {
                dtype = DType.fromSafetensors(dt.asText());
            } catch (IllegalArgumentException ex) {
                throw new CheckpointException(where + ": " + ex.getMessage());
            }
            long[] dims = new long[sh.size()];
            for (int i = 0; i < dims.length; i++) dims[i] = whole(sh.get(i), where, "shape " + sh);
            Shape shape;
            try {
                shape = new Shape(dims);
            } catch (IllegalArgumentException | ArithmeticException ex) {
                throw new CheckpointException(where + ": bad shape " + sh + ": " + ex.getMessage());
            }
            long begin = whole(off.get(0), where, "data_offsets " + off), end = whole(off.get(1), where, "data_offsets " + off);
            if (end < begin) throw new CheckpointException(where + ": bad data_offsets [" + begin + ", " + end + "]");
            long expected;
            try {
                expected = Math.multiplyExact(shape.numel(), (long) dtype.byteSize());
            } catch (ArithmeticException ex) {
                throw new CheckpointException(where + ": shape " + shape + " of " + dtype + " holds more bytes than a file can");
            }
            if (end - begin != expected) {
                throw new CheckpointException(where + ": shape " + shape + " of " + dtype + " needs " + expected
                        + " bytes, data_offsets span " + (end - begin));
            }
            if (end > dataSize) {
                throw new CheckpointException(where + ": data_offsets end " + end + " is beyond the data buffer ("
                        + dataSize + " bytes): file truncated or offsets out of bounds");
            }
            infos.put(name, new TensorInfo(name, dtype, shape, file));
            offsets.put(name, new long[] {begin, end});
            spans.add(Map.entry(name, new long[] {begin, end}));
        }
        spans.sort(Comparator.comparingLong(s -> s.getValue()[0]));
        for (int i = 1; i < spans.size(); i++) {
            var prev = spans.get(i - 1);
            var cur = spans.get(i);
            if (cur.getValue()[0] < prev.getValue()[1] && cur.getValue()[1] > cur.getValue()[0]) {
                throw new CheckpointException(file + ": tensors '" + prev.getKey() + "' and '" + cur.getKey() + "' overlap in the data buffer");
            }
        }
        // Storage order (by offset) is the natural order to stream tensors in.
        Map<String, TensorInfo> ordered = new LinkedHashMap<>();
        for (var s : spans) ordered.put(s.getKey(), infos.get(s.getKey()));
        return new Parsed(Collections.unmodifiableMap(ordered), offsets, Collections.unmodifiableMap(meta));
    }

    /**
     * A non-negative whole number from the header. The format's reference reader deserializes shapes and
     * offsets as usize, so 2.5, 0.9, -1, "8" or 1e30 make the file invalid; reading them with asLong would
     * truncate 0.9 to 0 and accept a header that points somewhere else.
     */
    private static long whole(JsonNode n, String where, String what) {
        if (n.isIntegralNumber() && n.canConvertToLong() && n.asLong() >= 0) return n.asLong();
        throw new CheckpointException(where + ": " + what + " must hold non-negative whole numbers, found " + n);
    }

    public Path file() { return file; }

    @Override public List<Path> sources() { return List.of(file); }

    @Override public String label() { return file.toString(); }

    @Override public Optional<Path> modelDirectory() { return modelDir; }

    @Override public List<TensorInfo> tensors() { return List.copyOf(infos.values()); }

    @Override public Optional<TensorInfo> find(String name) { return Optional.ofNullable(infos.get(name)); }

    @Override public MemorySegment raw(String name) {
        long[] o = offsets.get(name);
        if (o == null) throw new CheckpointException(file + ": no tensor named '" + name + "'");
        MemorySegment view = data.asSlice(o[0], o[1] - o[0]).asReadOnly();
        MappedReads.check(open, file, name, dataStart + o[1], view);
        return view;
    }

    @Override public Map<String, String> metadata() { return metadata; }

    @Override public void close() {
        MappedReads.closeQuietly(open);
        arena.close();
    }
}
