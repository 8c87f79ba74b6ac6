package alloy.lora;

import alloy.io.CheckpointWriter;
import alloy.io.OutputTarget;
import alloy.tensor.FloatTensor;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Writes a PEFT adapter directory (adapter_config.json, adapter_model.safetensors) atomically, through
 * {@link CheckpointWriter}'s staged output: only a complete directory appears under the output name.
 */
final class AdapterWriter implements AutoCloseable {

    private final CheckpointWriter writer;

    private AdapterWriter(CheckpointWriter writer) {
        this.writer = writer;
    }

    static AdapterWriter create(OutputTarget out, List<CheckpointWriter.Entry> entries) {
        // one shard whatever the size: PEFT loads a single adapter_model.safetensors
        return new AdapterWriter(CheckpointWriter.create(out, entries, Long.MAX_VALUE / 4, Map.of("format", "pt"),
                LoraAdapter.WEIGHTS_FILE));
    }

    void write(String name, FloatTensor t) { writer.write(name, t); }

    Path commit(byte[] configJson) {
        writer.writeFile(LoraConfig.FILE_NAME, configJson);
        return writer.commit();
    }

    @Override public void close() { writer.close(); }
}
