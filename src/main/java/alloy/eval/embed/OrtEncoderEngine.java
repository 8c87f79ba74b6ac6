package alloy.eval.embed;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import alloy.eval.model.TextTokenizer;
import alloy.io.Checkpoint;
import alloy.io.CheckpointException;
import alloy.io.TensorInfo;
import alloy.io.onnx.ExternalTemplate;
import alloy.io.onnx.NameMapping;
import alloy.io.onnx.OnnxCheckpoint;
import alloy.tensor.DType;
import alloy.tensor.FloatTensor;
import alloy.tensor.PageMemory;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Sentence encoders on ONNX Runtime: each candidate gets a session over the reference model's ONNX graph
 * whose weights are the candidate's tensors, handed over in memory instead of written to an ONNX file. The
 * graph is first rewritten once with every weight taken out ({@link ExternalTemplate}): a few hundred KiB,
 * which makes a session quick to create (0.6 s for bge-small against 0.8-1.4 s from the 133 MB file). Each
 * weight is then given to the session with {@code SessionOptions.addInitializer}, which ONNX Runtime uses in
 * place; {@code addExternalInitializers}, the first way tried, copies every tensor into the session (session
 * creation 0.17 s against 0.10 s with the same weights, measured here). Weights that the ONNX graph stores
 * transposed (MatMul's W^T) are transposed back per candidate into one recycled region; the others are read
 * in place, without a copy.
 */
public final class OrtEncoderEngine implements EncoderEngine {

    private final OnnxCheckpoint template;
    private final byte[] graph;
    private final SentenceEmbedder embedder;
    private final int threads;
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private OrtSession.SessionOptions.OptLevel optimization = OrtSession.SessionOptions.OptLevel.ALL_OPT;

    private OrtEncoderEngine(OnnxCheckpoint template, SentenceEmbedder embedder, int threads) {
        this.template = template;
        this.graph = ExternalTemplate.of(template);
        this.embedder = embedder;
        this.threads = threads;
    }

    /**
     * An engine over the ONNX graph at {@code onnx}, or empty when its weights are not all float32 (the
     * candidates' tensors are handed over as float32; a half-precision graph stays with DJL).
     */
    public static Optional<OrtEncoderEngine> open(Path onnx, SentenceEmbedder embedder, int threads) {
        Objects.requireNonNull(embedder, "embedder");
        if (threads < 1) throw new IllegalArgumentException("ONNX Runtime threads: expected >= 1, found " + threads);
        OnnxCheckpoint template = OnnxCheckpoint.open(onnx);
        try {
            for (NameMapping m : template.nameMapping()) {
                if (m.exposed() && template.info(m.hfName().get()).dtype() != DType.F32) {
                    template.close();
                    return Optional.empty();
                }
            }
            return Optional.of(new OrtEncoderEngine(template, embedder, threads));
        } catch (RuntimeException e) {
            template.close();
            throw e;
        }
    }

    @Override public String name() { return "onnxruntime"; }

    /**
     * ONNX Runtime's graph optimisation for the sessions made from now on (default ALL_OPT): a session is
     * made per candidate, so its optimisation time is paid per candidate; for measuring that trade.
     */
    public OrtEncoderEngine optimization(OrtSession.SessionOptions.OptLevel level) {
        this.optimization = Objects.requireNonNull(level, "optimization level");
        return this;
    }

    @Override public Loaded load(Checkpoint candidate) {
        Arena arena = Arena.ofShared();
        Map<String, OnnxTensor> weights = new HashMap<>();
        try {
            List<NameMapping> exposed = template.nameMapping().stream().filter(NameMapping::exposed).toList();
            // every transposed weight in one region of the same size for every candidate, so that it is recycled
            // (PageMemory) instead of zero-filled afresh: 84 MB for bge-small
            long transposedBytes = 0;
            for (NameMapping m : exposed) if (m.transposed()) transposedBytes += template.info(m.hfName().get()).shape().numel() * 4;
            MemorySegment transposed = transposedBytes > 0 ? PageMemory.allocateUninitialized(transposedBytes, arena) : MemorySegment.NULL;
            long at = 0;
            for (NameMapping m : exposed) {
                String hf = m.hfName().get();
                TensorInfo expected = template.info(hf);
                FloatTensor t = candidate.view(hf, arena);
                if (!t.shape().equals(expected.shape())) {
                    throw new CheckpointException(candidate.label() + ": tensor '" + hf + "' has shape " + t.shape() + ", the ONNX graph of "
                            + template.label() + " expects " + expected.shape());
                }
                long[] dims = t.shape().dims();
                MemorySegment data = t.data();
                if (m.transposed()) {   // the graph holds W^T: (in, out) for Hugging Face's (out, in)
                    long bytes = t.shape().numel() * 4;
                    data = transposed.asSlice(at, bytes);
                    at += bytes;
                    OnnxCheckpoint.transposeInto(t.data(), dims[0], dims[1], 4, data);
                    dims = new long[] {dims[1], dims[0]};
                }
                FloatBuffer buffer = data.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
                weights.put(m.onnxName(), OnnxTensor.createTensor(env, buffer, dims));
            }
            OrtSession session;
            try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
                options.setIntraOpNumThreads(threads);
                options.setInterOpNumThreads(1);
                options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
                options.setOptimizationLevel(optimization);
                for (var w : weights.entrySet()) options.addInitializer(w.getKey(), w.getValue());
                session = env.createSession(graph, options);
            }
            return new Session(session, weights, arena);
        } catch (OrtException e) {
            release(weights, arena);
            throw new IllegalStateException(candidate.label() + ": ONNX Runtime cannot build a session over " + template.label()
                    + " with its weights: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            release(weights, arena);
            throw e;
        }
    }

    private static void release(Map<String, OnnxTensor> weights, Arena arena) {
        weights.values().forEach(OnnxTensor::close);
        arena.close();
    }

    private final class Session implements Loaded {
        private final OrtSession session;
        private final Map<String, OnnxTensor> weights;
        private final Arena arena;
        private final boolean typeIds;

        Session(OrtSession session, Map<String, OnnxTensor> weights, Arena arena) {
            this.session = session;
            this.weights = weights;
            this.arena = arena;
            this.typeIds = session.getInputNames().contains("token_type_ids");
        }

        @Override public float[][] embed(TokenizedTexts texts) {
            return embedder.embedPlanned(texts, batch -> pool(lastHidden(batch), batch, embedder.profile().pooling(), embedder.profile().normalize()));
        }

        /** last_hidden_state, (batch · seq · hidden) row-major. */
        private float[] lastHidden(TextTokenizer.Batch batch) {
            long[] shape = {batch.size(), batch.length()};
            List<OnnxTensor> inputs = new ArrayList<>();
            try {
                Map<String, OnnxTensor> feed = new HashMap<>();
                feed.put("input_ids", add(inputs, OnnxTensor.createTensor(env, LongBuffer.wrap(batch.flatIds()), shape)));
                feed.put("attention_mask", add(inputs, OnnxTensor.createTensor(env, LongBuffer.wrap(batch.flatAttentionMask()), shape)));
                if (typeIds) feed.put("token_type_ids", add(inputs, OnnxTensor.createTensor(env, LongBuffer.wrap(batch.flatTypeIds()), shape)));
                try (OrtSession.Result r = session.run(feed)) {
                    FloatBuffer hidden = ((OnnxTensor) r.get(0)).getFloatBuffer();
                    float[] a = new float[hidden.remaining()];
                    hidden.get(a);
                    return a;
                }
            } catch (OrtException e) {
                throw new IllegalStateException("ONNX Runtime run over " + template.label() + " failed: " + e.getMessage(), e);
            } finally {
                inputs.forEach(OnnxTensor::close);
            }
        }

        @Override public void close() {
            try {
                session.close();
            } catch (OrtException e) {
                throw new IllegalStateException("ONNX Runtime: closing a session failed: " + e.getMessage(), e);
            } finally {
                release(weights, arena);
            }
        }
    }

    private static OnnxTensor add(List<OnnxTensor> all, OnnxTensor t) {
        all.add(t);
        return t;
    }

    /** Pooling of (batch · seq · hidden) states in plain Java, as {@link Pooling} does on NDArrays. */
    public static float[][] pool(float[] hidden, TextTokenizer.Batch batch, Pooling pooling, boolean normalize) {
        int b = batch.size(), s = batch.length(), h = hidden.length / (b * s);
        float[][] out = new float[b][h];
        for (int i = 0; i < b; i++) {
            if (pooling == Pooling.CLS) {
                System.arraycopy(hidden, i * s * h, out[i], 0, h);
            } else {
                double[] sum = new double[h];
                int n = 0;
                for (int t = 0; t < s; t++) {
                    if (batch.attentionMask()[i][t] == 0) continue;
                    n++;
                    for (int k = 0; k < h; k++) sum[k] += hidden[(i * s + t) * h + k];
                }
                for (int k = 0; k < h; k++) out[i][k] = (float) (sum[k] / Math.max(n, 1));
            }
            if (normalize) {
                double norm = 0;
                for (float v : out[i]) norm += v * (double) v;
                norm = Math.max(Math.sqrt(norm), 1e-12);
                for (int k = 0; k < h; k++) out[i][k] = (float) (out[i][k] / norm);
            }
        }
        return out;
    }

    @Override public void close() { template.close(); }
}
