package alloy.io.onnx;

import alloy.io.Checkpoint;
import alloy.io.CheckpointException;
import alloy.io.HfConfig;
import alloy.io.MappedReads;
import alloy.io.TensorInfo;
import alloy.io.onnx.OnnxModel.Tensor;
import alloy.tensor.DType;
import alloy.tensor.Shape;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An ONNX model's weights read as a Hugging Face checkpoint. The file is mapped read-only in an Arena of
 * its own; initializers are exposed under Hugging Face names and shapes (see {@link HfNames}) with the
 * dtype they are stored in. Tensors stored in the Hugging Face layout are zero-copy slices of the file;
 * Linear weights, which torch's exporter stores transposed ([in, out]), are transposed back to
 * [out, in] on first use into the same arena and kept until close.
 *
 * <p>Names carry no {@code bert.} prefix: the ONNX files keep the parameter names of the module that was
 * exported (BertModel: {@code embeddings.*}, {@code encoder.layer.N.*}, {@code pooler.*}), which is also
 * how BertModel's own safetensors are keyed, so a directory with these names and
 * {@code "architectures": ["BertModel"]} loads in transformers without renaming.
 */
public final class OnnxCheckpoint implements Checkpoint {

    /** Where a weight lives in the file and how it maps to its Hugging Face form. */
    private record Entry(TensorInfo info, Tensor onnx, boolean transposed) {}

    private final Path file;
    private final Arena arena;
    /** Kept open for the size check before each tensor is handed out ({@link MappedReads}). */
    private final RandomAccessFile open;
    private final OnnxModel model;
    private final List<NameMapping> mapping;
    private final Map<String, Entry> entries;
    private final Map<String, TensorInfo> infos;
    private final Map<String, MemorySegment> materialized = new ConcurrentHashMap<>();
    private final Map<String, String> metadata;

    private OnnxCheckpoint(Path file, Arena arena, RandomAccessFile open, OnnxModel model, List<NameMapping> mapping, Map<String, Entry> entries) {
        this.file = file;
        this.arena = arena;
        this.open = open;
        this.model = model;
        this.mapping = mapping;
        this.entries = entries;
        Map<String, TensorInfo> i = new LinkedHashMap<>();
        entries.forEach((k, v) -> i.put(k, v.info()));
        this.infos = Collections.unmodifiableMap(i);
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "onnx");
        meta.put("onnx.ir_version", Long.toString(model.irVersion()));
        if (!model.producer().isEmpty()) meta.put("onnx.producer", model.producer());
        model.opsets().forEach((d, v) -> meta.put("onnx.opset" + (d.isEmpty() ? "" : "." + d), Long.toString(v)));
        meta.put("onnx.inputs", String.join(",", model.inputs()));
        meta.put("onnx.outputs", String.join(",", model.outputs()));
        model.metadataProps().forEach((k, v) -> meta.put("onnx.meta." + k, v));
        this.metadata = Collections.unmodifiableMap(meta);
    }

    /** Maps and parses {@code file}; the whole file is checked before this returns. */
    public static OnnxCheckpoint open(Path file) {
        Path f = file.toAbsolutePath().normalize();
        Arena arena = Arena.ofShared();
        return MappedReads.open(f, arena, ch -> {
            long size = ch.length();
            if (size == 0) throw new CheckpointException(f + ": empty file, not an ONNX model");
            MemorySegment all = ch.getChannel().map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            OnnxModel model = OnnxModel.parse(f, all);
            List<NameMapping> mapping = HfNames.map(model);
            Map<String, Entry> entries = new LinkedHashMap<>();
            for (NameMapping nm : mapping) {
                if (!nm.exposed()) continue;
                Tensor t = model.initializers().get(nm.onnxName());
                DType dtype = t.dtype().orElseThrow();
                long[] d = t.dims();
                Shape shape = nm.transposed() ? Shape.of(d[1], d[0]) : new Shape(d);
                entries.put(nm.hfName().get(), new Entry(new TensorInfo(nm.hfName().get(), dtype, shape, f), t, nm.transposed()));
            }
            if (entries.isEmpty()) throw new CheckpointException(f + ": ONNX model has no float weights among its "
                    + model.initializers().size() + " initializers");
            return new OnnxCheckpoint(f, arena, ch, model, mapping, Collections.unmodifiableMap(entries));
        });
    }

    public Path file() { return file; }

    @Override public List<Path> sources() { return List.of(file); }

    /** The parsed file: header, graph inputs and outputs, initializers, nodes. */
    public OnnxModel model() { return model; }

    /** How every initializer was read, in file order: ONNX name, Hugging Face name (or kept), rule, transposed. */
    public List<NameMapping> nameMapping() { return mapping; }

    /** ONNX name of the initializer behind Hugging Face tensor {@code hfName}. */
    public String onnxName(String hfName) { return entry(hfName).onnx().name(); }

    /** True where the file stores {@code hfName} transposed ([in, out]) relative to Hugging Face. */
    public boolean transposed(String hfName) { return entry(hfName).transposed(); }

    /**
     * tokenizer.json beside the file, or {@code <stem>-tokenizer.json} as the LangChain4j jars name it
     * ({@code bge-small-en.onnx} with {@code bge-small-en-tokenizer.json}).
     */
    public Optional<Path> tokenizerFile() {
        Path dir = file.getParent();
        String stem = file.getFileName().toString().replaceFirst("\\.onnx$", "");
        for (Path p : List.of(dir.resolve("tokenizer.json"), dir.resolve(stem + "-tokenizer.json"))) {
            if (Files.isRegularFile(p)) return Optional.of(p);
        }
        return Optional.empty();
    }

    /** A BertConfig-style config derived from shapes and the graph; empty when this is not a BERT encoder. */
    public Optional<HfConfig> derivedConfig() {
        return BertConfigs.derive(model, infos).map(j -> new HfConfig(file.resolveSibling("config.json"), j));
    }

    @Override public String label() { return file.toString(); }

    /**
     * The folder of the .onnx when it is a model directory (holds config.json or tokenizer.json); else none.
     * A folder with only {@code <stem>-tokenizer.json} is not one: readers look for tokenizer.json there.
     */
    @Override public Optional<Path> modelDirectory() {
        Path dir = file.getParent();
        return Files.isRegularFile(dir.resolve("config.json")) || Files.isRegularFile(dir.resolve("tokenizer.json"))
                ? Optional.of(dir) : Optional.empty();
    }

    /** config.json beside the file when there is one, else the config derived from the graph. */
    @Override public Optional<HfConfig> config() {
        Optional<HfConfig> onDisk = HfConfig.read(file.getParent());
        return onDisk.isPresent() ? onDisk : derivedConfig();
    }

    @Override public List<TensorInfo> tensors() { return List.copyOf(infos.values()); }

    @Override public Optional<TensorInfo> find(String name) { return Optional.ofNullable(infos.get(name)); }

    @Override public MemorySegment raw(String name) {
        Entry e = entry(name);
        Tensor t = e.onnx();
        // the whole TensorProto: its raw_data, packed or typed values all lie inside it
        MappedReads.check(open, file, name, t.bodyEnd(), model.bytes().asSlice(t.bodyStart(), t.bodyEnd() - t.bodyStart()));
        if (!e.transposed() && e.onnx().storage() != OnnxModel.Storage.TYPED) return model.data(e.onnx(), arena);
        return materialized.computeIfAbsent(name, k -> {
            MemorySegment stored = model.data(e.onnx(), arena);
            return e.transposed() ? transpose(stored, e.onnx().dims(), e.info().dtype().byteSize(), arena).asReadOnly() : stored;
        });
    }

    private Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) throw new CheckpointException(file + ": no tensor named '" + name + "'");
        return e;
    }

    @Override public Map<String, String> metadata() { return metadata; }

    @Override public void close() {
        MappedReads.closeQuietly(open);
        arena.close();
    }

    /** Row-major [rows, cols] to [cols, rows] for elements of {@code size} bytes, into {@code arena}. */
    static MemorySegment transpose(MemorySegment src, long[] dims, int size, Arena arena) {
        long rows = dims[0], cols = dims[1];
        MemorySegment dst = arena.allocate(Math.max(1, rows * cols * size), 64).asSlice(0, rows * cols * size);
        transposeInto(src, rows, cols, size, dst);
        return dst;
    }

    /**
     * Row-major [rows, cols] {@code src} to [cols, rows] {@code dst}, elements of {@code size} bytes. Tiled so that
     * both the reads and the writes of a 32x32 tile stay in cache; {@link #transposePlain} is its reference.
     */
    public static void transposeInto(MemorySegment src, long rows, long cols, int size, MemorySegment dst) {
        final int tile = 32;
        for (long r0 = 0; r0 < rows; r0 += tile) {
            for (long c0 = 0; c0 < cols; c0 += tile) {
                long r1 = Math.min(rows, r0 + tile), c1 = Math.min(cols, c0 + tile);
                for (long r = r0; r < r1; r++) {
                    for (long c = c0; c < c1; c++) copyElement(src, (r * cols + c) * size, dst, (c * rows + r) * size, size);
                }
            }
        }
    }

    /** The plain transpose, element by element in row order. */
    static void transposePlain(MemorySegment src, long rows, long cols, int size, MemorySegment dst) {
        for (long r = 0; r < rows; r++) {
            for (long c = 0; c < cols; c++) copyElement(src, (r * cols + c) * size, dst, (c * rows + r) * size, size);
        }
    }

    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED;

    private static void copyElement(MemorySegment src, long from, MemorySegment dst, long to, int size) {
        switch (size) {
            case 4 -> dst.set(I32, to, src.get(I32, from));
            case 2 -> dst.set(I16, to, src.get(I16, from));
            case 8 -> dst.set(I64, to, src.get(I64, from));
            default -> MemorySegment.copy(src, from, dst, to, size);
        }
    }
}
