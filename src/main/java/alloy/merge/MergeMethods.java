package alloy.merge;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every merge method by its mergekit name: an explicit list, in mergekit's registry order (sce, which
 * mergekit registers through a decorator, last). The TIES family are configurations of {@link TaskArithmetic},
 * with mergekit's per-method defaults for normalize and rescale.
 */
public final class MergeMethods {

    private static final List<MergeMethod> ALL = List.of(
            new Linear(),
            new Slerp(),
            new NuSlerp(),
            new Passthrough(),
            new ModelStock(),
            new Karcher(),
            new TaskArithmetic("task_arithmetic", new Sparsifier.None(), Consensus.NONE, false, false),
            new TaskArithmetic("ties", new Sparsifier.Magnitude(), Consensus.SUM, true, false),
            new TaskArithmetic("dare_ties", new Sparsifier.Bernoulli(), Consensus.SUM, false, true),
            new TaskArithmetic("dare_linear", new Sparsifier.Bernoulli(), Consensus.NONE, false, true),
            new TaskArithmetic("breadcrumbs", new Sparsifier.MagnitudeOutliers(), Consensus.NONE, false, false),
            new TaskArithmetic("breadcrumbs_ties", new Sparsifier.MagnitudeOutliers(), Consensus.SUM, false, false),
            new TaskArithmetic("della", new Sparsifier.RankMagnitudeSampling(), Consensus.SUM, true, true),
            new TaskArithmetic("della_linear", new Sparsifier.RankMagnitudeSampling(), Consensus.NONE, false, true),
            new Sce());

    private static final Map<String, MergeMethod> BY_NAME;

    static {
        Map<String, MergeMethod> m = new LinkedHashMap<>();
        for (MergeMethod method : ALL) {
            if (m.put(method.name(), method) != null) throw new ExceptionInInitializerError("merge method '" + method.name() + "' registered twice");
        }
        BY_NAME = m;
    }

    private MergeMethods() {}

    /** The method mergekit calls {@code name}. */
    public static MergeMethod get(String name) {
        MergeMethod m = BY_NAME.get(name);
        if (m == null) {
            throw new IllegalArgumentException("unknown merge_method '" + name + "' (known: " + String.join(", ", names()) + ")");
        }
        return m;
    }

    public static List<String> names() { return List.copyOf(BY_NAME.keySet()); }

    public static List<MergeMethod> all() { return ALL; }
}
