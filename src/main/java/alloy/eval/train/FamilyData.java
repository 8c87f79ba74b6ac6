package alloy.eval.train;

import alloy.eval.task.GenerationItem;
import alloy.eval.task.Skill;
import alloy.eval.task.SkillSets;
import alloy.eval.task.Split;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

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

    /**
     * The part of a skill's training examples the base's pretraining sees (its hard inputs thinned, see
     * {@link #skills}); by default all of them.
     */
    default DecoderTrainer.ExampleSource pretraining(String skill) { return skill(skill); }

    /** Training examples drawn uniformly over the skills, then from the chosen skill. */
    default DecoderTrainer.ExampleSource mixture() {
        List<String> skills = skills();
        List<DecoderTrainer.ExampleSource> sources = skills.stream().map(this::skill).toList();
        return (random, size) -> {
            List<DecoderTrainer.Example> out = new ArrayList<>(size);
            for (int i = 0; i < size; i++) out.addAll(sources.get(random.nextInt(sources.size())).draw(random, 1));
            return out;
        };
    }

    /**
     * Training examples drawn from the skills in proportion to {@code weights} (skill → weight, any positive
     * scale), then from the chosen skill; skills not named are not drawn.
     */
    default DecoderTrainer.ExampleSource mixture(Map<String, Double> weights) {
        return mixture(weights, this::skill);
    }

    /** The base's pretraining mixture: {@link #mixture(Map)} over {@link #pretraining(String)} examples. */
    default DecoderTrainer.ExampleSource pretrainingMixture(Map<String, Double> weights) {
        return mixture(weights, this::pretraining);
    }

    private static DecoderTrainer.ExampleSource mixture(Map<String, Double> weights,
                                                        Function<String, DecoderTrainer.ExampleSource> source) {
        List<String> names = List.copyOf(weights.keySet());
        double[] cumulative = new double[names.size()];
        double total = 0;
        for (int i = 0; i < names.size(); i++) {
            double w = weights.get(names.get(i));
            if (!(w > 0)) throw new IllegalArgumentException("mixture weight of " + names.get(i) + " must be positive, found " + w);
            total += w;
            cumulative[i] = total;
        }
        List<DecoderTrainer.ExampleSource> sources = names.stream().map(source).toList();
        double sum = total;
        return (random, size) -> {
            List<DecoderTrainer.Example> out = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                double u = random.nextDouble() * sum;
                int k = 0;
                while (k < cumulative.length - 1 && u >= cumulative[k]) k++;
                out.addAll(sources.get(k).draw(random, 1));
            }
            return out;
        };
    }

    /**
     * Examples of {@code skill}, except that a fraction {@code replay} of them (drawn per example) comes from
     * {@code mixture} instead: fine-tuning that keeps rehearsing what the base knew.
     */
    default DecoderTrainer.ExampleSource withReplay(String skill, double replay, DecoderTrainer.ExampleSource mixture) {
        if (!(replay >= 0 && replay < 1)) throw new IllegalArgumentException("replay fraction must be in [0, 1), found " + replay);
        DecoderTrainer.ExampleSource own = skill(skill);
        return (random, size) -> {
            List<DecoderTrainer.Example> out = new ArrayList<>(size);
            for (int i = 0; i < size; i++) out.addAll((random.nextDouble() < replay ? mixture : own).draw(random, 1));
            return out;
        };
    }

    /** The items of one evaluation split ({@link #SPLITS}) of one skill. */
    List<Item> evaluation(String skill, String split);

    /**
     * The {@link Skill}s: training examples from {@link SkillSets#generate} (its training partition,
     * which never holds an evaluation input), a pool of {@code poolSize} per skill drawn from
     * {@code seed}; evaluation items from the committed sets {@code proxyTasks/skill-*}. The pretraining
     * pool of a skill is its pool with the hard inputs ({@link DecoderFamily#isHard}) thinned to the share
     * {@code hardShare} gives the skill (1 when it names none), kept or dropped by a {@link Random} of its own.
     */
    static FamilyData skills(Path proxyTasks, int poolSize, long seed, Map<String, Double> hardShare) {
        Map<String, List<DecoderTrainer.Example>> pools = new LinkedHashMap<>(), pretraining = new LinkedHashMap<>();
        for (Skill s : Skill.values()) {
            List<GenerationItem> items = SkillSets.generate(s, poolSize, seed);
            pools.put(s.key(), items.stream().map(g -> new DecoderTrainer.Example(g.prompt(), g.answer())).toList());
            double share = hardShare.getOrDefault(s.key(), 1.0);
            if (!(share >= 0 && share <= 1)) throw new IllegalArgumentException("hard share of " + s.key() + " must be in [0, 1], found " + share);
            Random keep = new Random(seed * 31 + s.ordinal());
            pretraining.put(s.key(), items.stream()
                    .filter(g -> !DecoderFamily.isHard(s, s.input(g.prompt())) || keep.nextDouble() < share)
                    .map(g -> new DecoderTrainer.Example(g.prompt(), g.answer())).toList());
        }
        return new FamilyData() {
            @Override public List<String> skills() { return List.copyOf(pools.keySet()); }

            @Override public DecoderTrainer.ExampleSource skill(String skill) { return from(pools, skill); }

            @Override public DecoderTrainer.ExampleSource pretraining(String skill) { return from(pretraining, skill); }

            private DecoderTrainer.ExampleSource from(Map<String, List<DecoderTrainer.Example>> pools, String skill) {
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
