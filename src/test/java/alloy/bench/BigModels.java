package alloy.bench;

import alloy.io.CheckpointWriter;
import alloy.io.OutputTarget;
import alloy.tensor.DType;
import alloy.tensor.FloatTensor;
import alloy.tensor.Shape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Checkpoints made only of 4096 x 11008 F32 matrices (a 7B model's MLP shape, 172 MiB each): a base and
 * fine-tunes that add a small seeded perturbation to it. Values are drawn with a cheap generator (sum of two
 * uniforms, roughly bell-shaped) so that gigabytes are written in seconds; a merge's speed does not depend
 * on the exact distribution, only on sizes, and TIES's selection sees distinct magnitudes either way.
 */
public final class BigModels {

    /** The shape of every tensor: Llama-2-7B's mlp.up_proj. */
    public static final Shape MATRIX = Shape.of(4096, 11008);

    private BigModels() {}

    /** Matrices per checkpoint for about {@code mib} MiB (at least one). */
    public static int matricesFor(long mib) {
        return (int) Math.max(1, Math.round((mib << 20) / (double) (MATRIX.numel() * 4L)));
    }

    /**
     * Writes {@code root}/base and {@code root}/tune1..tuneN, each of {@code matrices} tensors, unless the last
     * one is already there. Returns the model directories, base first.
     */
    public static List<Path> ensure(Path root, int matrices, int tunes) {
        List<Path> dirs = new ArrayList<>();
        for (int m = 0; m <= tunes; m++) dirs.add(root.resolve(m == 0 ? "base" : "tune" + m));
        if (Files.isRegularFile(dirs.get(tunes).resolve("config.json"))) return dirs;
        System.out.printf("writing base + %d fine-tunes of %d x %s F32 to %s%n", tunes, matrices, MATRIX, root);
        List<CheckpointWriter.Entry> entries = new ArrayList<>();
        for (int i = 0; i < matrices; i++) entries.add(new CheckpointWriter.Entry(name(i), DType.F32, MATRIX));
        for (int m = 0; m <= tunes; m++) {
            try (CheckpointWriter w = CheckpointWriter.create(OutputTarget.of(dirs.get(m), true), entries, 5L << 30, Map.of("format", "pt"));
                 Arena a = Arena.ofConfined()) {
                w.writeFile("config.json", "{\"architectures\": [\"LlamaForCausalLM\"], \"model_type\": \"llama\"}".getBytes());
                FloatTensor t = FloatTensor.allocate(a, MATRIX);
                for (int i = 0; i < matrices; i++) {
                    fill(t.data(), 1000 + i, m == 0 ? 0 : 7919L * m + i);
                    w.write(name(i), t);
                }
                w.commit();
            }
        }
        return dirs;
    }

    public static String name(int i) { return "model.layers." + i + ".mlp.up_proj.weight"; }

    /** base(seed) + (tune seed != 0 ? 0.1 * noise : 0), both centred sums of two uniforms. */
    public static void fill(MemorySegment s, long baseSeed, long tuneSeed) {
        SplittableRandom b = new SplittableRandom(baseSeed), d = new SplittableRandom(tuneSeed);
        long n = s.byteSize() / 4;
        for (long i = 0; i < n; i++) {
            long r = b.nextLong();
            float v = ((int) r + (int) (r >>> 32)) * 0x1.0p-31f * 0.05f;
            if (tuneSeed != 0) {
                long q = d.nextLong();
                v += ((int) q + (int) (q >>> 32)) * 0x1.0p-31f * 0.005f;
            }
            s.setAtIndex(FloatTensor.F32, i, v);
        }
    }
}
