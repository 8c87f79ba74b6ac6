package alloy.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import alloy.io.MemoryCheckpoint;
import alloy.merge.MergeMethods;
import alloy.recipe.MergeRun;
import alloy.recipe.Recipe;
import alloy.recipe.RecipeException;
import io.jenetics.DoubleGene;
import io.jenetics.Genotype;
import io.jenetics.util.RandomRegistry;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.List;
import java.util.random.RandomGeneratorFactory;
import org.junit.jupiter.api.Test;

/**
 * A chain search decodes genomes into staged recipes (the chain's first two models merged, then the third):
 * for task arithmetic every order merges to the one-stage merge of the same weights (the sum of weighted task
 * vectors does not depend on grouping), for TIES the order changes the result (trimming and the sign election
 * see different sets of vectors), and a chain needs exactly three models.
 */
class ChainCodecTest {

    static final String FAMILY = Path.of("models", "decoder-family").toAbsolutePath().toString();

    private static SearchSpec spec(String method, String chain) {
        return SearchSpec.parse("""
                merge_method: %s
                base_model: %s/base
                models: [%2$s/expert-add, %2$s/expert-sort, %2$s/expert-map]
                parameters:
                  weight: [0, 1]
                fixed: {normalize: false}
                granularity: groups:2
                tasks: [skill-add]
                %s
                """.formatted(method, FAMILY, chain), "search", Path.of("."));
    }

    private static float[][] merge(Recipe r, List<String> names) {
        try (MergeRun run = MergeRun.prepare(r); MemoryCheckpoint m = run.toMemory("x", new MergeRun.Options(3, 1, alloy.tensor.Kernels.fast()), s -> {});
             Arena arena = Arena.ofConfined()) {
            float[][] out = new float[names.size()][];
            for (int i = 0; i < names.size(); i++) out[i] = m.read(names.get(i), arena).toArray();
            return out;
        }
    }

    @Test
    void taskArithmeticGivesTheSameTensorsInEveryChainOrderTiesDoesNot() {
        List<String> names = List.of("model.layers.0.mlp.up_proj.weight", "model.layers.3.self_attn.o_proj.weight", "model.embed_tokens.weight");
        for (String method : List.of("task_arithmetic", "ties")) {
            MergeCodec flat = new MergeCodec(spec(method, ""), MergeMethods.get(method), 4);
            Genotype<DoubleGene> g = RandomRegistry.with(RandomGeneratorFactory.of("L64X128MixRandom").create(5), r -> flat.random());
            float[][] one = merge(flat.decode(g), names);
            for (List<Integer> order : SearchSpec.chainOrders()) {
                MergeCodec chain = new MergeCodec(spec(method, "chain: " + order), MergeMethods.get(method), 4);
                Recipe staged = chain.decode(g);
                assertEquals(List.of(MergeCodec.chainStageName(order)), staged.stageNames());
                assertEquals(2, staged.stages().get(0).recipe().models().size());
                float[][] got = merge(staged, names);
                boolean same = true;
                for (int i = 0; i < names.size(); i++) {
                    if (method.equals("task_arithmetic")) assertArrayEquals(one[i], got[i], 1e-5f, method + " " + order + " " + names.get(i));
                    for (int k = 0; k < one[i].length && same; k++) same = Math.abs(one[i][k] - got[i][k]) <= 1e-5f;
                }
                if (method.equals("ties")) assertTrue(!same, "ties in two stages (" + order + ") should differ from one ties merge");
                // the coefficients of a chain name the three models, not the stage
                var models = Evolution.coefficients(staged, chain, 4, List.of(java.util.Set.of(0, 1, 2, 3))).stream().map(Evolution.Coefficient::model).distinct().toList();
                assertEquals(3, models.size(), models.toString());
            }
        }
    }

    @Test
    void aChainNeedsThreeModelsAndAPermutation() {
        RecipeException e = assertThrows(RecipeException.class, () -> spec("ties", "chain: [0, 1, 1]"));
        assertTrue(e.getMessage().contains("'chain'"), e.getMessage());
    }

    @Test
    void aSearchFileRefusesFiltersTheGenomeLayoutCannotPlace() {
        // caught when the file is read, not when the first genome is decoded mid-search
        String twice = assertThrows(alloy.recipe.RecipeException.class,
                () -> spec("task_arithmetic", "filters: [mlp, mlp]")).getMessage();
        assertTrue(twice.contains("search") && twice.contains("'mlp' is listed twice"), twice);
        String all = assertThrows(alloy.recipe.RecipeException.class,
                () -> spec("task_arithmetic", "filters: [mlp, '*']")).getMessage();
        assertTrue(all.contains("matches every tensor"), all);
        // filters are read as learn files read them: one string is a list of one, a number is not a filter
        assertEquals(List.of("mlp"), spec("task_arithmetic", "filters: mlp").filters());
        String number = assertThrows(alloy.recipe.RecipeException.class, () -> spec("task_arithmetic", "filters: [mlp, 3]")).getMessage();
        assertTrue(number.contains("'filters' is a list of strings"), number);
    }
}
