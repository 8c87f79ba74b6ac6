package alloy.bench;

import alloy.io.OutputTarget;
import alloy.recipe.MergeRun;
import alloy.recipe.Recipe;
import alloy.recipe.RecipeYaml;
import alloy.tensor.Kernels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Merges of checkpoints made only of 4096 x 11008 F32 matrices (base + three fine-tunes), in one JVM per
 * size so that the peak resident memory printed is this size's alone. Prints, per method, the first (cold:
 * the JIT has seen nothing) and the best of the following merges, as seconds and seconds per GiB of input,
 * and the process's peak memory: VmHWM (all resident pages, the mapped inputs' page-cache pages included)
 * and the peak of RssAnon (sampled every 5 ms: the memory the merge itself allocates).
 * Usage: ScaleBench WORKDIR OUTDIR SIZE_MIB [REPEATS] [METHODS]
 */
public final class ScaleBench {

    public static void main(String[] args) throws Exception {
        Path work = Path.of(args[0]), outRoot = Path.of(args[1]);
        long mib = Long.parseLong(args[2]);
        int repeats = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        List<String> only = args.length > 4 && !args[4].isBlank() ? List.of(args[4].split(",")) : List.of();
        int matrices = BigModels.matricesFor(mib);
        List<Path> m = BigModels.ensure(work.resolve("big-" + matrices + "x"), matrices, 3);
        Map<String, String> recipes = recipes(m);
        if (!only.isEmpty()) recipes.keySet().retainAll(only);
        AtomicLong peakAnon = new AtomicLong();
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            while (true) {
                peakAnon.accumulateAndGet(statusKib("RssAnon"), Math::max);
                try { Thread.sleep(5); } catch (InterruptedException e) { return; }
            }
        });
        int threads = Runtime.getRuntime().availableProcessors();
        double inputGib = matrices * BigModels.MATRIX.numel() * 4.0 / (1L << 30);
        System.out.printf(Locale.ROOT, "inputs: base + 3 fine-tunes, each %d x %s F32 (%.0f MiB), %d threads, output to %s%n",
                matrices, BigModels.MATRIX, inputGib * 1024, threads, outRoot);
        System.out.printf(Locale.ROOT, "%-10s %8s %8s %8s %10s %10s%n", "method", "inputs", "cold s", "best s", "s/GiB in", "GiB/s in");
        for (var e : recipes.entrySet()) {
            Recipe r = RecipeYaml.parse(e.getValue(), e.getKey(), work);
            int models = r.referencedModels().size();
            double cold = 0, best = Double.MAX_VALUE;
            for (int i = 0; i <= repeats; i++) {
                Path out = outRoot.resolve("scale-" + e.getKey());
                MergeBench.settle();
                long t0 = System.nanoTime();
                try (MergeRun run = MergeRun.prepare(r)) {
                    run.toDisk(OutputTarget.of(out, true), 5L << 30, new MergeRun.Options(42, threads, Kernels.fast()), s -> {});
                }
                double s = (System.nanoTime() - t0) / 1e9;
                if (i == 0) cold = s;
                else best = Math.min(best, s);
            }
            if (repeats == 0) best = cold;
            double gib = inputGib * models;
            System.out.printf(Locale.ROOT, "%-10s %5.2fGiB %8.2f %8.2f %10.3f %10.2f%n", e.getKey(), gib, cold, best, best / gib, gib / best);
        }
        sampler.interrupt();
        System.out.printf(Locale.ROOT, "peak memory: VmHWM %d MiB (mapped inputs included), peak RssAnon %d MiB%n",
                statusKib("VmHWM") >> 10, peakAnon.get() >> 10);
    }

    static Map<String, String> recipes(List<Path> m) {
        String base = m.get(0).toString();
        String tunes = "";
        for (int i = 1; i < m.size(); i++) tunes += "  - model: " + m.get(i) + "\n    parameters: {weight: 0.4, density: 0.5}\n";
        Map<String, String> r = new LinkedHashMap<>();
        String lin = "merge_method: linear\nmodels:\n  - model: " + base + "\n    parameters: {weight: 0.4}\n";
        for (int i = 1; i < m.size(); i++) lin += "  - model: " + m.get(i) + "\n    parameters: {weight: 0.2}\n";
        r.put("linear", lin + "dtype: float32\n");
        r.put("slerp", "merge_method: slerp\nbase_model: " + base + "\nmodels:\n  - model: " + base + "\n  - model: " + m.get(1)
                + "\nparameters: {t: 0.4}\ndtype: float32\n");
        r.put("ties", "merge_method: ties\nbase_model: " + base + "\nmodels:\n" + tunes + "dtype: float32\n");
        r.put("dare_ties", "merge_method: dare_ties\nbase_model: " + base + "\nmodels:\n" + tunes + "dtype: float32\n");
        return r;
    }

    /** A kB field of /proc/self/status (0 where absent: not Linux). */
    static long statusKib(String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(field + ":")) return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        } catch (Exception e) {
            return 0;
        }
        return 0;
    }
}
