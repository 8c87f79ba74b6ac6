package alloy.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;

/** A Hugging Face config.json, kept as a JSON tree so that fields Alloy does not know survive a merge. */
public record HfConfig(Path file, ObjectNode json) {

    static final ObjectMapper JSON = new ObjectMapper();

    public static Optional<HfConfig> read(Path modelDir) {
        Path f = modelDir.resolve("config.json");
        if (!Files.isRegularFile(f)) return Optional.empty();
        try {
            JsonNode n = JSON.readTree(f.toFile());
            if (!(n instanceof ObjectNode o)) throw new CheckpointException(f + ": config.json is not a JSON object");
            return Optional.of(new HfConfig(f, o));
        } catch (IOException e) {
            throw new CheckpointException(f + ": unreadable config.json: " + e.getMessage(), e);
        }
    }

    /** num_hidden_layers, or the spellings older architectures use. */
    public OptionalInt numLayers() {
        for (String k : new String[] {"num_hidden_layers", "n_layer", "num_layers", "n_layers"}) {
            JsonNode n = json.get(k);
            if (n != null && n.canConvertToInt()) return OptionalInt.of(n.asInt());
        }
        JsonNode text = json.get("text_config");
        if (text instanceof ObjectNode t) return new HfConfig(file, t).numLayers();
        return OptionalInt.empty();
    }

    public OptionalInt intField(String key) {
        JsonNode n = json.get(key);
        return n != null && n.canConvertToInt() ? OptionalInt.of(n.asInt()) : OptionalInt.empty();
    }

    public Optional<String> architecture() {
        JsonNode a = json.get("architectures");
        return a != null && a.isArray() && !a.isEmpty() ? Optional.of(a.get(0).asText()) : Optional.empty();
    }

    public boolean tiedEmbeddings() {
        JsonNode n = json.get("tie_word_embeddings");
        return n != null && n.asBoolean();
    }
}
