package alloy.eval.family;

import alloy.eval.Scorer;
import alloy.eval.embed.EmbeddingScorer;
import alloy.eval.embed.EncoderProfile;
import alloy.eval.gen.DecoderScorer;
import alloy.eval.task.ProxyTask;
import alloy.io.Checkpoint;
import alloy.io.HfConfig;
import alloy.io.onnx.OnnxCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Picks the scorer a model family needs from what the checkpoint says of itself: BERT encoders (config.json
 * architectures, or BERT tensor names for a bare ONNX file) get the sentence-embedding scorer with a pooling
 * profile; causal LMs get the decoder scorer.
 */
public final class Scorers {

    public enum Family { ENCODER, DECODER }

    private Scorers() {}

    public static Family family(Checkpoint c) {
        String arch = c.config().flatMap(HfConfig::architecture).orElse("").toLowerCase(Locale.ROOT);
        if (arch.contains("causallm")) return Family.DECODER;
        if (arch.contains("bert") || c.has("embeddings.word_embeddings.weight")) return Family.ENCODER;
        if (c.has("model.embed_tokens.weight")) return Family.DECODER;
        throw new IllegalArgumentException(c.label() + ": cannot tell whether this is a sentence encoder or a causal LM "
                + "(config.json architectures '" + arch + "')");
    }

    /**
     * A scorer for candidates shaped like {@code reference}. {@code profile}: an encoder profile spec (bge, e5,
     * minilm, or pooling=...,query_prefix=...); when absent it is guessed from {@code modelName}.
     */
    public static Scorer open(Checkpoint reference, String modelName, List<ProxyTask> tasks, Optional<String> profile) {
        return switch (family(reference)) {
            case ENCODER -> {
                EncoderProfile p = profile.map(EncoderProfile::parse).or(() -> EncoderProfile.forModel(modelName))
                        .orElseThrow(() -> new IllegalArgumentException("no pooling profile known for '" + modelName
                                + "': pass --profile (one of " + EncoderProfile.knownProfiles().keySet() + ")"));
                yield EmbeddingScorer.open(tasks, tokenizer(reference), EmbeddingScorer.Settings.of(p), onnxGraph(reference));
            }
            case DECODER -> DecoderScorer.open(tasks, DecoderScorer.Settings.defaults());
        };
    }

    /** Set {@code -Dalloy.encoder.engine=djl} to run encoders on DJL even where ONNX Runtime could. */
    public static final String ENGINE_PROPERTY = "alloy.encoder.engine";

    /**
     * The ONNX graph candidates shaped like {@code c} can run on: its own file, or the model.onnx beside it (a
     * merge built in memory from ONNX models keeps the reference's directory); none when the engine is set to djl.
     */
    public static Optional<Path> onnxGraph(Checkpoint c) {
        String engine = System.getProperty(ENGINE_PROPERTY, "onnxruntime");
        if (engine.equals("djl")) return Optional.empty();
        if (!engine.equals("onnxruntime")) throw new IllegalArgumentException(ENGINE_PROPERTY + ": expected onnxruntime or djl, found '" + engine + "'");
        if (c instanceof OnnxCheckpoint o) return Optional.of(o.file());
        return c.modelDirectory().map(d -> d.resolve("model.onnx")).filter(Files::isRegularFile);
    }

    public static Path tokenizer(Checkpoint c) {
        if (c instanceof OnnxCheckpoint o && o.tokenizerFile().isPresent()) return o.tokenizerFile().get();
        return c.modelDirectory().map(d -> d.resolve("tokenizer.json")).filter(Files::isRegularFile)
                .orElseThrow(() -> new IllegalArgumentException(c.label() + ": no tokenizer.json beside the model"));
    }
}
