package alloy.merge;

import static org.junit.jupiter.api.Assertions.*;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The registry, and each method's parameters and defaults against mergekit's registry.py. */
class MergeMethodsTest {

    @Test
    void namesAreMergekitsInRegistryOrder() {
        assertEquals(List.of("linear", "slerp", "nuslerp", "passthrough", "model_stock", "karcher", "task_arithmetic", "ties",
                "dare_ties", "dare_linear", "breadcrumbs", "breadcrumbs_ties", "della", "della_linear", "sce"), MergeMethods.names());
        for (String n : MergeMethods.names()) assertEquals(n, MergeMethods.get(n).name());
    }

    @Test
    void unknownNameListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MergeMethods.get("tie"));
        assertTrue(e.getMessage().contains("'tie'"), e.getMessage());
        assertTrue(e.getMessage().contains("ties, dare_ties"), e.getMessage());
    }

    private static Map<String, Double> defaults(List<ParamSpec> specs) {
        return specs.stream().filter(p -> !p.isRequired()).collect(Collectors.toMap(ParamSpec::name, ParamSpec::defaultValue));
    }

    private static List<String> required(List<ParamSpec> specs) {
        return specs.stream().filter(ParamSpec::isRequired).map(ParamSpec::name).toList();
    }

    @ParameterizedTest
    @CsvSource({
            // name, normalize, rescale, sign election, extra per-model parameter, random
            "task_arithmetic, 0, 0, false, -, false",
            "ties, 1, 0, true, -, false",
            "dare_ties, 0, 1, true, -, true",
            "dare_linear, 0, 1, false, -, true",
            "breadcrumbs, 0, 0, false, gamma, false",
            "breadcrumbs_ties, 0, 0, true, gamma, false",
            "della, 1, 1, true, epsilon, true",
            "della_linear, 0, 1, false, epsilon, true"})
    void taskArithmeticFamilyDefaults(String name, double normalize, double rescale, boolean election, String extra, boolean random) {
        MergeMethod m = MergeMethods.get(name);
        assertInstanceOf(TaskArithmetic.class, m);
        Map<String, Double> g = defaults(m.parameters());
        assertEquals(normalize, g.get("normalize"));
        assertEquals(rescale, g.get("rescale"));
        assertEquals(0.0, g.get("int8_mask"));
        assertEquals(1.0, g.get("lambda"));
        assertEquals(election, g.containsKey(TaskArithmetic.SIGN_BY_COUNT));
        assertEquals(List.of("weight"), required(m.tensorParameters()));
        Map<String, Double> t = defaults(m.tensorParameters());
        assertEquals(1.0, t.get("density"));
        assertEquals(extra.equals("gamma") ? 0.01 : null, t.get("gamma"));
        assertEquals(extra.equals("epsilon") ? 0.15 : null, t.get("epsilon"));
        assertEquals(random, m.random());
        assertEquals(MergeMethod.BaseUse.REQUIRED, m.base());
    }

    @Test
    void otherMethodsParameters() {
        MergeMethod linear = MergeMethods.get("linear");
        assertEquals(Map.of("normalize", 1.0), defaults(linear.parameters()));
        assertEquals(List.of("weight"), required(linear.tensorParameters()));
        assertEquals(MergeMethod.BaseUse.UNUSED, linear.base());

        MergeMethod slerp = MergeMethods.get("slerp");
        assertEquals(List.of("t"), required(slerp.parameters()));
        assertEquals(MergeMethod.BaseUse.REQUIRED, slerp.base());
        assertEquals(1, slerp.minModels());
        assertEquals(1, slerp.maxModels());

        MergeMethod nu = MergeMethods.get("nuslerp");
        assertEquals(Map.of("nuslerp_flatten", 1.0, "nuslerp_row_wise", 0.0), defaults(nu.parameters()));
        assertEquals(List.of("weight"), required(nu.tensorParameters()));
        assertEquals(MergeMethod.BaseUse.OPTIONAL, nu.base());
        assertEquals(2, nu.minModels());
        assertEquals(2, nu.maxModels());

        assertEquals(Map.of("filter_wise", 0.0), defaults(MergeMethods.get("model_stock").parameters()));
        assertEquals(2, MergeMethods.get("model_stock").minModels());
        assertEquals(Map.of("scale", 1.0), defaults(MergeMethods.get("passthrough").tensorParameters()));
        assertEquals(1, MergeMethods.get("passthrough").maxModels());
        assertEquals(Map.of("max_iter", 10.0, "tol", 1e-5), defaults(MergeMethods.get("karcher").parameters()));
        assertEquals(Map.of("select_topk", 1.0, "int8_mask", 0.0), defaults(MergeMethods.get("sce").parameters()));
        assertEquals(MergeMethod.BaseUse.REQUIRED, MergeMethods.get("sce").base());
    }

    @Test
    void taskArithmeticRecordRefusesIncompleteConfigurations() {
        assertThrows(NullPointerException.class, () -> new TaskArithmetic("x", null, Consensus.SUM, false, false));
        assertThrows(IllegalArgumentException.class, () -> new TaskArithmetic(" ", new Sparsifier.None(), Consensus.NONE, false, false));
    }
}
