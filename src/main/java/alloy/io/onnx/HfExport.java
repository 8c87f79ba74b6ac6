package alloy.io.onnx;

import alloy.io.CheckpointException;
import alloy.io.CheckpointWriter;
import alloy.io.HfConfig;
import alloy.io.OutputTarget;
import alloy.io.TensorInfo;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Exports an ONNX BERT encoder as a Hugging Face model directory: model.safetensors (Hugging Face names and
 * layouts, the stored dtype, bytes copied exactly), config.json with {@code "architectures": ["BertModel"]}
 * and tokenizer.json. Written through {@link CheckpointWriter}, so the directory appears only when complete.
 */
public final class HfExport {

    /** Everything in one shard: BERT encoders are far below the Hub's customary 5 GB shards. */
    private static final long SHARD_BYTES = 5_000_000_000L;

    private HfExport() {}

    public static Path export(OnnxCheckpoint source, Path outDir, boolean overwrite) {
        HfConfig config = source.config().orElseThrow(() -> new CheckpointException(source.label()
                + ": not a BERT encoder (no tensor 'embeddings.word_embeddings.weight' and no config.json); nothing to export as BertModel"));
        ObjectNode json = config.json().deepCopy();
        if (!json.has("architectures")) json.putArray("architectures").add("BertModel");
        if (!json.has("model_type")) json.put("model_type", "bert");
        List<TensorInfo> tensors = source.tensors();
        List<CheckpointWriter.Entry> entries = tensors.stream().map(t -> new CheckpointWriter.Entry(t.name(), t.dtype(), t.shape())).toList();
        // transformers refuses safetensors whose metadata lacks format=pt.
        try (CheckpointWriter w = CheckpointWriter.create(new OutputTarget(outDir, overwrite, source.sources()), entries, SHARD_BYTES, Map.of("format", "pt"))) {
            for (TensorInfo t : tensors) w.writeRaw(t.name(), source.raw(t.name()));
            w.writeFile("config.json", BertConfigs.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json));
            if (source.tokenizerFile().isPresent()) w.writeFile("tokenizer.json", Files.readAllBytes(source.tokenizerFile().get()));
            return w.commit();
        } catch (IOException e) {
            throw new CheckpointException(outDir + ": cannot export " + source.label() + ": " + e.getMessage(), e);
        }
    }
}
