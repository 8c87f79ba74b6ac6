package alloy.cli;

import alloy.arch.LayerLayout;
import alloy.inspect.Comparison;
import alloy.io.Checkpoint;
import alloy.io.resolve.Checkpoints;
import alloy.io.TensorInfo;
import alloy.tensor.DType;
import alloy.tensor.Kernels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = {"Show a checkpoint's tensors and layer layout; with several models (and optionally --base),",
                "a pre-merge compatibility report: per-layer task-vector norms, cosines and sign conflicts."})
final class InspectCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "MODEL", description = "model directory, .safetensors/.onnx file, maven:g:a:v or org/name in the HF cache")
    List<String> models;

    @Option(names = "--base", paramLabel = "BASE", description = "common base model: compare task vectors (model - base)")
    String base;

    @Option(names = "--tensors", description = "list every tensor")
    boolean listTensors;

    @Override public Integer call() {
        List<Checkpoint> opened = new ArrayList<>();
        try {
            for (String m : models) opened.add(Checkpoints.open(m, null));
            Optional<Checkpoint> b = Optional.ofNullable(base).map(x -> Checkpoints.open(x, null));
            b.ifPresent(opened::add);
            List<Checkpoint> ms = opened.subList(0, models.size());
            for (int i = 0; i < ms.size(); i++) describe(models.get(i), ms.get(i));
            b.ifPresent(c -> describe(base + " (base)", c));
            if (ms.size() > 1 || b.isPresent()) report(Comparison.compare(ms, b, Kernels.fast()), models);
        } finally {
            opened.forEach(Checkpoint::close);
        }
        return 0;
    }

    private void describe(String name, Checkpoint c) {
        long params = 0, bytes = 0;
        Map<DType, Integer> dtypes = new EnumMap<>(DType.class);
        for (TensorInfo t : c.tensors()) {
            params += t.shape().numel();
            bytes += t.byteSize();
            dtypes.merge(t.dtype(), 1, Integer::sum);
        }
        System.out.printf(Locale.ROOT, "%s%n  %s: %d tensors, %.1fM parameters, %s, dtypes %s%n", name, c.label(), c.tensors().size(),
                params / 1e6, Sizes.human(bytes), dtypes);
        System.out.println("  layers: " + LayerLayout.of(c).describe());
        c.config().flatMap(cfg -> cfg.architecture()).ifPresent(a -> System.out.println("  architecture (config.json): " + a));
        if (listTensors) {
            for (TensorInfo t : c.tensors()) System.out.printf(Locale.ROOT, "    %-64s %-5s %s%n", t.name(), t.dtype(), t.shape());
        }
    }

    private void report(Comparison.Report r, List<String> names) {
        int n = r.models().size();
        boolean withBase = r.base().isPresent();
        System.out.println();
        System.out.println(withBase ? "task vectors against " + base : "weights compared directly (no --base)");
        for (int i = 0; i < n; i++) System.out.printf(Locale.ROOT, "  [%d] %s%n", i, names.get(i));
        StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "%-12s", "group"));
        if (withBase) for (int i = 0; i < n; i++) head.append(String.format(Locale.ROOT, " |d%d|/|b|", i));
        for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) {
            head.append(String.format(Locale.ROOT, "  cos(%d,%d)", i, j));
            if (withBase) head.append(String.format(Locale.ROOT, " conflict(%d,%d)", i, j));
        }
        System.out.println(head);
        boolean undefined = false;
        List<Comparison.Group> rows = new ArrayList<>(r.groups());
        rows.add(r.total());
        for (Comparison.Group g : rows) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-12s", g.name()));
            if (withBase) for (int i = 0; i < n; i++) line.append(String.format(Locale.ROOT, " %8.4f", g.relativeNorm(i)));
            for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) {
                double cos = g.cosine(i, j);
                // A model that leaves a whole group as the base has it (a LoRA expert's embeddings) has a zero
                // task vector there, whose cosine is undefined: say so rather than print NaN.
                if (Double.isNaN(cos)) undefined = true;
                line.append(Double.isNaN(cos) ? String.format(Locale.ROOT, "  %9s", "n/a") : String.format(Locale.ROOT, "  %9.4f", cos));
                if (withBase) line.append(String.format(Locale.ROOT, " %15.3f", g.conflictFraction(i, j)));
            }
            System.out.println(line);
        }
        if (undefined) System.out.println("n/a: one of the two leaves that group exactly as the base has it (a zero task vector, no cosine)");
        for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) {
            System.out.printf(Locale.ROOT, "[%d] vs [%d]: %s%n", i, j, verdict(r.total().cosine(i, j), withBase));
        }
    }

    /**
     * Thresholds for weights compared directly: fine-tunes of one base that merge well stay above ~0.99
     * overall; task vectors are judged by their own cosine, where near-orthogonal (|cos| small) is the normal,
     * mergeable case and strongly negative means the fine-tunes pull against each other.
     */
    static String verdict(double cos, boolean taskVectors) {
        if (taskVectors) {
            if (cos < -0.2) return String.format(Locale.ROOT, "task vectors oppose each other (cos %.3f): expect interference", cos);
            if (cos > 0.5) return String.format(Locale.ROOT, "task vectors largely agree (cos %.3f): merging is low-risk", cos);
            return String.format(Locale.ROOT, "task vectors nearly independent (cos %.3f): the usual case for TIES/DARE", cos);
        }
        if (cos >= 0.99) return String.format(Locale.ROOT, "close siblings (weight cosine %.4f): a direct merge should work", cos);
        if (cos >= 0.9) return String.format(Locale.ROOT, "related but apart (weight cosine %.4f): merge with care, sweep the ratio", cos);
        return String.format(Locale.ROOT, "far apart (weight cosine %.4f): a merge is likely to break both", cos);
    }
}
