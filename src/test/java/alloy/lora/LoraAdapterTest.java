package alloy.lora;

import static alloy.lora.LoraFixtures.*;
import static org.junit.jupiter.api.Assertions.*;

import alloy.io.CheckpointException;
import alloy.tensor.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LoraAdapterTest {

    @TempDir Path dir;

    @Test
    void opensAndPairsFactors() {
        Path p = adapter(dir.resolve("a"), config(4, 8), attention(4, 1));
        try (LoraAdapter a = LoraAdapter.open(p)) {
            assertEquals(4, a.modules().size());
            LoraModule q = a.module("model.layers.0.self_attn.q_proj").orElseThrow();
            assertEquals(LoraModule.Kind.LINEAR, q.kind());
            assertEquals(4, q.rank());
            assertEquals(16, q.inFeatures());
            assertEquals(16, q.outFeatures());
            assertEquals(2.0, q.scale());
            assertEquals("model.layers.0.self_attn.q_proj.weight", q.baseWeightName());
            assertEquals(Shape.of(16, 16), q.deltaShape());
            assertTrue(a.label().endsWith("adapter_model.safetensors"));
        }
        // opening the .safetensors file directly finds the config beside it
        try (LoraAdapter a = LoraAdapter.open(p.resolve("adapter_model.safetensors"))) {
            assertEquals(4, a.modules().size());
        }
    }

    @Test
    void mapsAdapterNamesToBaseNames() {
        assertEquals("model.layers.3.mlp.up_proj.weight",
                LoraAdapter.baseWeightName("base_model.model.model.layers.3.mlp.up_proj.lora_A.weight").orElseThrow());
        assertEquals("model.layers.3.mlp.up_proj.weight",
                LoraAdapter.baseWeightName("base_model.model.model.layers.3.mlp.up_proj.lora_B.weight").orElseThrow());
        assertEquals("model.embed_tokens.weight", LoraAdapter.baseWeightName("base_model.model.model.embed_tokens.lora_embedding_A").orElseThrow());
        assertEquals("encoder.layer.0.query.weight", LoraAdapter.baseWeightName("encoder.layer.0.query.lora_B.weight").orElseThrow());
        assertTrue(LoraAdapter.baseWeightName("base_model.model.lm_head.weight").isEmpty());
    }

    @Test
    void scalesAsPeftDoes() {
        ObjectNode c = config(4, 8);
        c.put("use_rslora", true);
        try (LoraAdapter a = LoraAdapter.open(adapter(dir.resolve("rs"), c, attention(4, 1)))) {
            assertEquals(8 / Math.sqrt(4), a.modules().values().iterator().next().scale());
        }
        // rank_pattern / alpha_pattern: PEFT's get_pattern_key, (.*\.)?(KEY)$ against the module name
        ObjectNode p = config(4, 8);
        p.putObject("rank_pattern").put("v_proj", 2);
        p.putObject("alpha_pattern").put("layers\\.1\\.self_attn\\.q_proj", 32);
        List<T> ts = new ArrayList<>();
        for (int l = 0; l < 2; l++) {
            ts.addAll(linear("model.layers." + l + ".self_attn.q_proj", 4, 16, 16, l));
            ts.addAll(linear("model.layers." + l + ".self_attn.v_proj", 2, 16, 16, l + 5));
        }
        try (LoraAdapter a = LoraAdapter.open(adapter(dir.resolve("pat"), p, ts))) {
            assertEquals(2.0, a.module("model.layers.0.self_attn.q_proj").orElseThrow().scale());
            assertEquals(8.0, a.module("model.layers.1.self_attn.q_proj").orElseThrow().scale());
            assertEquals(4.0, a.module("model.layers.0.self_attn.v_proj").orElseThrow().scale());
            assertEquals(2, a.module("model.layers.1.self_attn.v_proj").orElseThrow().rank());
            assertEquals(4, a.config().maxRank());
        }
    }

    @Test
    void embeddingFactorsAreTransposed() {
        List<T> ts = List.of(
                new T(P + "model.embed_tokens.lora_embedding_A", Shape.of(4, 40), gaussian(160, 1, 1)),
                new T(P + "model.embed_tokens.lora_embedding_B", Shape.of(16, 4), gaussian(64, 2, 1)));
        try (LoraAdapter a = LoraAdapter.open(adapter(dir.resolve("emb"), config(4, 4), ts))) {
            LoraModule m = a.module("model.embed_tokens").orElseThrow();
            assertEquals(LoraModule.Kind.EMBEDDING, m.kind());
            assertTrue(m.transposed());
            assertEquals(Shape.of(40, 16), m.deltaShape());
        }
    }

    @Test
    void missingLoraB() {
        List<T> ts = new ArrayList<>(attention(4, 1));
        ts.removeIf(t -> t.name().equals(P + "model.layers.1.self_attn.v_proj.lora_B.weight"));
        Path p = adapter(dir.resolve("noB"), config(4, 8), ts);
        String msg = oneLine(() -> LoraAdapter.open(p));
        assertTrue(msg.contains(p.resolve("adapter_model.safetensors").toString()), msg);
        assertTrue(msg.contains("'base_model.model.model.layers.1.self_attn.v_proj.lora_A.weight'"), msg);
        assertTrue(msg.contains("'base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight' is missing"), msg);
    }

    @Test
    void rankMismatchWithConfig() {
        Path p = adapter(dir.resolve("r8"), config(8, 8), attention(4, 1));
        String msg = oneLine(() -> LoraAdapter.open(p));
        assertTrue(msg.contains("adapter_model.safetensors") && msg.contains("lora_A.weight' has rank 4") && msg.contains("r = 8"), msg);
    }

    @Test
    void factorsThatDisagreeInRank() {
        List<T> ts = new ArrayList<>(linear("model.layers.0.self_attn.q_proj", 4, 16, 16, 1));
        ts.set(1, new T(P + "model.layers.0.self_attn.q_proj.lora_B.weight", Shape.of(16, 3), gaussian(48, 3, 1)));
        Path p = adapter(dir.resolve("ab"), config(4, 8), ts);
        String msg = oneLine(() -> LoraAdapter.open(p));
        assertTrue(msg.contains("lora_B.weight' has shape [16, 3], expected [16, 4]"), msg);
    }

    @Test
    void refusesWhatItCannotFold() {
        List<T> dora = new ArrayList<>(linear("model.layers.0.self_attn.q_proj", 4, 16, 16, 1));
        dora.add(new T(P + "model.layers.0.self_attn.q_proj.lora_magnitude_vector", Shape.of(16), gaussian(16, 2, 1)));
        String msg = oneLine(() -> LoraAdapter.open(adapter(dir.resolve("dora"), config(4, 8), dora)));
        assertTrue(msg.contains("lora_magnitude_vector") && msg.contains("DoRA"), msg);

        List<T> saved = new ArrayList<>(linear("model.layers.0.self_attn.q_proj", 4, 16, 16, 1));
        saved.add(new T(P + "lm_head.weight", Shape.of(40, 16), gaussian(640, 2, 1)));
        msg = oneLine(() -> LoraAdapter.open(adapter(dir.resolve("mts"), config(4, 8), saved)));
        assertTrue(msg.contains("'base_model.model.lm_head.weight' is not a LoRA factor"), msg);

        ObjectNode c = config(4, 8);
        c.put("use_dora", true);
        msg = oneLine(() -> LoraAdapter.open(adapter(dir.resolve("dcfg"), c, attention(4, 1))));
        assertTrue(msg.contains("adapter_config.json") && msg.contains("use_dora"), msg);

        ObjectNode ia3 = config(4, 8);
        ia3.put("peft_type", "IA3");
        msg = oneLine(() -> LoraAdapter.open(adapter(dir.resolve("ia3"), ia3, attention(4, 1))));
        assertTrue(msg.contains("peft_type is 'IA3'"), msg);
    }

    @Test
    void missingFiles() throws Exception {
        Path p = adapter(dir.resolve("nocfg"), config(4, 8), attention(4, 1));
        Files.delete(p.resolve("adapter_config.json"));
        String msg = oneLine(() -> LoraAdapter.open(p));
        assertTrue(msg.contains("no adapter_config.json"), msg);

        Path bin = Files.createDirectories(dir.resolve("bin"));
        Files.write(bin.resolve("adapter_model.bin"), new byte[] {1, 2, 3});
        msg = oneLine(() -> LoraAdapter.open(bin));
        assertTrue(msg.contains("adapter_model.bin") && msg.contains("safetensors"), msg);
    }

    @Test
    void badConfigValuesNameTheKey() {
        ObjectNode c = config(4, 8);
        c.put("lora_alpha", "eight");
        String msg = oneLine(() -> LoraAdapter.open(adapter(dir.resolve("alpha"), c, attention(4, 1))));
        assertTrue(msg.contains("adapter_config.json") && msg.contains("'lora_alpha' must be a number, found \"eight\""), msg);
    }

    @Test
    void adapterRefs() {
        assertEquals(new AdapterRef("a/b", 1.0), AdapterRef.parse("a/b"));
        assertEquals(new AdapterRef("a/b", 0.25), AdapterRef.parse("a/b:0.25"));
        assertEquals(new AdapterRef("a/b", -1.5), AdapterRef.parse("a/b:-1.5"));
        assertEquals(new AdapterRef("x:y/z", 1.0), AdapterRef.parse("x:y/z"));
    }

    /** The error's message, checked to be one line. */
    static String oneLine(org.junit.jupiter.api.function.Executable e) {
        CheckpointException ex = assertThrows(CheckpointException.class, e);
        assertFalse(ex.getMessage().contains("\n"), ex.getMessage());
        return ex.getMessage();
    }
}
