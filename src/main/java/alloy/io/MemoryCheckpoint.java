package alloy.io;

import alloy.tensor.DType;
import alloy.tensor.FloatTensor;
import alloy.tensor.PageMemory;
import alloy.tensor.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A checkpoint held in native memory, typically a merge result kept for evaluation without a disk round
 * trip. It owns the Arena its tensors live in; tensors are float32 whatever the recipe's output dtype,
 * since evaluation computes in float32 anyway.
 */
public final class MemoryCheckpoint implements Checkpoint {

    private static final Path MEMORY = Path.of("(memory)");

    private final String label;
    private final Optional<Path> modelDir;
    private final Optional<HfConfig> config;
    private final Arena arena;
    private final Map<String, FloatTensor> tensors = new LinkedHashMap<>();
    private final Map<String, TensorInfo> infos = new LinkedHashMap<>();

    /** {@code modelDir}: where config.json and tokenizer files come from (the base model's directory). */
    public MemoryCheckpoint(String label, Optional<Path> modelDir) {
        this(label, modelDir, Optional.empty());
    }

    /**
     * {@code config}: the config.json of what was built, when it differs from the one in {@code modelDir} (a
     * merge that stacks layers has its own layer count); absent, the one in {@code modelDir} is read.
     */
    public MemoryCheckpoint(String label, Optional<Path> modelDir, Optional<HfConfig> config) {
        this.label = label;
        this.modelDir = modelDir;
        this.config = config;
        this.arena = Arena.ofShared();
    }

    @Override public Optional<HfConfig> config() { return config.or(() -> modelDir.flatMap(HfConfig::read)); }

    /** The arena new tensors for this checkpoint must be allocated in. */
    public Arena arena() { return arena; }

    /**
     * A tensor in this checkpoint's memory, not yet {@link #put}, whose contents are unspecified until the
     * caller writes them: for a result written in place ({@link PageMemory}: no zero fill, huge pages).
     */
    public FloatTensor uninitialized(Shape shape) {
        long bytes = shape.numel() * 4L;
        if (bytes >= PageMemory.LARGE) return new FloatTensor(shape, PageMemory.allocateUninitialized(bytes, arena));
        synchronized (this) {
            long at = (slabUsed + 63) & ~63L;
            if (slab == null || at + bytes > SLAB) {
                slab = PageMemory.allocateUninitialized(SLAB, arena);
                at = 0;
            }
            slabUsed = at + bytes;
            return new FloatTensor(shape, slab.asSlice(at, bytes));
        }
    }

    /**
     * Tensors too small for a region of their own ({@link PageMemory#LARGE}) are carved from shared slabs of this
     * size, recycled like any large region: an encoder has about 200 tensors under 4 MiB, and allocating each on
     * its own zero-fills it, a third of a bge-small merge's time in memory (profiled). Four small tensors at least
     * fit a slab, so at most a quarter of one is left unused when the next does not fit.
     */
    private static final long SLAB = 4 * PageMemory.LARGE;
    private MemorySegment slab;
    private long slabUsed;

    public synchronized void put(String name, FloatTensor t) {
        tensors.put(name, t);
        infos.put(name, new TensorInfo(name, DType.F32, t.shape(), MEMORY));
    }

    public synchronized FloatTensor tensor(String name) {
        FloatTensor t = tensors.get(name);
        if (t == null) throw new CheckpointException(label + ": no tensor named '" + name + "'");
        return t;
    }


    @Override public String label() { return label; }

    @Override public Optional<Path> modelDirectory() { return modelDir; }

    @Override public List<Path> sources() { return List.of(); }

    @Override public synchronized List<TensorInfo> tensors() { return List.copyOf(infos.values()); }

    @Override public synchronized Optional<TensorInfo> find(String name) { return Optional.ofNullable(infos.get(name)); }

    @Override public MemorySegment raw(String name) { return tensor(name).data().asReadOnly(); }

    @Override public Map<String, String> metadata() { return Map.of(); }

    @Override public void close() { arena.close(); }
}
