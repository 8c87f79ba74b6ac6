package alloy.eval.train;

import alloy.eval.model.LlamaConfig;
import alloy.io.CheckpointWriter;
import alloy.io.OutputTarget;
import alloy.tensor.DType;
import alloy.tensor.FloatTensor;
import alloy.tensor.Shape;
import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.LinkedHashMap;

/**
 * Writes a decoder as a Hugging Face model directory: config.json, generation_config.json, the
 * character tokenizer (tokenizer.json, tokenizer_config.json) and model.safetensors, atomically through
 * {@link CheckpointWriter}.
 */
public final class DecoderCheckpoint {

    private DecoderCheckpoint() {}

    /**
     * Saves {@code tensors} (Hugging Face name → array, as {@code LlamaWeights.named()} lists them) under
     * {@code dir}, replacing what is there.
     */
    public static Path save(Path dir, LlamaConfig config, Map<String, NDArray> tensors, DType dtype, Map<String, String> metadata) {
        Map<String, String> meta = new LinkedHashMap<>(metadata);
        meta.putIfAbsent("format", "pt");                 // what transformers checks before loading safetensors
        List<CheckpointWriter.Entry> entries = new ArrayList<>();
        tensors.forEach((name, a) -> entries.add(new CheckpointWriter.Entry(name, dtype, Shape.of(a.getShape().getShape()))));
        ObjectMapper json = new ObjectMapper();
        try (CheckpointWriter w = CheckpointWriter.create(OutputTarget.of(dir, true), entries, Long.MAX_VALUE, meta);
             Arena arena = Arena.ofConfined()) {
            for (var e : tensors.entrySet()) {
                float[] values = e.getValue().toFloatArray();
                w.write(e.getKey(), FloatTensor.of(arena, Shape.of(e.getValue().getShape().getShape()), values));
            }
            ObjectNode cfg = config.toJson();
            cfg.put("torch_dtype", dtype.torchName());
            cfg.put("pad_token_id", CharTokenizer.PAD_ID);
            w.writeFile("config.json", json.writerWithDefaultPrettyPrinter().writeValueAsBytes(cfg));
            ObjectNode gen = json.createObjectNode();
            config.bosTokenId().ifPresent(id -> gen.put("bos_token_id", id));
            config.eosTokenId().ifPresent(id -> gen.put("eos_token_id", id));
            gen.put("pad_token_id", CharTokenizer.PAD_ID);
            gen.put("do_sample", false);
            gen.put("max_length", config.maxPositions());
            w.writeFile("generation_config.json", json.writerWithDefaultPrettyPrinter().writeValueAsBytes(gen));
            w.writeFile("tokenizer.json", CharTokenizer.bytes());
            w.writeFile("tokenizer_config.json", CharTokenizer.configBytes(config.maxPositions()));
            return w.commit();
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(dir + ": cannot serialise config: " + e.getMessage(), e);
        }
    }
}
