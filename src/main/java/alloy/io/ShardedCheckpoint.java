package alloy.io;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A checkpoint split over several safetensors files by {@code model.safetensors.index.json}. Every shard is
 * opened (and its header checked) up front; the index must only name files inside the model directory,
 * and every tensor it maps must be in the shard it names.
 */
public final class ShardedCheckpoint implements Checkpoint {

    /** The index of a sharded Hugging Face checkpoint: tensor name to shard file. */
    public static final String INDEX = "model.safetensors.index.json";

    private final Path index;
    private final Path dir;
    private final List<SafetensorsFile> shards;
    private final Map<String, SafetensorsFile> byTensor;
    private final Map<String, String> metadata;

    private ShardedCheckpoint(Path index, Path dir, List<SafetensorsFile> shards, Map<String, SafetensorsFile> byTensor,
                              Map<String, String> metadata) {
        this.index = index;
        this.dir = dir;
        this.shards = shards;
        this.byTensor = byTensor;
        this.metadata = metadata;
    }

    public static ShardedCheckpoint open(Path index) {
        Path dir = index.toAbsolutePath().normalize().getParent();
        JsonNode root;
        try {
            root = HfConfig.JSON.readTree(index.toFile());
        } catch (IOException e) {
            throw new CheckpointException(index + ": unreadable index: " + e.getMessage(), e);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) throw new CheckpointException(index + ": no weight_map object");
        Map<String, SafetensorsFile> files = new LinkedHashMap<>();
        Map<String, SafetensorsFile> byTensor = new LinkedHashMap<>();
        List<SafetensorsFile> opened = new ArrayList<>();
        try {
            for (var it = map.fields(); it.hasNext(); ) {
                var e = it.next();
                String fileName = e.getValue().asText();
                Path f = dir.resolve(fileName).normalize();
                if (!f.startsWith(dir)) {
                    throw new CheckpointException(index + ": weight_map entry '" + e.getKey() + "' names '" + fileName
                            + "', which is outside the model directory " + dir);
                }
                if (!Files.isRegularFile(f)) {
                    throw new CheckpointException(index + ": weight_map entry '" + e.getKey() + "' names missing file " + f);
                }
                SafetensorsFile shard = files.get(fileName);
                if (shard == null) {
                    shard = SafetensorsFile.open(f, Optional.of(dir));
                    opened.add(shard);
                    files.put(fileName, shard);
                }
                if (shard.find(e.getKey()).isEmpty()) {
                    throw new CheckpointException(f + ": tensor '" + e.getKey() + "' is in the index but not in this shard");
                }
                byTensor.put(e.getKey(), shard);
            }
        } catch (RuntimeException e) {
            opened.forEach(SafetensorsFile::close);
            throw e;
        }
        Map<String, String> meta = new LinkedHashMap<>();
        JsonNode m = root.get("metadata");
        if (m != null && m.isObject()) m.fields().forEachRemaining(x -> meta.put(x.getKey(), x.getValue().asText()));
        return new ShardedCheckpoint(index, dir, List.copyOf(opened), Collections.unmodifiableMap(byTensor), meta);
    }

    @Override public String label() { return dir.toString(); }

    @Override public Optional<Path> modelDirectory() { return Optional.of(dir); }

    @Override public List<Path> sources() {
        List<Path> all = new ArrayList<>(List.of(index));
        shards.forEach(s -> all.add(s.file()));
        return all;
    }

    @Override public List<TensorInfo> tensors() {
        List<TensorInfo> all = new ArrayList<>();
        for (SafetensorsFile s : shards) {
            for (TensorInfo t : s.tensors()) if (byTensor.get(t.name()) == s) all.add(t);
        }
        return all;
    }

    @Override public Optional<TensorInfo> find(String name) {
        SafetensorsFile s = byTensor.get(name);
        return s == null ? Optional.empty() : s.find(name);
    }

    @Override public MemorySegment raw(String name) {
        SafetensorsFile s = byTensor.get(name);
        if (s == null) throw new CheckpointException(index + ": no tensor named '" + name + "'");
        return s.raw(name);
    }

    @Override public Map<String, String> metadata() { return metadata; }

    @Override public void close() { shards.forEach(SafetensorsFile::close); }
}
