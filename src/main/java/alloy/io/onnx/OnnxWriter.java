package alloy.io.onnx;

import alloy.io.CheckpointException;
import alloy.io.OutputTarget;
import alloy.io.StagedOutput;
import alloy.io.TensorInfo;
import alloy.io.onnx.OnnxModel.Tensor;
import alloy.tensor.Codec;
import alloy.tensor.FloatTensor;
import alloy.tensor.Shape;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import alloy.io.TensorSink;

/**
 * Writes a merged model as ONNX by swapping the weights of a template ONNX file (the base model's) and
 * keeping everything else byte for byte: graph, opsets, the initializers that are not weights. The result
 * runs wherever the template ran (ONNX Runtime, LangChain4j).
 *
 * <p>Output forms: a path ending in {@code .onnx} is written as that single file; any other path becomes a
 * directory holding {@code model.onnx}, {@code tokenizer.json} and {@code config.json}, which
 * {@code Checkpoints.open} reads back as a model directory. Either way everything goes to a hidden sibling
 * that only {@link #commit()} renames onto the output name; {@link #close()} without commit, or a kill
 * (shutdown hook), deletes it.
 *
 * <p>Layout: where the template stores a weight as raw_data (as torch's exporter does), the new values go
 * into the same bytes, so lengths and offsets of everything else are unchanged. A weight stored as typed
 * fields (float_data, ...) is re-encoded as raw_data, and the enclosing lengths are re-framed. Values are
 * written in the template's element type (float32 for float32 templates): ONNX operators are typed by
 * their inputs, so changing an initializer's type would break the graph.
 */
public final class OnnxWriter implements TensorSink {

    public static final String MODEL_FILE = "model.onnx";

    /** Where one weight's values go in the output file. */
    private record Slot(TensorInfo info, Tensor onnx, boolean transposed, long offset, long byteSize) {}

    /** The output file as a sequence of pieces: spans of the template, new bytes, and holes that write() fills. */
    private sealed interface Piece permits Copy, Bytes, Hole {
        long size();
    }

    private record Copy(long from, long size) implements Piece {}

    private record Bytes(byte[] bytes) implements Piece {
        public long size() { return bytes.length; }
    }

    private record Hole(String hfName, long size) implements Piece {}

    private final OnnxCheckpoint template;
    private final StagedOutput staged;
    private final boolean directory;
    private final Path tmp;
    private final Path tmpModel;
    private final FileChannel channel;
    private final Map<String, Slot> slots;
    private final Set<String> written = ConcurrentHashMap.newKeySet();

    private OnnxWriter(OnnxCheckpoint template, StagedOutput staged, boolean directory, Path tmpModel,
                       FileChannel channel, Map<String, Slot> slots) {
        this.template = template;
        this.staged = staged;
        this.directory = directory;
        this.tmp = staged.staging();
        this.tmpModel = tmpModel;
        this.channel = channel;
        this.slots = slots;
    }

    /**
     * Lays out the output after {@code template} (which must stay open until commit) and writes everything
     * except the weights, which {@link #write} then fills in any order, from any thread.
     */
    public static OnnxWriter create(OnnxCheckpoint template, OutputTarget target) {
        Path out = target.absolute();
        boolean directory = !String.valueOf(out.getFileName()).endsWith(".onnx");
        if (Files.isDirectory(out) != directory && Files.exists(out)) {
            throw new CheckpointException(out + ": output exists as a " + (directory ? "file" : "directory")
                    + "; a path ending in .onnx names a file, any other a model directory");
        }
        StagedOutput staged = StagedOutput.begin(target, directory, template.model().bytes().byteSize());
        Path tmpModel = directory ? staged.staging().resolve(MODEL_FILE) : staged.staging();
        FileChannel ch = null;
        try {
            ch = FileChannel.open(tmpModel, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
            Map<String, Slot> slots = new LinkedHashMap<>();
            writeSkeleton(template, ch, slots);
            return new OnnxWriter(template, staged, directory, tmpModel, ch, slots);
        } catch (IOException e) {
            closeQuietly(ch);
            staged.close();
            throw new CheckpointException(staged.staging() + ": cannot create output: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            staged.close();
            throw e;
        }
    }

    /** Builds the piece list, writes copies and new bytes, and records where each hole (weight) lies. */
    private static void writeSkeleton(OnnxCheckpoint template, FileChannel ch, Map<String, Slot> slots) throws IOException {
        OnnxModel m = template.model();
        MemorySegment src = m.bytes();
        Map<String, String> hfByOnnx = new LinkedHashMap<>();
        for (NameMapping nm : template.nameMapping()) nm.hfName().ifPresent(h -> hfByOnnx.put(nm.onnxName(), h));

        List<Piece> graph = new ArrayList<>();
        long at = m.graphBodyStart();
        List<Tensor> inits = new ArrayList<>(m.initializers().values());
        inits.sort(Comparator.comparingLong(Tensor::fieldStart));
        for (Tensor t : inits) {
            String hf = hfByOnnx.get(t.name());
            if (hf == null) continue;
            long numel = t.numel();
            long bytes = numel * t.dtype().orElseThrow().byteSize();
            if (t.storage() == OnnxModel.Storage.RAW) {
                graph.add(new Copy(at, t.dataStart() - at));
                graph.add(new Hole(hf, bytes));
                at = t.dataEnd();
                continue;
            }
            // Re-encode: every field but the typed values, then raw_data.
            graph.add(new Copy(at, t.fieldStart() - at));
            List<Piece> body = new ArrayList<>();
            ProtoReader r = new ProtoReader(src, t.bodyStart(), t.bodyEnd());
            while (r.next()) {
                long fs = r.fieldStart();
                int f = r.field();
                r.skip();
                if (f != 4 && f != 5 && f != 6 && f != 7 && f != 9 && f != 10 && f != 11) body.add(new Copy(fs, r.position() - fs));
            }
            byte[] rawKey = concat(ProtoReader.key(9, ProtoReader.LEN), ProtoReader.varintBytes(bytes));
            body.add(new Bytes(rawKey));
            body.add(new Hole(hf, bytes));
            long bodyLen = body.stream().mapToLong(Piece::size).sum();
            graph.add(new Bytes(concat(ProtoReader.key(5, ProtoReader.LEN), ProtoReader.varintBytes(bodyLen))));
            graph.addAll(body);
            at = t.bodyEnd();
        }
        graph.add(new Copy(at, m.graphBodyEnd() - at));
        long graphLen = graph.stream().mapToLong(Piece::size).sum();

        List<Piece> file = new ArrayList<>();
        file.add(new Copy(0, m.graphFieldStart()));
        file.add(new Bytes(concat(ProtoReader.key(7, ProtoReader.LEN), ProtoReader.varintBytes(graphLen))));
        file.addAll(graph);
        file.add(new Copy(m.graphBodyEnd(), src.byteSize() - m.graphBodyEnd()));

        long pos = 0;
        for (Piece p : file) {
            switch (p) {
                case Copy c -> writeFully(ch, src.asSlice(c.from(), c.size()), pos);
                case Bytes b -> writeFully(ch, MemorySegment.ofArray(b.bytes()), pos);
                case Hole h -> {
                    Tensor t = m.initializers().get(template.onnxName(h.hfName()));
                    slots.put(h.hfName(), new Slot(template.info(h.hfName()), t, template.transposed(h.hfName()), pos, h.size()));
                }
            }
            pos += p.size();
        }
        // A hole at the very end would leave the file short until written; fix the length now.
        if (ch.size() < pos) ch.write(ByteBuffer.wrap(new byte[] {0}), pos - 1);
    }

    private static void writeFully(FileChannel ch, MemorySegment bytes, long pos) throws IOException {
        final long chunk = 1L << 30; // ByteBuffers index with int
        for (long off = 0; off < bytes.byteSize(); off += chunk) {
            ByteBuffer b = bytes.asSlice(off, Math.min(chunk, bytes.byteSize() - off)).asByteBuffer();
            long p = pos + off;
            while (b.hasRemaining()) p += ch.write(b, p);
        }
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = new byte[a.length + b.length];
        System.arraycopy(a, 0, c, 0, a.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    /** The weights this writer expects, under Hugging Face names and shapes (the template's tensors). */
    public List<TensorInfo> tensors() { return slots.values().stream().map(Slot::info).toList(); }

    /** Stores {@code t} (Hugging Face shape) as {@code hfName}, transposed back and encoded in the template's element type. */
    @Override public void write(String hfName, FloatTensor t) {
        Slot s = slot(hfName);
        if (!s.info().shape().equals(t.shape())) {
            throw new IllegalArgumentException(staged.output() + ": tensor '" + hfName + "': expected shape " + s.info().shape() + ", found " + t.shape());
        }
        try (Arena a = Arena.ofConfined()) {
            FloatTensor stored = t;
            if (s.transposed()) {
                long[] hf = t.shape().dims();
                stored = new FloatTensor(Shape.of(hf[1], hf[0]), OnnxCheckpoint.transpose(t.data(), hf, 4, a));
            }
            FloatTensor finalStored = stored;
            put(s, region -> Codec.encode(finalStored, s.info().dtype(), region));
        }
    }

    /** Stores bytes already in the template's element type and the Hugging Face layout (an exact copy). */
    @Override public void writeRaw(String hfName, MemorySegment bytes) {
        Slot s = slot(hfName);
        if (bytes.byteSize() != s.byteSize()) {
            throw new IllegalArgumentException(staged.output() + ": tensor '" + hfName + "': expected " + s.byteSize() + " bytes, found " + bytes.byteSize());
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment stored = s.transposed()
                    ? OnnxCheckpoint.transpose(bytes, s.info().shape().dims(), s.info().dtype().byteSize(), a) : bytes;
            put(s, region -> MemorySegment.copy(stored, 0, region, 0, stored.byteSize()));
        }
    }

    private Slot slot(String hfName) {
        if (staged.published()) throw new IllegalStateException(staged.output() + ": output already committed");
        Slot s = slots.get(hfName);
        if (s == null) throw new IllegalArgumentException(staged.output() + ": tensor '" + hfName + "' is not a weight of template " + template.label());
        return s;
    }

    private void put(Slot s, Consumer<MemorySegment> fill) {
        if (s.byteSize() > 0) {
            try (Arena a = Arena.ofConfined()) {
                fill.accept(channel.map(FileChannel.MapMode.READ_WRITE, s.offset(), s.byteSize(), a));
            } catch (IOException e) {
                throw new CheckpointException(tmpModel + ": cannot write tensor '" + s.info().name() + "': " + e.getMessage(), e);
            }
        }
        if (!written.add(s.info().name())) throw new IllegalStateException(staged.output() + ": tensor '" + s.info().name() + "' written twice");
    }

    /**
     * Checks that every weight was written, adds tokenizer.json and config.json (directory form) and renames
     * the result onto the output name. Returns the output path.
     */
    @Override public Path commit() {
        List<String> missing = slots.keySet().stream().filter(n -> !written.contains(n)).toList();
        if (!missing.isEmpty()) {
            throw new IllegalStateException(staged.output() + ": " + missing.size() + " of " + slots.size() + " weights were not written, first '"
                    + missing.get(0) + "'");
        }
        try {
            channel.force(true);
            channel.close();
            if (directory) {
                Path tok = template.tokenizerFile().orElse(null);
                if (tok != null) Files.copy(tok, tmp.resolve("tokenizer.json"));
                var config = template.config();
                if (config.isPresent()) {
                    Files.write(tmp.resolve("config.json"), BertConfigs.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(config.get().json()));
                }
            }
            return staged.publish();
        } catch (IOException e) {
            throw new CheckpointException(staged.output() + ": cannot finish output: " + e.getMessage(), e);
        }
    }

    @Override public void close() {
        if (staged.published()) return;
        closeQuietly(channel);
        staged.close();
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch == null) return;
        try { ch.close(); } catch (IOException ignored) { /* the file is deleted next */ }
    }
}
