package alloy.lora;

import alloy.io.Checkpoint;
import alloy.io.resolve.Checkpoints;
import alloy.io.CheckpointWriter;
import alloy.io.OutputTarget;
import alloy.tensor.DType;
import alloy.tensor.FloatTensor;
import alloy.tensor.Shape;
import alloy.testing.RandomModels;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Tiny PEFT adapters written byte by byte (independently of Alloy's writer, so that broken ones can be made
 * too) and a tiny Llama-shaped base from {@link RandomModels}: hidden 16, intermediate 32, vocabulary 40,
 * 4 layers.
 */
final class LoraFixtures {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String P = LoraAdapter.PREFIX;

    private LoraFixtures() {}

    /** A named float32 matrix. */
    record T(String name, Shape shape, float[] v) {
        T {
            if (v.length != shape.numel()) throw new IllegalArgumentException(name + ": " + v.length + " values for " + shape);
        }
    }

    static Path base(Path dir) { return base(dir, DType.F32); }

    static Path base(Path dir, DType dtype) {
        return RandomModels.write(dir, RandomModels.Spec.tiny(), dtype, 7, 7, 0, 1L << 30);
    }

    static ObjectNode config(int r, double alpha) {
        ObjectNode c = JSON.createObjectNode();
        c.put("peft_type", "LORA");
        c.put("base_model_name_or_path", "tiny-llama");
        c.put("r", r);
        c.put("lora_alpha", alpha);
        c.put("lora_dropout", 0.05);
        c.put("fan_in_fan_out", false);
        c.put("use_rslora", false);
        c.putArray("target_modules").add("q_proj").add("v_proj");
        c.put("task_type", "CAUSAL_LM");
        return c;
    }

    static float[] gaussian(long n, long seed, double sd) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float[] v = new float[Math.toIntExact(n)];
        for (int i = 0; i < v.length; i++) v[i] = (float) (rnd.nextGaussian() * sd);
        return v;
    }

    /** Random A (r, in) and B (out, r) for a linear module, PEFT-named. */
    static List<T> linear(String module, int r, long in, long out, long seed) {
        return List.of(
                new T(P + module + ".lora_A.weight", Shape.of(r, in), gaussian(r * in, seed, 0.3)),
                new T(P + module + ".lora_B.weight", Shape.of(out, r), gaussian(out * r, seed + 1000, 0.3)));
    }

    /** q_proj and v_proj of layers 0 and 1 of the tiny base. */
    static List<T> attention(int r, long seed) {
        List<T> ts = new ArrayList<>();
        for (int l = 0; l < 2; l++) {
            for (String p : List.of("q_proj", "v_proj")) {
                ts.addAll(linear("model.layers." + l + ".self_attn." + p, r, 16, 16, seed + l * 10 + p.hashCode()));
            }
        }
        return ts;
    }

    static Path adapter(Path dir, ObjectNode config, List<T> tensors) {
        try {
            Files.createDirectories(dir);
            Files.write(dir.resolve("adapter_config.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(config));
            safetensors(dir.resolve("adapter_model.safetensors"), tensors);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A float32 safetensors file assembled by hand. */
    static void safetensors(Path file, List<T> tensors) throws IOException {
        Map<String, Object> header = new LinkedHashMap<>();
        header.put("__metadata__", Map.of("format", "pt"));
        long off = 0;
        for (T t : tensors) {
            long bytes = t.v().length * 4L;
            header.put(t.name(), Map.of("dtype", "F32", "shape", t.shape().dims(), "data_offsets", new long[] {off, off + bytes}));
            off += bytes;
        }
        byte[] h = JSON.writeValueAsBytes(header);
        ByteBuffer b = ByteBuffer.allocate(Math.toIntExact(8 + h.length + off)).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        for (T t : tensors) for (float x : t.v()) b.putFloat(x);
        Files.write(file, b.array());
    }

    /** A base checkpoint of arbitrary float32 tensors, written with CheckpointWriter (plus a config.json). */
    static Path customBase(Path dir, List<T> tensors) {
        List<CheckpointWriter.Entry> entries = tensors.stream().map(t -> new CheckpointWriter.Entry(t.name(), DType.F32, t.shape())).toList();
        try (CheckpointWriter w = CheckpointWriter.create(OutputTarget.of(dir, true), entries, 1L << 30, Map.of("format", "pt"));
             Arena a = Arena.ofConfined()) {
            w.writeFile("config.json", "{\"model_type\": \"gpt2\"}".getBytes(StandardCharsets.UTF_8));
            for (T t : tensors) w.write(t.name(), FloatTensor.of(a, t.shape(), t.v()));
            return w.commit();
        }
    }

    static float[] read(Path model, String tensor) {
        try (Checkpoint c = Checkpoints.open(model); Arena a = Arena.ofConfined()) {
            return c.read(tensor, a).toArray();
        }
    }

    static byte[] rawBytes(Path model, String tensor) {
        try (Checkpoint c = Checkpoints.open(model)) {
            return c.raw(tensor).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        }
    }

    static float[] values(List<T> ts, String name) {
        return ts.stream().filter(t -> t.name().equals(name)).findFirst().orElseThrow().v();
    }

    /** (rows, cols) · (cols, n) in double: the textbook product. */
    static double[] matmul(float[] l, float[] r, int m, int k, int n) {
        double[] o = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int p = 0; p < k; p++) s += (double) l[i * k + p] * r[p * n + j];
                o[i * n + j] = s;
            }
        return o;
    }

    static double[] transpose(double[] x, int rows, int cols) {
        double[] t = new double[x.length];
        for (int i = 0; i < rows; i++) for (int j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j];
        return t;
    }

    /** Largest |a - b| relative to max(1, |b|). */
    static double maxRelErr(float[] a, double[] b) {
        if (a.length != b.length) throw new AssertionError("lengths " + a.length + " vs " + b.length);
        double worst = 0;
        for (int i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
        return worst;
    }

    /** Files and directories directly in {@code dir} whose name contains {@code part} (leftover partial outputs). */
    static List<Path> leftovers(Path dir, String part) {
        try (var s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().contains(part)).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
