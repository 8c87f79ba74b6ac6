package alloy.bench;

import alloy.io.Checkpoint;
import alloy.io.CheckpointWriter;
import alloy.io.resolve.Checkpoints;
import alloy.io.OutputTarget;
import alloy.io.TensorInfo;
import alloy.recipe.MergeRun;
import alloy.recipe.Recipe;
import alloy.recipe.RecipeYaml;
import alloy.tensor.Kernels;
import alloy.testing.RandomModels;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Merge time against the I/O floor, for linear, slerp, ties and dare_ties on the same inputs in one run.
 * The floor for a method is the time to read every byte of its inputs once and write an output of the
 * same size once; both are measured warm (inputs in the page cache), as the merges are, after one
 * untimed pass. Usage: MergeBench WORKDIR SIZE_MIB [REPEATS]
 */
public final class MergeBench {

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]);
        long mib = Long.parseLong(args[1]);
        int repeats = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        Path models = work.resolve("models-" + mib + "m");
        if (!Files.isDirectory(models.resolve("tune2"))) {
            System.out.println("writing 3 random checkpoints of ~" + mib + " MiB to " + models);
            RandomModels.main(new String[] {models.toString(), Long.toString(mib), "3"});
        }
        String base = models.resolve("base").toString(), t1 = models.resolve("tune1").toString(), t2 = models.resolve("tune2").toString();
        Map<String, String> recipes = new java.util.LinkedHashMap<>();
        recipes.put("linear", "merge_method: linear\nmodels:\n  - model: " + base + "\n    parameters: {weight: 0.2}\n  - model: " + t1
                + "\n    parameters: {weight: 0.4}\n  - model: " + t2 + "\n    parameters: {weight: 0.4}\ndtype: float32\n");
        recipes.put("slerp", "merge_method: slerp\nbase_model: " + base + "\nmodels:\n  - model: " + base + "\n  - model: " + t1
                + "\nparameters: {t: [0, 0.5, 1]}\ndtype: float32\n");
        recipes.put("ties", "merge_method: ties\nbase_model: " + base + "\nmodels:\n  - model: " + t1 + "\n    parameters: {weight: 0.6, density: 0.5}\n  - model: "
                + t2 + "\n    parameters: {weight: 0.6, density: 0.5}\ndtype: float32\n");
        recipes.put("dare_ties", "merge_method: dare_ties\nbase_model: " + base + "\nmodels:\n  - model: " + t1 + "\n    parameters: {weight: 0.6, density: 0.5}\n  - model: "
                + t2 + "\n    parameters: {weight: 0.6, density: 0.5}\ndtype: float32\n");
        String only = System.getProperty("alloy.bench.methods", "");   // e.g. ties,dare_ties
        if (!only.isBlank()) recipes.keySet().retainAll(List.of(only.split(",")));
        int threads = Runtime.getRuntime().availableProcessors();
        System.out.printf(Locale.ROOT, "inputs: 3 x %d MiB F32 checkpoints, %d threads, best of %d%n", mib, threads, repeats);
        System.out.printf(Locale.ROOT, "%-10s %10s %10s %8s%n", "method", "merge s", "floor s", "ratio");
        for (var e : recipes.entrySet()) {
            Recipe r = RecipeYaml.parse(e.getValue(), e.getKey(), work);
            double best = Double.MAX_VALUE, floor = Double.MAX_VALUE;
            for (int i = 0; i <= repeats; i++) {
                Path out = work.resolve("out-" + e.getKey());
                settle();
                long t0 = System.nanoTime();
                try (MergeRun run = MergeRun.prepare(r)) {
                    run.toDisk(OutputTarget.of(out, true), 5L << 30, new MergeRun.Options(42, threads, Kernels.fast()), s -> {});
                }
                double m = (System.nanoTime() - t0) / 1e9;
                settle();
                double f = ioFloor(r, work.resolve("floor-" + e.getKey()));
                if (i > 0) { // the first round warms the page cache and the JIT
                    best = Math.min(best, m);
                    floor = Math.min(floor, f);
                }
            }
            System.out.printf(Locale.ROOT, "%-10s %10.2f %10.2f %8.2f%n", e.getKey(), best, floor, best / floor);
        }
    }

    /**
     * Flushes dirty pages (untimed) so that each timed section starts from the same state: otherwise the
     * writeback of the previous run's gigabyte competes with the next one for the two cores, and whichever
     * runs later pays for it.
     */
    static void settle() throws Exception {
        new ProcessBuilder("sync").inheritIO().start().waitFor();
    }

    /** Reads every input byte once (summing longs so the reads cannot be skipped) and writes an output of the merge's size. */
    static double ioFloor(Recipe r, Path out) {
        long t0 = System.nanoTime();
        List<Checkpoint> in = new ArrayList<>();
        long sink = 0;
        try {
            for (String m : r.referencedModels()) in.add(Checkpoints.open(m, r.folder()));
            for (Checkpoint c : in) {
                for (TensorInfo t : c.tensors()) {
                    MemorySegment s = c.raw(t.name());
                    long n = s.byteSize() / 8;
                    for (long i = 0; i < n; i++) sink += s.getAtIndex(ValueLayout.JAVA_LONG_UNALIGNED, i);
                }
            }
            Checkpoint first = in.get(0);
            List<CheckpointWriter.Entry> entries = first.tensors().stream().map(t -> new CheckpointWriter.Entry(t.name(), t.dtype(), t.shape())).toList();
            try (CheckpointWriter w = CheckpointWriter.create(OutputTarget.of(out, true), entries, 5L << 30, Map.of())) {
                for (TensorInfo t : first.tensors()) w.writeRaw(t.name(), first.raw(t.name()));
                w.commit();
            }
        } finally {
            in.forEach(Checkpoint::close);
        }
        if (sink == 42) System.out.print("");
        return (System.nanoTime() - t0) / 1e9;
    }
}
