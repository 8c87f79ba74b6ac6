package alloy.eval.task;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.Collections;

/**
 * Data for the {@link Skill}s of the tiny decoder family: training items for the trainer, and the seven
 * committed evaluation sets, all from one generator so that both speak the same format.
 *
 * <p>Training ({@link #generate(Skill, int, long)}) draws only inputs outside the evaluation partition, and
 * the evaluation sets only inputs inside it ({@link Skill#reservedForEvaluation}), so no training item equals
 * an evaluation item whatever seeds and sizes are used. All randomness comes from {@link Random}, whose
 * algorithms its specification fixes, so a seed gives the same items on every JDK.
 *
 * <p>{@link #main} rewrites the committed sets under proxy-tasks/ from {@link #EVALUATION_SEED}; a test checks
 * that the committed files are exactly what it writes:
 * <ul>
 *   <li>skill-add, skill-reverse, skill-sort, skill-map, skill-shift: generation, 100 items (40 search, 60
 *       held-out: the first 20 held-out items are those of the earlier 20-item split), stopping at a newline,
 *       with room for the skill's longest answer;</li>
 *   <li>skill-choice: choice, 60 items cycling through {@link #MIXED_SKILLS}, the right answer among three near
 *       misses at a seeded position;</li>
 *   <li>skill-text: perplexity, 40 "prompt+answer" lines cycling through {@link #MIXED_SKILLS} (30 search, 10
 *       held-out).</li>
 * </ul>
 */
public final class SkillSets {

    /** Characters the decoder's vocabulary has besides the newline; every prompt, answer and text keeps to them. */
    public static final String ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789 +=><:?!.,-|";

    /** Seed of the committed evaluation sets; changing it rewrites every skill-* file. */
    public static final long EVALUATION_SEED = 20261123L;

    public static final Path DEFAULT_ROOT = Path.of("proxy-tasks");

    public static final String CHOICE_SET = "skill-choice";
    public static final String TEXT_SET = "skill-text";

    public static final int GENERATION_SEARCH = 40, GENERATION_HELDOUT = 60;
    public static final int CHOICE_SEARCH = 40, CHOICE_HELDOUT = 20, CHOICE_OPTIONS = 4;
    public static final int TEXT_SEARCH = 30, TEXT_HELDOUT = 10;

    /**
     * The skills skill-choice and skill-text cycle through: the four the sets were first written for. Shift,
     * added later, has its own generation set only, so that these two sets (and scores on them) stay as they were.
     */
    public static final List<Skill> MIXED_SKILLS = List.of(Skill.ADD, Skill.REVERSE, Skill.SORT, Skill.MAP);

    /** Which side of the hash partition a draw comes from. */
    public enum Partition {
        /** Inputs not reserved for evaluation: what the trainer may see. */
        TRAINING,
        /** Inputs reserved for evaluation: what the committed sets are made of. */
        EVALUATION;

        public boolean contains(Skill skill, String input) {
            return skill.reservedForEvaluation(input) == (this == EVALUATION);
        }
    }

    private SkillSets() {}

    // ---- generation ------------------------------------------------------------------------------------

    /**
     * {@code count} training items of {@code skill}, a function of the seed alone; the first n of a larger
     * count are the same n items. Inputs may repeat, as in any sample; none is reserved for evaluation. Ids
     * are {@code <skill>-train-<i>}.
     */
    public static List<GenerationItem> generate(Skill skill, int count, long seed) {
        return generate(skill, Partition.TRAINING, count, seed);
    }

    /**
     * {@code count} items of {@code skill} from one partition. Training draws may repeat; evaluation draws
     * are distinct, since an evaluation set counts each item once. Ids are {@code <skill>-train-<i>} or
     * {@code <skill>-<iii>}.
     */
    public static List<GenerationItem> generate(Skill skill, Partition partition, int count, long seed) {
        return generate(skill, partition, count, seed, partition == Partition.EVALUATION);
    }

    /**
     * {@code count} items of {@code skill} from one partition, each input once when {@code distinct}; it fails,
     * naming the skill, when the partition seems to hold fewer distinct inputs than asked for.
     */
    private static List<GenerationItem> generate(Skill skill, Partition partition, int count, long seed, boolean distinct) {
        if (count < 0) throw new IllegalArgumentException("count must be >= 0, got " + count);
        Random random = new Random(seed);
        List<GenerationItem> out = new ArrayList<>(count);
        Set<String> seen = new HashSet<>();
        for (long draws = 1; out.size() < count; draws++) {
            if (draws > 100L * count + 1000) {
                throw new IllegalStateException(skill.key() + ": fewer than " + count + " distinct " + partition + " inputs in " + (draws - 1) + " draws");
            }
            String input = draw(skill, partition, random);
            if (distinct && !seen.add(input)) continue;
            String id = partition == Partition.TRAINING
                    ? skill.key() + "-train-" + out.size()
                    : String.format(Locale.ROOT, "%s-%03d", skill.key(), out.size());
            out.add(skill.item(id, input));
        }
        return List.copyOf(out);
    }

    /**
     * One input of {@code skill} from {@code partition}: the skill's draw, repeated until it lands in the
     * partition (one try in eight for evaluation, so this ends quickly).
     */
    public static String draw(Skill skill, Partition partition, Random random) {
        for (int attempt = 0; attempt < 100_000; attempt++) {
            String input = skill.draw(random);
            if (partition.contains(skill, input)) return input;
        }
        throw new IllegalStateException(skill.key() + ": no " + partition + " input in 100000 draws");
    }

    // ---- the committed evaluation sets -----------------------------------------------------------------

    /** The evaluation items of {@code skill}'s generation set in {@code root}, as committed. */
    public static List<GenerationItem> evaluation(Path root, Skill skill, Split split) {
        return switch (ProxyTasks.load(root.resolve(skill.setName()))) {
            case ProxyTask.Generation g -> g.items(split);
            case ProxyTask other -> throw new TaskFormatException(root.resolve(skill.setName()).resolve(ProxyTasks.MANIFEST), 0, "kind",
                    "expected a generation set, found " + other.kind());
        };
    }

    /** The seven skill sets, built from {@link #EVALUATION_SEED}. */
    public static List<ProxyTask> build() {
        List<ProxyTask> sets = new ArrayList<>();
        for (Skill s : Skill.values()) sets.add(generationSet(s));
        sets.add(choiceSet());
        sets.add(textSet());
        return sets;
    }

    /** Writes {@link #build()} under {@code root}, one folder per set. */
    public static void write(Path root) {
        for (ProxyTask t : build()) ProxyTasks.write(root.resolve(t.name()), t);
    }

    /**
     * Development sets for settling a method's settings without the committed held-out split: for each generation
     * skill, a set named as the committed one whose search split is the committed search split and whose held-out
     * split is the next {@code count} items of the same evaluation draw (items 100, 101, ...), so it shares no item
     * with either committed split. Not committed; {@code SkillSets --development N DIR} writes them.
     */
    public static List<ProxyTask.Generation> development(int count) {
        if (count < 1) throw new IllegalArgumentException("development items: expected >= 1, found " + count);
        List<ProxyTask.Generation> out = new ArrayList<>();
        for (Skill skill : Skill.values()) {
            ProxyTask.Generation committed = generationSet(skill);
            List<GenerationItem> items = generate(skill, Partition.EVALUATION, GENERATION_SEARCH + GENERATION_HELDOUT + count, seed(skill.setName()));
            out.add(sibling(committed, skill, String.format(Locale.ROOT,
                    "Development sample of the %s skill: the committed search split, and as held-out split items %d-%d of the same "
                            + "evaluation draw, which neither committed split holds. For settling a method's settings; never committed.",
                    skill.key(), GENERATION_SEARCH + GENERATION_HELDOUT, GENERATION_SEARCH + GENERATION_HELDOUT + count - 1),
                    committed.items(Split.SEARCH), items.subList(GENERATION_SEARCH + GENERATION_HELDOUT, items.size())));
        }
        return out;
    }

    /**
     * Training sets for learning merge coefficients from the experts' own input distribution: for each generation
     * skill, a set named as the committed one whose search split is {@code count} distinct inputs of the skill's
     * training partition (the side no evaluation item comes from, so no committed, development or later evaluation
     * item can be among them) and whose held-out split is the committed held-out split, so that scores stay
     * comparable with every run on the committed sets. Not committed; {@code SkillSets --training N DIR} writes them.
     */
    public static List<ProxyTask.Generation> training(int count) {
        if (count < 1) throw new IllegalArgumentException("training items: expected >= 1, found " + count);
        List<ProxyTask.Generation> out = new ArrayList<>();
        for (Skill skill : Skill.values()) {
            ProxyTask.Generation committed = generationSet(skill);
            // a stream of its own, apart from the evaluation draw and from the experts' training seeds; distinct
            // inputs, since a set counts each item once
            List<GenerationItem> items = generate(skill, Partition.TRAINING, count, seed(skill.setName() + "/training"), true);
            out.add(sibling(committed, skill, String.format(Locale.ROOT,
                    "Training sample of the %s skill: as search split %d distinct inputs of the skill's training partition, "
                            + "which no evaluation item comes from, and the committed held-out split. For learning merge "
                            + "coefficients from the experts' input distribution; never committed.", skill.key(), count),
                    items, committed.items(Split.HELDOUT)));
        }
        return out;
    }

    /** A set named, decoded and stopped as {@code committed}, with other splits and its own description. */
    private static ProxyTask.Generation sibling(ProxyTask.Generation committed, Skill skill, String description,
                                                List<GenerationItem> search, List<GenerationItem> heldout) {
        TaskManifest m = TaskManifest.standard(skill.setName(), TaskKind.GENERATION, description).withOrigin(List.of(skill.key()), provenance());
        return new ProxyTask.Generation(m, committed.maxTokens(), committed.stop(), search, heldout);
    }

    /**
     * Rewrites the committed sets: {@code SkillSets [ROOT]}, ROOT defaulting to proxy-tasks; or, with
     * {@code --development N DIR} or {@code --training N DIR}, writes {@link #development(int) development sets}
     * or {@link #training(int) training sets} of N items under DIR.
     */
    public static void main(String[] args) {
        if (args.length > 0 && (args[0].equals("--development") || args[0].equals("--training"))) {
            if (args.length != 3) throw new IllegalArgumentException("usage: SkillSets " + args[0] + " N DIR");
            Path dir = Path.of(args[2]);
            boolean dev = args[0].equals("--development");
            int n = Integer.parseInt(args[1]);
            for (ProxyTask.Generation g : dev ? development(n) : training(n)) {
                ProxyTasks.write(dir.resolve(g.name()), g);
                System.out.printf(Locale.ROOT, "%s: %d search%s, %d held-out items%n", dir.resolve(g.name()), g.items(Split.SEARCH).size(),
                        dev ? "" : " (training partition)", g.items(Split.HELDOUT).size());
            }
            return;
        }
        Path root = args.length > 0 ? Path.of(args[0]) : DEFAULT_ROOT;
        write(root);
        for (ProxyTask t : ProxyTasks.loadAll(root)) {
            if (t.name().startsWith("skill-")) {
                System.out.printf(Locale.ROOT, "%-14s %-10s %d search, %d heldout%n", t.name(), t.kind(),
                        t.items(Split.SEARCH).size(), t.items(Split.HELDOUT).size());
            }
        }
    }

    static ProxyTask.Generation generationSet(Skill skill) {
        List<GenerationItem> items = generate(skill, Partition.EVALUATION, GENERATION_SEARCH + GENERATION_HELDOUT, seed(skill.setName()));
        String example = items.getFirst().prompt() + items.getFirst().answer();
        TaskManifest m = TaskManifest.standard(skill.setName(), TaskKind.GENERATION, String.format(Locale.ROOT,
                "The %s skill of the tiny character-level decoder family (e.g. \"%s\"): greedy decoding from the prompt must "
                        + "give the answer exactly. Inputs come from the evaluation partition of the skill's input space, "
                        + "which training data never draws from. Written by alloy.eval.task.SkillSets.", skill.key(), example));
        m = m.withOrigin(List.of(skill.key()), provenance());
        return new ProxyTask.Generation(m, skill.maxAnswerLength() + 1, List.of("\n"),
                items.subList(0, GENERATION_SEARCH), items.subList(GENERATION_SEARCH, items.size()));
    }

    /**
     * Multiple choice over the four skills in turn: the context is a prompt, the choices its answer and three
     * of its {@link Skill#nearMisses} picked at random, the right one at a random position.
     */
    static ProxyTask.Choice choiceSet() {
        Random random = new Random(seed(CHOICE_SET));
        List<ChoiceItem> items = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        List<Skill> skills = MIXED_SKILLS;
        while (items.size() < CHOICE_SEARCH + CHOICE_HELDOUT) {
            Skill skill = skills.get(items.size() % skills.size());
            String input = draw(skill, Partition.EVALUATION, random);
            if (!seen.add(skill.format(input))) continue;
            List<String> misses = new ArrayList<>(skill.nearMisses(input));
            Collections.shuffle(misses, random);
            List<String> choices = new ArrayList<>(misses.subList(0, CHOICE_OPTIONS - 1));
            int answer = random.nextInt(CHOICE_OPTIONS);
            choices.add(answer, skill.answer(input));
            items.add(new ChoiceItem(String.format(Locale.ROOT, "choice-%03d", items.size()), skill.format(input), choices, answer));
        }
        TaskManifest m = TaskManifest.standard(CHOICE_SET, TaskKind.CHOICE,
                "The four decoder skills (add, reverse, sort, map) as multiple choice: the context is a prompt, the choices "
                        + "its right answer and three near misses (off by one, two letters swapped, a similar map word...); "
                        + "acc picks the highest summed log-likelihood, acc_norm the highest per character. Evaluation-partition "
                        + "inputs only. Written by alloy.eval.task.SkillSets.");
        m = m.withOrigin(List.of(MIXED_DOMAIN), provenance());
        return new ProxyTask.Choice(m, items.subList(0, CHOICE_SEARCH), items.subList(CHOICE_SEARCH, items.size()));
    }

    /** Prompt and answer as one line of text, the skills in turn, for perplexity. */
    static ProxyTask.Perplexity textSet() {
        Random random = new Random(seed(TEXT_SET));
        List<TextItem> items = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        List<Skill> skills = MIXED_SKILLS;
        while (items.size() < TEXT_SEARCH + TEXT_HELDOUT) {
            Skill skill = skills.get(items.size() % skills.size());
            String input = draw(skill, Partition.EVALUATION, random);
            String text = skill.format(input) + skill.answer(input);
            if (!seen.add(text)) continue;
            items.add(new TextItem(String.format(Locale.ROOT, "text-%03d", items.size()), text));
        }
        TaskManifest m = TaskManifest.standard(TEXT_SET, TaskKind.PERPLEXITY,
                "Lines of prompt followed by answer across the four decoder skills (e.g. \"add 12+30=42\"), scored by corpus "
                        + "perplexity; lower is better. Evaluation-partition inputs only. Written by alloy.eval.task.SkillSets.");
        m = m.withOrigin(List.of(MIXED_DOMAIN), provenance());
        return new ProxyTask.Perplexity(m, items.subList(0, TEXT_SEARCH), items.subList(TEXT_SEARCH, items.size()));
    }

    /** The one domain of the sets that mix the four skills. */
    static final String MIXED_DOMAIN = "add-reverse-sort-map";

    private static String provenance() {
        return "Generated by alloy.eval.task.SkillSets from seed " + EVALUATION_SEED + " (the evaluation partition of each skill's "
                + "input space); rewrite with SkillSets.main, never by hand.";
    }

    /** Each set draws from its own stream, so that adding a set leaves the others unchanged. */
    private static long seed(String setName) {
        long h = 0xCBF29CE484222325L;
        for (byte b : setName.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xFF;
            h *= 0x100000001B3L;
        }
        return EVALUATION_SEED ^ h;
    }
}
