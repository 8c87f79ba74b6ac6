package alloy.eval.model;

import alloy.io.MemoryCheckpoint;
import alloy.tensor.FloatTensor;
import alloy.tensor.Shape;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/** Tiny BERT checkpoints with seeded random weights, held in memory, with a config.json in a folder. */
public final class BertTinyModels {

    public static final BertConfig TINY = new BertConfig(30, 8, 2, 2, 16, 16, 2, 1e-12, BertConfig.Activation.GELU);

    private BertTinyModels() {}

    /** Hugging Face names and shapes of every weight of {@code c}, with {@code prefix} ("" or "bert."). */
    public static Map<String, Shape> layout(BertConfig c, String prefix) {
        Map<String, Shape> m = new LinkedHashMap<>();
        long h = c.hiddenSize(), i = c.intermediateSize();
        m.put(prefix + "embeddings.word_embeddings.weight", Shape.of(c.vocabSize(), h));
        m.put(prefix + "embeddings.position_embeddings.weight", Shape.of(c.maxPositions(), h));
        m.put(prefix + "embeddings.token_type_embeddings.weight", Shape.of(c.typeVocabSize(), h));
        m.put(prefix + "embeddings.LayerNorm.weight", Shape.of(h));
        m.put(prefix + "embeddings.LayerNorm.bias", Shape.of(h));
        for (int l = 0; l < c.numLayers(); l++) {
            String p = prefix + "encoder.layer." + l + ".";
            for (String proj : new String[] {"query", "key", "value"}) {
                m.put(p + "attention.self." + proj + ".weight", Shape.of(h, h));
                m.put(p + "attention.self." + proj + ".bias", Shape.of(h));
            }
            m.put(p + "attention.output.dense.weight", Shape.of(h, h));
            m.put(p + "attention.output.dense.bias", Shape.of(h));
            m.put(p + "attention.output.LayerNorm.weight", Shape.of(h));
            m.put(p + "attention.output.LayerNorm.bias", Shape.of(h));
            m.put(p + "intermediate.dense.weight", Shape.of(i, h));
            m.put(p + "intermediate.dense.bias", Shape.of(i));
            m.put(p + "output.dense.weight", Shape.of(h, i));
            m.put(p + "output.dense.bias", Shape.of(h));
            m.put(p + "output.LayerNorm.weight", Shape.of(h));
            m.put(p + "output.LayerNorm.bias", Shape.of(h));
        }
        return m;
    }

    /** A config.json for {@code c} in {@code dir} (created). */
    public static Path writeConfig(Path dir, BertConfig c) {
        String json = """
                {"architectures": ["BertModel"], "model_type": "bert", "vocab_size": %d, "hidden_size": %d,
                 "num_hidden_layers": %d, "num_attention_heads": %d, "intermediate_size": %d, "hidden_act": "%s",
                 "max_position_embeddings": %d, "type_vocab_size": %d, "layer_norm_eps": %s,
                 "position_embedding_type": "absolute"}
                """.formatted(c.vocabSize(), c.hiddenSize(), c.numLayers(), c.numHeads(), c.intermediateSize(),
                c.activation().name().toLowerCase(), c.maxPositions(), c.typeVocabSize(), c.layerNormEps());
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), json);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return dir;
    }

    /** Random weights (LayerNorm weights near 1) for {@code c} under {@code prefix}, config.json in {@code dir}. */
    public static MemoryCheckpoint random(BertConfig c, String prefix, Path dir, long seed) {
        writeConfig(dir, c);
        MemoryCheckpoint ck = new MemoryCheckpoint("tiny-bert-" + seed, Optional.of(dir));
        layout(c, prefix).forEach((name, shape) -> {
            SplittableRandom r = new SplittableRandom(seed * 1_000_003L + name.hashCode());
            float[] v = new float[Math.toIntExact(shape.numel())];
            boolean normWeight = name.endsWith("LayerNorm.weight");
            for (int k = 0; k < v.length; k++) v[k] = (float) ((normWeight ? 1 : 0) + r.nextGaussian() * 0.3);
            ck.put(name, FloatTensor.of(ck.arena(), shape, v));
        });
        return ck;
    }
}
