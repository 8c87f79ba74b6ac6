package alloy.eval.task;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SkillSetsTest {

    private static final Path ROOT = Path.of("proxy-tasks");

    @Test
    void sameSeedSameItemsOtherSeedOtherItems() {
        for (Skill s : Skill.values()) {
            List<GenerationItem> a = SkillSets.generate(s, 200, 42), b = SkillSets.generate(s, 200, 42), c = SkillSets.generate(s, 200, 43);
            assertEquals(a, b, s.key());
            assertNotEquals(a, c, s.key());
            assertEquals(a.subList(0, 50), SkillSets.generate(s, 50, 42), "a prefix of a longer draw");
        }
    }

    @Test
    void committedSetsAreExactlyWhatTheGeneratorWrites(@TempDir Path tmp) throws IOException {
        SkillSets.write(tmp);
        for (ProxyTask t : SkillSets.build()) {
            try (Stream<Path> files = Files.list(tmp.resolve(t.name()))) {
                for (Path f : files.toList()) {
                    Path committed = ROOT.resolve(t.name()).resolve(f.getFileName());
                    assertTrue(Files.exists(committed), committed + " is not committed; run SkillSets");
                    assertEquals(Files.readString(f), Files.readString(committed), committed + " differs from SkillSets' output");
                }
            }
            assertEquals(t, ProxyTasks.load(ROOT.resolve(t.name())));
        }
    }

    @Test
    void developmentSetsShareNoItemWithTheCommittedHeldOutSplit(@TempDir Path tmp) {
        List<ProxyTask.Generation> dev = SkillSets.development(150);
        assertEquals(Skill.values().length, dev.size());
        for (ProxyTask.Generation d : dev) {
            ProxyTask committed = ProxyTasks.load(ROOT.resolve(d.name()));
            assertEquals(committed.items(Split.SEARCH), d.items(Split.SEARCH), d.name() + ": the committed search split");
            assertEquals(150, d.items(Split.HELDOUT).size());
            Set<String> prompts = new HashSet<>();
            for (Split sp : List.of(Split.SEARCH, Split.HELDOUT)) {
                for (Object i : committed.items(sp)) prompts.add(((GenerationItem) i).prompt());
            }
            for (GenerationItem i : d.items(Split.HELDOUT)) {
                assertFalse(prompts.contains(i.prompt()), d.name() + ": " + i.prompt() + " is in a committed split");
                Skill skill = Skill.valueOf(d.name().substring("skill-".length()).toUpperCase(java.util.Locale.ROOT));
                assertTrue(skill.reservedForEvaluation(skill.input(i.prompt())), i.id() + " comes from the evaluation partition");
            }
            assertEquals(150, d.items(Split.HELDOUT).stream().map(GenerationItem::prompt).distinct().count(), d.name() + ": distinct items");
        }
        SkillSets.main(new String[] {"--development", "20", tmp.toString()});
        assertEquals(SkillSets.development(20).get(0), ProxyTasks.load(tmp.resolve(dev.get(0).name())), "main writes what development() gives");
    }

    @Test
    void trainingSetsLearnFromTheTrainingPartitionAndKeepTheCommittedHeldOutSplit(@TempDir Path tmp) {
        List<ProxyTask.Generation> train = SkillSets.training(200);
        assertEquals(Skill.values().length, train.size());
        for (ProxyTask.Generation t : train) {
            ProxyTask committed = ProxyTasks.load(ROOT.resolve(t.name()));
            assertEquals(committed.items(Split.HELDOUT), t.items(Split.HELDOUT), t.name() + ": the committed held-out split");
            Skill skill = Skill.valueOf(t.name().substring("skill-".length()).toUpperCase(java.util.Locale.ROOT));
            List<GenerationItem> search = t.items(Split.SEARCH);
            assertEquals(200, search.size());
            assertEquals(200, search.stream().map(GenerationItem::prompt).distinct().count(), t.name() + ": distinct inputs");
            for (GenerationItem i : search) {
                assertFalse(skill.reservedForEvaluation(skill.input(i.prompt())), i.id() + " comes from the training partition");
                assertEquals(skill.answer(skill.input(i.prompt())), i.answer(), i.id() + ": the gold answer");
            }
        }
        assertEquals(train.get(2).items(Split.SEARCH).subList(0, 50), SkillSets.training(50).get(2).items(Split.SEARCH), "a smaller count is a prefix");
        SkillSets.main(new String[] {"--training", "20", tmp.toString()});
        assertEquals(SkillSets.training(20).get(0), ProxyTasks.load(tmp.resolve(train.get(0).name())), "main writes what training() gives");
    }

    @Test
    void trainingNeverProducesAnEvaluationItem() {
        Set<String> evaluationPrompts = new HashSet<>(), evaluationTexts = new HashSet<>();
        for (ProxyTask t : SkillSets.build()) {
            for (Split s : Split.values()) {
                for (TaskItem i : t.items(s)) {
                    switch (i) {
                        case GenerationItem g -> evaluationPrompts.add(g.prompt());
                        case ChoiceItem c -> evaluationPrompts.add(c.context());
                        case TextItem x -> evaluationTexts.add(x.text());
                        default -> fail("unexpected item " + i);
                    }
                }
            }
        }
        assertEquals(5 * 100 + 60 + 40, evaluationPrompts.size() + evaluationTexts.size() + duplicatesAcrossSets());
        for (Skill s : Skill.values()) {
            for (GenerationItem g : SkillSets.generate(s, 5000, 7)) {
                assertFalse(evaluationPrompts.contains(g.prompt()), g.prompt() + " is an evaluation prompt");
                assertFalse(evaluationTexts.contains(g.prompt() + g.answer()), g.prompt() + " is an evaluation text");
                assertFalse(s.reservedForEvaluation(s.input(g.prompt())), g.prompt());
            }
        }
    }

    /** Prompts that two committed sets happen to share (allowed: both are evaluation). */
    private static int duplicatesAcrossSets() {
        List<String> all = new ArrayList<>();
        for (ProxyTask t : SkillSets.build()) {
            for (Split s : Split.values()) {
                for (TaskItem i : t.items(s)) if (!(i instanceof TextItem)) all.add(i.content());
            }
        }
        return all.size() - new HashSet<>(all).size();
    }

    @Test
    void evaluationItemsComeFromTheReservedPartition() {
        for (ProxyTask t : SkillSets.build()) {
            for (Split sp : Split.values()) {
                for (TaskItem i : t.items(sp)) {
                    String prompt = switch (i) {
                        case GenerationItem g -> g.prompt();
                        case ChoiceItem c -> c.context();
                        case TextItem x -> x.text().substring(0, promptEnd(x.text()));
                        default -> throw new AssertionError(i);
                    };
                    Skill s = skillOf(prompt);
                    assertTrue(s.reservedForEvaluation(s.input(prompt)), t.name() + " " + i.id() + ": " + prompt);
                }
            }
        }
    }

    @Test
    void aboutOneInputInEightIsReserved() {
        Random r = new Random(1);
        for (Skill s : List.of(Skill.ADD, Skill.REVERSE, Skill.SORT, Skill.SHIFT)) {
            int reserved = 0, n = 40_000;
            for (int i = 0; i < n; i++) if (s.reservedForEvaluation(s.draw(r))) reserved++;
            assertEquals(1.0 / Skill.EVALUATION_SHARE, (double) reserved / n, 0.01, s.key());
        }
        // Map draws one word a third of the time, and 30 single words are too few for the share to be near
        // 1/8 among them; over all 27,000 three-word phrases it is.
        List<String> words = Skill.mapWords();
        int reserved = 0;
        for (String a : words) for (String b : words) for (String c : words) if (Skill.MAP.reservedForEvaluation(a + " " + b + " " + c)) reserved++;
        assertEquals(1.0 / Skill.EVALUATION_SHARE, reserved / 27_000.0, 0.01);
    }

    @Test
    void answersAreRight() {
        for (Skill s : Skill.values()) {
            List<GenerationItem> items = new ArrayList<>(SkillSets.generate(s, 500, 3));
            items.addAll(SkillSets.generationSet(s).items(Split.SEARCH));
            items.addAll(SkillSets.generationSet(s).items(Split.HELDOUT));
            for (GenerationItem g : items) assertEquals(expected(g.prompt()), g.answer(), g.prompt());
        }
        assertEquals("57", Skill.ADD.answer("12+45"));
        assertEquals("153", Skill.ADD.answer("61+92"));
        assertEquals("add 12+45=", Skill.ADD.format("12+45"));
        assertEquals("edcba", Skill.REVERSE.answer("abcde"));
        assertEquals("rev abcde>", Skill.REVERSE.format("abcde"));
        assertEquals("abcd", Skill.SORT.answer("dbca"));
        assertEquals("sort dbca>", Skill.SORT.format("dbca"));
        assertEquals("mebu mofe", Skill.MAP.answer("gero pubi"));
        assertEquals("map gero pubi:", Skill.MAP.format("gero pubi"));
        assertEquals("bcza", Skill.SHIFT.answer("abyz"));
        assertEquals("shift abyz>", Skill.SHIFT.format("abyz"));
        assertThrows(IllegalArgumentException.class, () -> Skill.ADD.answer("1+45"));
        assertThrows(IllegalArgumentException.class, () -> Skill.ADD.answer("123+45"));
        assertThrows(IllegalArgumentException.class, () -> Skill.SHIFT.answer("ab"));
        assertThrows(IllegalArgumentException.class, () -> Skill.REVERSE.answer("ab"));
        assertThrows(IllegalArgumentException.class, () -> Skill.MAP.answer("zzzz"));
        assertThrows(IllegalArgumentException.class, () -> Skill.SORT.input("rev abc>"));
    }

    /** The answer worked out independently of Skill, from the prompt's text alone. */
    private static String expected(String prompt) {
        if (prompt.startsWith("add ")) {
            String[] ab = prompt.substring(4, prompt.length() - 1).split("\\+");
            assertTrue(prompt.endsWith("=") && ab.length == 2 && ab[0].length() == 2 && ab[1].length() == 2, prompt);
            return String.valueOf(Integer.parseInt(ab[0]) + Integer.parseInt(ab[1]));
        }
        if (prompt.startsWith("rev ")) return new StringBuilder(prompt.substring(4, prompt.length() - 1)).reverse().toString();
        if (prompt.startsWith("shift ")) {
            StringBuilder out = new StringBuilder();
            for (char ch : prompt.substring(6, prompt.length() - 1).toCharArray()) out.append(ch == 'z' ? 'a' : (char) (ch + 1));
            return out.toString();
        }
        if (prompt.startsWith("sort ")) {
            char[] c = prompt.substring(5, prompt.length() - 1).toCharArray();
            Arrays.sort(c);
            return new String(c);
        }
        assertTrue(prompt.startsWith("map ") && prompt.endsWith(":"), prompt);
        List<String> out = new ArrayList<>();
        for (String w : prompt.substring(4, prompt.length() - 1).split(" ")) out.add(Skill.mapTable().get(w));
        return String.join(" ", out);
    }

    private static Skill skillOf(String prompt) {
        String command = prompt.substring(0, prompt.indexOf(' '));
        return switch (command) {
            case "add" -> Skill.ADD;
            case "rev" -> Skill.REVERSE;
            case "sort" -> Skill.SORT;
            case "map" -> Skill.MAP;
            case "shift" -> Skill.SHIFT;
            default -> throw new AssertionError("no skill for " + prompt);
        };
    }

    private static int promptEnd(String text) {
        Skill s = skillOf(text);
        char end = switch (s) {
            case ADD -> '=';
            case REVERSE, SORT, SHIFT -> '>';
            case MAP -> ':';
        };
        return text.indexOf(end) + 1;
    }

    @Test
    void mapTableIsStableAndFullyTrained() {
        Map<String, String> table = Skill.mapTable();
        assertEquals(Skill.MAP_TABLE_SIZE, table.size());
        // Pinned: the table is part of the skill, and trained models depend on it.
        assertEquals("mebu", table.get("gero"));
        assertEquals("mofe", table.get("pubi"));
        assertEquals("ketabi", table.get("raze"));
        assertEquals(List.of("gero", "pubi", "gopa"), Skill.mapWords().subList(0, 3));
        Set<String> all = new HashSet<>(table.keySet());
        all.addAll(table.values());
        assertEquals(2 * Skill.MAP_TABLE_SIZE, all.size(), "sources and targets all distinct");
        Set<String> trained = new HashSet<>();
        for (GenerationItem g : SkillSets.generate(Skill.MAP, 2000, 5)) trained.addAll(List.of(Skill.MAP.input(g.prompt()).split(" ")));
        assertEquals(table.keySet(), trained, "every word appears in training, reserved single words inside phrases");
    }

    @Test
    void everythingKeepsToTheDecoderAlphabet() {
        for (ProxyTask t : SkillSets.build()) {
            for (Split sp : Split.values()) {
                for (TaskItem i : t.items(sp)) {
                    List<String> texts = switch (i) {
                        case GenerationItem g -> List.of(g.prompt(), g.answer());
                        case ChoiceItem c -> Stream.concat(Stream.of(c.context()), c.choices().stream()).toList();
                        case TextItem x -> List.of(x.text());
                        default -> throw new AssertionError(i);
                    };
                    for (String s : texts) {
                        assertTrue(s.chars().allMatch(ch -> SkillSets.ALPHABET.indexOf(ch) >= 0), t.name() + " " + i.id() + ": \"" + s + "\"");
                    }
                }
            }
            if (t instanceof ProxyTask.Generation g) {
                Skill s = Skill.parse(t.name().substring("skill-".length()));
                assertEquals(List.of("\n"), g.stop());
                assertEquals(s.maxAnswerLength() + 1, g.maxTokens());
                for (Split sp : Split.values()) for (GenerationItem i : g.items(sp)) assertTrue(i.answer().length() <= s.maxAnswerLength());
            }
        }
    }

    @Test
    void choicesHoldTheRightAnswerAndThreeNearMisses() {
        ProxyTask.Choice c = SkillSets.choiceSet();
        int[] positions = new int[SkillSets.CHOICE_OPTIONS];
        for (Split sp : Split.values()) {
            for (ChoiceItem i : c.items(sp)) {
                assertEquals(SkillSets.CHOICE_OPTIONS, i.choices().size());
                assertEquals(expected(i.context()), i.correct(), i.id());
                positions[i.answer()]++;
            }
        }
        for (int p : positions) assertTrue(p >= 5, "the right answer's position is shuffled: " + Arrays.toString(positions));
        Random r = new Random(9);
        for (Skill s : Skill.values()) {
            for (int k = 0; k < 2000; k++) {
                String input = s.draw(r);
                List<String> misses = s.nearMisses(input);
                assertTrue(misses.size() >= 3, s.key() + " " + input + ": " + misses);
                assertFalse(misses.contains(s.answer(input)), input);
                assertEquals(misses.size(), new HashSet<>(misses).size(), input);
            }
        }
        assertTrue(Skill.ADD.nearMisses("58+67").contains("15"), "the forgotten-carries slip");
    }

    @Test
    void textsArePromptFollowedByAnswer() {
        for (Split sp : Split.values()) {
            for (TextItem t : SkillSets.textSet().items(sp)) {
                int end = promptEnd(t.text());
                assertEquals(expected(t.text().substring(0, end)), t.text().substring(end), t.text());
            }
        }
    }
}
