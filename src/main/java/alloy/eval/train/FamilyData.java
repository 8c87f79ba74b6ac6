package alloy.eval.train;

import alloy.eval.task.Skill;
import alloy.eval.task.SkillSets;
import alloy.eval.task.Split;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the family's data comes from: training examples per skill (and their mixture for the base) and
 * the proxy evaluation splits the table reports.
 */
public interface FamilyData {

    List<String> SPLITS = List.of("search", "heldout");

    /** A prompt and the answer greedy decoding should produce. */
    record Item(String prompt, String answer) {}

    /** Skill names in table order. */
    List<String> skills();

    /** Training examples of one skill. */
    DecoderTrainer.ExampleSource skill(String skill);

    /** Training examples drawn uniformly over the skills, then from the chosen skill. */
    default DecoderTrainer.ExampleSource mixture() {
        List<String> skills = skills();
        List<DecoderTrainer.ExampleSource> sources = skills.stream().map(this::skill).toList();
        return (random, size) -> {
            List<DecoderTrainer.Example> out = new java.util.ArrayList<>(size);
            for (int i = 0; i < size; i++) out.addAll(sources.get(random.nextInt(sources.size())).draw(random, 1));
            return out;
        };
    }

    /** The items of one evaluation split ({@link #SPLITS}) of one skill. */
    List<Item> evaluation(String skill, String split);

    /**
     * The four {@link Skill}s: training examples from {@link SkillSets#generate} (its training partition,
     * which never holds an evaluation input), a pool of {@code poolSize} per skill drawn from
     * {@code seed}; evaluation items from the committed sets {@code proxyTasks/skill-*}.
     */
    static FamilyData skills(Path proxyTasks, int poolSize, long seed) {
        Map<String, List<DecoderTrainer.Example>> pools = new LinkedHashMap<>();
        for (Skill s : Skill.values()) {
            pools.put(s.key(), SkillSets.generate(s, poolSize, seed).stream()
                    .map(g -> new DecoderTrainer.Example(g.prompt(), g.answer())).toList());
        }
        return new FamilyData() {
            @Override public List<String> skills() { return List.copyOf(pools.keySet()); }

            @Override public DecoderTrainer.ExampleSource skill(String skill) {
                List<DecoderTrainer.Example> pool = pools.get(skill);
                if (pool == null) throw new IllegalArgumentException("unknown skill \"" + skill + "\", expected one of " + pools.keySet());
                return (random, size) -> {
                    List<DecoderTrainer.Example> out = new ArrayList<>(size);
                    for (int i = 0; i < size; i++) out.add(pool.get(random.nextInt(pool.size())));
                    return out;
                };
            }

            @Override public List<Item> evaluation(String skill, String split) {
                return SkillSets.evaluation(proxyTasks, Skill.parse(skill), Split.parse(split)).stream()
                        .map(g -> new Item(g.prompt(), g.answer())).toList();
            }
        };
    }
}
