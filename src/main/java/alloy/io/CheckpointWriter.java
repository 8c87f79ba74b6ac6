package alloy.io;

import alloy.tensor.Codec;
import alloy.tensor.DType;
import alloy.tensor.FloatTensor;
import alloy.tensor.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Writes a Hugging Face safetensors checkpoint tensor by tensor. Every tensor's name, dtype and shape are
 * known before the first byte is merged, so each shard's header is written up front and tensors stream
 * straight into their final place (in any order, from any thread). Everything goes to a hidden sibling
 * directory that is renamed onto the output name only by {@link #commit()}; closing without commit, a
 * failure or a kill (shutdown hook) deletes it, so the output name never holds a half-written model.
 */
public final class CheckpointWriter implements TensorSink {

    public record Entry(String name, DType dtype, Shape shape) {
        public long byteSize() { return shape.numel() * dtype.byteSize(); }
    }

    private record Slot(int shard, long offset, Entry entry) {}

    private final StagedOutput staged;
    private final Path tmp;
    private final List<Path> shardFiles = new ArrayList<>();
    private final List<FileChannel> channels = new ArrayList<>();
    private final Map<String, Slot> slots = new LinkedHashMap<>();
    private final Set<String> written = ConcurrentHashMap.newKeySet();
    private final Map<String, String> metadata;

    private CheckpointWriter(StagedOutput staged, Map<String, String> metadata) {
        this.staged = staged;
        this.tmp = staged.staging();
        this.metadata = metadata;
    }

    /**
     * Lays out {@code entries} in shards of at most {@code maxShardBytes} (a tensor larger than that gets a
     * shard of its own) and opens the temporary directory.
     */
    public static CheckpointWriter create(OutputTarget target, List<Entry> entries, long maxShardBytes,
                                          Map<String, String> metadata) {
        return create(target, entries, maxShardBytes, metadata, "model.safetensors");
    }

    /** As above, naming an unsharded output {@code singleFileName} (PEFT adapters use adapter_model.safetensors). */
    public static CheckpointWriter create(OutputTarget target, List<Entry> entries, long maxShardBytes,
                                          Map<String, String> metadata, String singleFileName) {
        if (maxShardBytes <= 0) throw new IllegalArgumentException("shard size must be positive, got " + maxShardBytes);
        long planned = entries.stream().mapToLong(Entry::byteSize).sum();
        CheckpointWriter w = new CheckpointWriter(StagedOutput.begin(target, true, planned), metadata);
        try {
            w.layout(entries, maxShardBytes, singleFileName);
        } catch (IOException e) {
            w.close();
            throw new CheckpointException(w.tmp + ": cannot create output: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
        return w;
    }

    private void layout(List<Entry> entries, long maxShardBytes, String singleFileName) throws IOException {
        List<List<Entry>> shards = new ArrayList<>();
        List<Entry> cur = new ArrayList<>();
        long size = 0;
        // one set over all shards: a scan of the current shard per tensor was quadratic, and missed a name repeated in another shard
        Set<String> planned = new HashSet<>();
        for (Entry e : entries) {
            if (!planned.add(e.name())) throw new IllegalArgumentException("tensor '" + e.name() + "' is planned twice");
            if (!cur.isEmpty() && size + e.byteSize() > maxShardBytes) {
                shards.add(cur);
                cur = new ArrayList<>();
                size = 0;
            }
            cur.add(e);
            size += e.byteSize();
        }
        if (!cur.isEmpty() || shards.isEmpty()) shards.add(cur);
        int n = shards.size();
        for (int s = 0; s < n; s++) {
            String name = n == 1 ? singleFileName : String.format("model-%05d-of-%05d.safetensors", s + 1, n);
            Path f = tmp.resolve(name);
            Map<String, Object> header = new LinkedHashMap<>();
            header.put("__metadata__", metadata);
            long offset = 0;
            List<Slot> shardSlots = new ArrayList<>();
            for (Entry e : shards.get(s)) {
                Map<String, Object> h = new LinkedHashMap<>();
                h.put("dtype", e.dtype().safetensorsName());
                h.put("shape", e.shape().dims());
                h.put("data_offsets", new long[] {offset, offset + e.byteSize()});
                header.put(e.name(), h);
                shardSlots.add(new Slot(s, offset, e));
                offset += e.byteSize();
            }
            byte[] json = HfConfig.JSON.writeValueAsBytes(header);
            // Pad with spaces to a multiple of 8 so that the data buffer starts aligned, as the reference writer does.
            int padded = (json.length + 7) / 8 * 8;
            ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(padded).put(json);
            while (head.hasRemaining()) head.put((byte) ' ');
            head.flip();
            FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
            channels.add(ch);
            shardFiles.add(f);
            while (head.hasRemaining()) ch.write(head);
            long dataStart = 8L + padded;
            if (offset > 0) ch.write(ByteBuffer.wrap(new byte[] {0}), dataStart + offset - 1);
            for (Slot sl : shardSlots) slots.put(sl.entry().name(), new Slot(s, dataStart + sl.offset(), sl.entry()));
        }
    }

    public List<Entry> entries() { return slots.values().stream().map(Slot::entry).toList(); }

    /** Encodes {@code t} as the planned dtype into the output file (float32: written from where it lies). */
    @Override public void write(String name, FloatTensor t) {
        Slot s = slot(name);
        if (!s.entry().shape().equals(t.shape())) {
            throw new IllegalArgumentException("tensor '" + name + "': planned shape " + s.entry().shape() + ", got " + t.shape());
        }
        if (s.entry().dtype() == DType.F32) {
            put(s, t.data());
            return;
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment encoded = a.allocate(s.entry().byteSize(), 8);
            Codec.encode(t, s.entry().dtype(), encoded);
            put(s, encoded);
        }
    }

    /** Copies stored bytes through unchanged (tensors Alloy does not compute with, or exact copies). */
    @Override public void writeRaw(String name, MemorySegment bytes) {
        Slot s = slot(name);
        if (bytes.byteSize() != s.entry().byteSize()) {
            throw new IllegalArgumentException("tensor '" + name + "': planned " + s.entry().byteSize() + " bytes, got " + bytes.byteSize());
        }
        put(s, bytes);
    }

    private Slot slot(String name) {
        Slot s = slots.get(name);
        if (s == null) throw new IllegalArgumentException("tensor '" + name + "' is not in the output plan");
        if (staged.published()) throw new IllegalStateException("output already committed");
        return s;
    }

    /**
     * Positional writes of {@code bytes} at the tensor's offset. Plain writes, not a mapping of the output:
     * pages of a fresh file written through a mapping are first read as holes (zero-filled) and faulted
     * twice, and mapping and unmapping a region per tensor stalls the other workers' page faults.
     */
    private void put(Slot s, MemorySegment bytes) {
        long len = s.entry().byteSize();
        FileChannel ch = channels.get(s.shard());
        try {
            for (long done = 0; done < len; ) {
                long piece = Math.min(len - done, WRITE_PIECE);   // a ByteBuffer view holds under 2 GiB
                ByteBuffer buf = bytes.asSlice(done, piece).asByteBuffer();
                while (buf.hasRemaining()) done += ch.write(buf, s.offset() + done);
            }
        } catch (IOException e) {
            throw new CheckpointException(shardFiles.get(s.shard()) + ": cannot write tensor '" + s.entry().name() + "': " + e.getMessage(), e);
        }
        if (!written.add(s.entry().name())) throw new IllegalStateException("tensor '" + s.entry().name() + "' written twice");
    }

    private static final long WRITE_PIECE = 1L << 30;

    /** A side file (config.json, tokenizer files) placed beside the weights. */
    public void writeFile(String fileName, byte[] content) {
        try {
            Files.write(tmp.resolve(fileName), content, StandardOpenOption.CREATE_NEW);
        } catch (IOException e) {
            throw new CheckpointException(tmp.resolve(fileName) + ": cannot write: " + e.getMessage(), e);
        }
    }

    public void copyFile(Path source) {
        try {
            Files.copy(source, tmp.resolve(source.getFileName().toString()));
        } catch (IOException e) {
            throw new CheckpointException(source + ": cannot copy into output: " + e.getMessage(), e);
        }
    }

    /** Checks that every planned tensor was written, writes the index, and renames onto the output name. */
    @Override public Path commit() {
        List<String> missing = slots.keySet().stream().filter(n -> !written.contains(n)).toList();
        if (!missing.isEmpty()) {
            throw new IllegalStateException(missing.size() + " planned tensors were not written, first '" + missing.get(0) + "'");
        }
        try {
            for (FileChannel ch : channels) {
                ch.force(true);
                ch.close();
            }
            if (shardFiles.size() > 1) {
                ObjectNode index = HfConfig.JSON.createObjectNode();
                long total = slots.values().stream().mapToLong(s -> s.entry().byteSize()).sum();
                index.putObject("metadata").put("total_size", total);
                ObjectNode map = index.putObject("weight_map");
                for (Slot s : slots.values()) map.put(s.entry().name(), shardFiles.get(s.shard()).getFileName().toString());
                Files.write(tmp.resolve(ShardedCheckpoint.INDEX), HfConfig.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(index));
            }
            return staged.publish();
        } catch (IOException e) {
            throw new CheckpointException(staged.output() + ": cannot finish output: " + e.getMessage(), e);
        }
    }

    @Override public void close() {
        if (staged.published()) return;
        for (FileChannel ch : channels) {
            try { ch.close(); } catch (IOException ignored) { /* deleted with the staging directory */ }
        }
        staged.close();
    }
}
