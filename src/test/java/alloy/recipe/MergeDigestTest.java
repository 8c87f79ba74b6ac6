package alloy.recipe;

import static org.junit.jupiter.api.Assertions.*;

import alloy.io.MemoryCheckpoint;
import alloy.tensor.Kernels;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The bytes of in-memory merges of {@link BlockedMergeTest}'s models, for every family of method, pinned
 * by SHA-256: recipes and results already published depend on them (DARE's masks above all), so a faster
 * kernel must leave every bit where it was. Both kernel sets, on 2 threads. The digests were taken from
 * the kernels before the fused DARE pass and the in-place results.
 */
class MergeDigestTest {

    /** Per recipe, for both kernel sets. */
    static final Map<String, String> DIGESTS = Map.ofEntries(
            Map.entry("linear", "5a95d7c9ba00cd6424a625c625b7f89df166d51b871d6d63d6b04b7fb5a638d4"),
            Map.entry("slerp", "d9b5dc1fb3911143bc4d04249444dff84e20c64a70bc473e5976edef152fc2d9"),
            Map.entry("task_arithmetic", "eb8e8158063aac92b6f885c5031431e9aae1ed0671ff2a71d59045c8dd2591bc"),
            Map.entry("ties", "37da7ac8dbcc1c43314a3488c6ffe663ff4b4ca2b00fe7c7d633d6aa7239650d"),
            Map.entry("ties_rescaled", "155f865168b6786eb032c635fb19de60be106fdc8c9b840107531daa785324a0"),
            Map.entry("dare_ties", "b5ce903495a5fb7140342cbcbac0b5c6c516cd62ce2362542aca5c869744b37f"),
            Map.entry("dare_linear", "951f98f6f232d9f207fb741e51b83b1b4e23f69af2150f9b14917cbc116375ed"),
            Map.entry("breadcrumbs_ties", "2fce96d79801096a8d246278d48b90f0b89eb9d1b1f82c2ec55e21122ec04ac6"),
            Map.entry("dare_ties_count", "d4f36c285b3901921bb3e388a2a8861ec125e7bc223e7f5756e65db7846db8fd"),
            Map.entry("dare_ties_mixed", "c2eb6d802a460ec9dcc75e884f9379f11c74d72ea580962ea6dad67246572bf0"),
            Map.entry("dare_ties_plain", "0f70fd454c4e48112261bdfaeee8f6a9bdeaf6aff0fd8bfa804b337899d09efc"));

    @BeforeAll
    static void models() { BlockedMergeTest.models(); }

    @AfterAll
    static void close() {
        BlockedMergeTest.close();
        BlockedMergeTest.MODELS.clear();
    }

    /** BlockedMergeTest's recipes, and dare_ties with the options its fast path branches on. */
    static String recipe(String method) {
        return switch (method) {
            // elect by count, normalise, scale by lambda
            case "dare_ties_count" -> BlockedMergeTest.recipe("dare_ties").replace("dtype:", "parameters: {sign_by_count: true, normalize: true, lambda: 0.7}\ndtype:");
            // one model unthinned (density 1) beside two thinned ones, one of them at another density
            case "dare_ties_mixed" -> BlockedMergeTest.recipe("dare_ties").replaceFirst("density: 0.4", "density: 1.0").replaceFirst("density: 0.4", "density: 0.7");
            // no rescale
            case "dare_ties_plain" -> BlockedMergeTest.recipe("dare_ties").replace("dtype:", "parameters: {rescale: false}\ndtype:");
            default -> BlockedMergeTest.recipe(method);
        };
    }

    static String digest(String method, Kernels kernels) throws NoSuchAlgorithmException {
        Recipe r = RecipeYaml.parse(recipe(method), method, Path.of("."));
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        try (MergeRun run = MergeRun.prepare(r, BlockedMergeTest.MODELS);
             MemoryCheckpoint m = run.toMemory(method, new MergeRun.Options(11, 2, kernels), s -> {})) {
            // by name: workers put tensors in the order they finish
            for (String name : m.tensors().stream().map(t -> t.name()).sorted().toList()) {
                sha.update(name.getBytes(StandardCharsets.UTF_8));
                sha.update(m.tensor(name).data().toArray(ValueLayout.JAVA_BYTE));
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    @ParameterizedTest
    @ValueSource(strings = {"linear", "slerp", "task_arithmetic", "ties", "ties_rescaled", "dare_ties", "dare_linear", "breadcrumbs_ties",
            "dare_ties_count", "dare_ties_mixed", "dare_ties_plain"})
    void mergesKeepTheirBytes(String method) throws NoSuchAlgorithmException {
        String fast = digest(method, Kernels.fast()), reference = digest(method, Kernels.reference());
        assertEquals(DIGESTS.get(method), fast, method + " (fast kernels)");
        assertEquals(DIGESTS.get(method), reference, method + " (reference kernels)");
    }
}
