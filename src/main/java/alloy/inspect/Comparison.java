package alloy.inspect;

import alloy.arch.LayerLayout;
import alloy.arch.WeightName;
import alloy.io.Checkpoint;
import alloy.io.TensorInfo;
import alloy.tensor.FloatTensor;
import alloy.tensor.Kernels;
import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A pre-merge compatibility report. With a base: per layer, each model's task-vector norm (relative to the
 * base's weights), the cosine between every pair of task vectors and the fraction of sign conflicts among
 * positions where both changed. Without a base: per layer, the cosine between the models' weights. Layers
 * are grouped from tensor names ({@link WeightName}); tensors outside layers form the groups "embeddings"
 * and "other". Statistics are summed over a group's tensors, so a group's cosine weighs big matrices most.
 */
public final class Comparison {

    /** Sums for one group (a layer, or embeddings/other). */
    public static final class Group {
        final String name;
        final int models;
        double baseSq;
        final double[] sq;          // ||x_i||^2 (task vector with a base, weights without)
        final double[][] dot;       // <x_i, x_j>
        final long[][] conflicts;   // sign conflicts between task vectors i and j
        long elements;

        Group(String name, int models) {
            this.name = name;
            this.models = models;
            this.sq = new double[models];
            this.dot = new double[models][models];
            this.conflicts = new long[models][models];
        }

        public String name() { return name; }

        public double cosine(int i, int j) { return dot[i][j] / Math.sqrt(sq[i] * sq[j]); }

        /** ||delta_i|| / ||base|| (only with a base). */
        public double relativeNorm(int i) { return Math.sqrt(sq[i] / baseSq); }

        public double conflictFraction(int i, int j) { return elements == 0 ? 0 : conflicts[i][j] / (double) elements; }

        public long elements() { return elements; }
    }

    public record Report(List<String> models, Optional<String> base, List<Group> groups, Group total) {}

    private Comparison() {}

    public static Report compare(List<Checkpoint> models, Optional<Checkpoint> base, Kernels k) {
        Checkpoint ref = base.orElse(models.get(0));
        int n = models.size();
        Map<String, Group> groups = new LinkedHashMap<>();
        Group total = new Group("all", n);
        LayerLayout layout = LayerLayout.of(ref);
        for (TensorInfo ti : ref.tensors()) {
            if (!ti.dtype().arithmetic()) continue;
            boolean everywhere = models.stream().allMatch(m -> m.find(ti.name()).map(x -> x.shape().equals(ti.shape())).orElse(false));
            if (!everywhere) continue;
            WeightName wn = WeightName.parse(ti.name());
            String g = wn.layer().isPresent() && wn.container().equals(layout.mainContainer()) ? "layer " + wn.layer().getAsInt()
                    : wn.isVocabulary() || ti.name().contains("embed") ? "embeddings" : "other";
            Group grp = groups.computeIfAbsent(g, x -> new Group(x, n));
            try (Arena a = Arena.ofConfined()) {
                FloatTensor b = base.map(c -> c.read(ti.name(), a)).orElse(null);
                List<FloatTensor> xs = new ArrayList<>();
                for (Checkpoint m : models) {
                    FloatTensor x = m.read(ti.name(), a);
                    if (b != null) k.sub(x, b, x);
                    xs.add(x);
                }
                for (Group target : List.of(grp, total)) {
                    if (b != null) target.baseSq += k.sumSquares(b);
                    target.elements += ti.shape().numel();
                    for (int i = 0; i < n; i++) {
                        target.sq[i] += k.sumSquares(xs.get(i));
                        for (int j = i + 1; j < n; j++) {
                            target.dot[i][j] += k.dot(xs.get(i), xs.get(j));
                            if (b != null) target.conflicts[i][j] += k.countOpposite(xs.get(i), xs.get(j));
                        }
                    }
                }
            }
        }
        for (Group g : new ArrayList<>(groups.values())) mirror(g);
        mirror(total);
        List<Group> ordered = new ArrayList<>(groups.values());
        ordered.sort((x, y) -> Integer.compare(order(x.name), order(y.name)));
        return new Report(models.stream().map(Checkpoint::label).toList(), base.map(Checkpoint::label), ordered, total);
    }

    private static void mirror(Group g) {
        for (int i = 0; i < g.models; i++) {
            g.dot[i][i] = g.sq[i];
            for (int j = i + 1; j < g.models; j++) {
                g.dot[j][i] = g.dot[i][j];
                g.conflicts[j][i] = g.conflicts[i][j];
            }
        }
    }

    private static int order(String group) {
        if (group.equals("embeddings")) return -1;
        if (group.startsWith("layer ")) return Integer.parseInt(group.substring(6));
        return Integer.MAX_VALUE;
    }
}
