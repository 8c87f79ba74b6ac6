package alloy.eval.task;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.Arrays;

/**
 * The five skills the tiny character-level decoder family is trained on, each an exactly checkable rule from
 * an input to an answer, with a prompt that ends where the answer starts:
 * <pre>
 *   add      "add 61+92="    → "153"     two numbers of 2 digits, the sum written most significant digit first
 *   reverse  "rev abcde>"    → "edcba"   3 to 7 lowercase letters
 *   sort     "sort dbca>"    → "abcd"    3 to 7 lowercase letters, repeats allowed
 *   map      "map kelo:"     → "tiva"    1 to 3 words of a fixed made-up vocabulary, translated word by word
 *   shift    "shift abyz>"   → "bcza"    3 to 7 lowercase letters, each moved one on in the alphabet (z to a)
 * </pre>
 * The family's base learns all five; its experts are tuned on the first four, so shift is the skill no
 * expert was tuned on, which shows whether a merge keeps general ability.
 *
 * <h2>Training and evaluation never share an input</h2>
 * Each skill's input space is split by a hash: an input is reserved for evaluation when the 64-bit FNV-1a
 * hash of {@code "<key> <input>"}, passed through SplitMix64's finaliser, is 0 modulo {@link #EVALUATION_SHARE}
 * (one input in eight). Evaluation sets draw only reserved inputs, training data only the others
 * ({@link SkillSets}). The rule needs no list of held-out items and holds for any seed and any amount of
 * training data. Only the exact input string is reserved: "add 45+12=" may train while "add 12+45="
 * evaluates, and a map word reserved on its own still trains inside longer phrases, so that every table
 * entry is learnable.
 */
public enum Skill {
    ADD("add", "add ", "="),
    REVERSE("reverse", "rev ", ">"),
    SORT("sort", "sort ", ">"),
    MAP("map", "map ", ":"),
    SHIFT("shift", "shift ", ">");

    /** One input in this many is reserved for evaluation. */
    public static final int EVALUATION_SHARE = 8;

    /** Fixes the map vocabulary; changing it changes the skill, not just its data. */
    public static final long MAP_TABLE_SEED = 0x6d6170L;   // "map"
    public static final int MAP_TABLE_SIZE = 30;
    public static final int MAP_MAX_WORDS = 3;

    private static final Pattern ADD_INPUT = Pattern.compile("([1-9][0-9])\\+([1-9][0-9])");
    private static final Pattern LETTERS = Pattern.compile("[a-z]{3,7}");

    private final String key;
    private final String prefix;
    private final String suffix;

    Skill(String key, String prefix, String suffix) {
        this.key = key;
        this.prefix = prefix;
        this.suffix = suffix;
    }

    /** The skill's name: "add", "reverse", "sort", "map", "shift". */
    public String key() { return key; }

    /** Its generation set under proxy-tasks: "skill-add", ... */
    public String setName() { return "skill-" + key; }

    public static Skill parse(String key) {
        for (Skill s : values()) if (s.key.equals(key)) return s;
        throw new IllegalArgumentException("unknown skill \"" + key + "\"; expected add, reverse, sort, map or shift");
    }

    /** The prompt for {@code input}: "add 12+45=", "rev abcde>", "sort dbca>", "map kelo:", "shift abc>". */
    public String format(String input) {
        check(input);
        return prefix + input + suffix;
    }

    /** The input a prompt of this skill was made from; the inverse of {@link #format}. */
    public String input(String prompt) {
        if (!prompt.startsWith(prefix) || !prompt.endsWith(suffix) || prompt.length() < prefix.length() + suffix.length()) {
            throw new IllegalArgumentException(key + ": prompt \"" + prompt + "\" is not \"" + prefix + "<input>" + suffix + "\"");
        }
        return check(prompt.substring(prefix.length(), prompt.length() - suffix.length()));
    }

    /** The right answer for {@code input}. */
    public String answer(String input) {
        check(input);
        return switch (this) {
            case ADD -> {
                String[] ab = input.split("\\+");
                yield Integer.toString(Integer.parseInt(ab[0]) + Integer.parseInt(ab[1]));
            }
            case REVERSE -> new StringBuilder(input).reverse().toString();
            case SORT -> sorted(input);
            case MAP -> {
                List<String> out = new ArrayList<>();
                for (String w : input.split(" ")) out.add(mapTable().get(w));
                yield String.join(" ", out);
            }
            case SHIFT -> shiftAll(input, 1);
        };
    }

    /** An item with the prompt and answer of {@code input}. */
    public GenerationItem item(String id, String input) { return new GenerationItem(id, format(input), answer(input)); }

    /** The longest answer any input can have, in characters: what generation must leave room for. */
    public int maxAnswerLength() {
        return switch (this) {
            case ADD -> 3;                 // 99 + 99 = 198
            case REVERSE, SORT, SHIFT -> 7;
            case MAP -> {
                int longest = mapTable().values().stream().mapToInt(String::length).max().orElseThrow();
                yield MAP_MAX_WORDS * longest + MAP_MAX_WORDS - 1;
            }
        };
    }

    /**
     * An input drawn from the whole input space (both partitions): add draws each number uniformly from 10
     * to 99; reverse, sort and shift a length of 3 to 7 and then each letter;
     * map a word count of 1 to 3 and then each word.
     */
    public String draw(Random random) {
        return switch (this) {
            case ADD -> number(random) + "+" + number(random);
            case REVERSE, SORT, SHIFT -> {
                int n = 3 + random.nextInt(5);
                StringBuilder sb = new StringBuilder(n);
                for (int i = 0; i < n; i++) sb.append((char) ('a' + random.nextInt(26)));
                yield sb.toString();
            }
            case MAP -> {
                List<String> words = mapWords();
                int n = 1 + random.nextInt(MAP_MAX_WORDS);
                List<String> out = new ArrayList<>(n);
                for (int i = 0; i < n; i++) out.add(words.get(random.nextInt(words.size())));
                yield String.join(" ", out);
            }
        };
    }

    private static int number(Random random) {
        return 10 + random.nextInt(90);
    }

    /** Whether {@code input} belongs to the evaluation partition (see the class comment). */
    public boolean reservedForEvaluation(String input) {
        check(input);
        return Long.remainderUnsigned(mix(fnv1a(key + " " + input)), EVALUATION_SHARE) == 0;
    }

    /**
     * Wrong answers close to the right one, nearest kinds first, none equal to it or to each other (at least
     * three for every input): for add, off by one, ten or a hundred, the last two digits swapped, the carries
     * dropped; for reverse, the input unreversed, neighbours swapped, a letter lost or changed; for sort, the
     * order reversed or left alone, neighbours swapped, a letter lost or changed; for map, one word swapped for
     * the most similar other translation, the words in reverse order, the input left untranslated; for shift,
     * the input unshifted or shifted by two, one letter left unshifted, the last letter lost.
     */
    public List<String> nearMisses(String input) {
        String right = answer(input);
        Set<String> c = new LinkedHashSet<>();
        switch (this) {
            case ADD -> {
                int s = Integer.parseInt(right);
                for (int d : new int[] {1, -1, 10, -10}) c.add(Integer.toString(s + d));
                if (right.length() >= 2) c.add(swap(right, right.length() - 2));
                String[] ab = input.split("\\+");
                c.add(Integer.toString(withoutCarries(Integer.parseInt(ab[0]), Integer.parseInt(ab[1]))));
                c.add(Integer.toString(s + 100));
                if (s >= 100) c.add(Integer.toString(s - 100));
            }
            case REVERSE -> {
                c.add(input);
                c.add(swap(right, 0));
                c.add(swap(right, right.length() - 2));
                c.add(right.substring(0, right.length() - 1));
                c.add(shift(right, right.length() / 2));
                c.add(shift(right, 0));
            }
            case SORT -> {
                c.add(new StringBuilder(right).reverse().toString());
                c.add(input);
                for (int i = 0; i + 1 < right.length(); i++) {
                    if (right.charAt(i) != right.charAt(i + 1)) {
                        c.add(swap(right, i));
                        break;
                    }
                }
                c.add(right.substring(0, right.length() - 1));
                c.add(shift(right, right.length() - 1));
                c.add(shift(right, 0));
            }
            case MAP -> {
                String[] words = right.split(" ");
                for (int j = 0; j < words.length; j++) {
                    String[] w = words.clone();
                    w[j] = nearestOtherTarget(words[j], 0);
                    c.add(String.join(" ", w));
                }
                if (words.length > 1) {
                    List<String> rev = new ArrayList<>(List.of(words));
                    Collections.reverse(rev);
                    c.add(String.join(" ", rev));
                }
                c.add(input);
                c.remove(right);   // the reversal of a palindromic phrase
                for (int k = 1; c.size() < 3; k++) {
                    String[] w = words.clone();
                    w[0] = nearestOtherTarget(words[0], k);
                    c.add(String.join(" ", w));
                }
            }
            case SHIFT -> {
                c.add(input);
                c.add(shiftAll(input, 2));
                c.add(input.charAt(0) + right.substring(1));
                c.add(right.substring(0, right.length() - 1) + input.charAt(input.length() - 1));
                c.add(right.substring(0, right.length() - 1));
            }
        }
        c.remove(right);
        c.removeIf(String::isEmpty);
        if (c.size() < 3) throw new IllegalStateException(key + ": fewer than 3 near misses for \"" + input + "\": " + c);
        return List.copyOf(c);
    }

    // ---- the map vocabulary ----------------------------------------------------------------------------

    /**
     * The made-up dictionary of the map skill: {@value #MAP_TABLE_SIZE} source words of two consonant-vowel
     * syllables ("kelo") to targets of two or three ("tiva", "rupeno"), all sixty distinct, drawn once from
     * {@link Random} seeded with {@link #MAP_TABLE_SEED}. Random's algorithm is fixed by its specification,
     * so the table is the same on every JDK. Insertion order is draw order.
     */
    public static Map<String, String> mapTable() { return MapTable.TABLE; }

    /** The source words of {@link #mapTable()} in table order. */
    public static List<String> mapWords() { return MapTable.WORDS; }

    private static final class MapTable {
        static final Map<String, String> TABLE = build();
        static final List<String> WORDS = List.copyOf(TABLE.keySet());

        private static Map<String, String> build() {
            String consonants = "bdfgklmnprstvz", vowels = "aeiou";
            Random r = new Random(MAP_TABLE_SEED);
            Set<String> used = new LinkedHashSet<>();
            Map<String, String> table = new LinkedHashMap<>();
            while (table.size() < MAP_TABLE_SIZE) {
                String source = word(r, 2, consonants, vowels);
                String target = word(r, 2 + r.nextInt(2), consonants, vowels);
                if (source.equals(target) || used.contains(source) || used.contains(target)) continue;
                used.add(source);
                used.add(target);
                table.put(source, target);
            }
            return Collections.unmodifiableMap(table);
        }

        private static String word(Random r, int syllables, String consonants, String vowels) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < syllables; i++) {
                sb.append(consonants.charAt(r.nextInt(consonants.length()))).append(vowels.charAt(r.nextInt(vowels.length())));
            }
            return sb.toString();
        }
    }

    /** The k-th most similar target other than {@code target} (edit distance, then table order). */
    private static String nearestOtherTarget(String target, int k) {
        List<String> others = new ArrayList<>(mapTable().values());
        others.remove(target);
        others.sort((x, y) -> Integer.compare(editDistance(target, x), editDistance(target, y)));   // stable: ties keep table order
        return others.get(k % others.size());
    }

    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1], cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    // ---- helpers ---------------------------------------------------------------------------------------

    /** Refuses an input outside the skill's input space, naming the skill and the input. */
    private String check(String input) {
        boolean ok = switch (this) {
            case ADD -> ADD_INPUT.matcher(input).matches();
            case REVERSE, SORT, SHIFT -> LETTERS.matcher(input).matches();
            case MAP -> {
                String[] words = input.split(" ", -1);
                boolean known = words.length >= 1 && words.length <= MAP_MAX_WORDS;
                for (String w : words) known &= mapTable().containsKey(w);
                yield known;
            }
        };
        if (!ok) {
            String expected = switch (this) {
                case ADD -> "two numbers of 2 digits joined by +";
                case REVERSE, SORT, SHIFT -> "3 to 7 lowercase letters";
                case MAP -> "1 to " + MAP_MAX_WORDS + " words of the map table separated by single spaces";
            };
            throw new IllegalArgumentException(key + ": input \"" + input + "\" is not " + expected);
        }
        return input;
    }

    private static String sorted(String s) {
        char[] c = s.toCharArray();
        Arrays.sort(c);
        return new String(c);
    }

    /** {@code s} with characters i and i + 1 exchanged. */
    private static String swap(String s, int i) {
        char[] c = s.toCharArray();
        char t = c[i];
        c[i] = c[i + 1];
        c[i + 1] = t;
        return new String(c);
    }

    /** {@code s} with the letter at i moved one place on in the alphabet (z wraps to a). */
    private static String shift(String s, int i) {
        char[] c = s.toCharArray();
        c[i] = (char) ('a' + (c[i] - 'a' + 1) % 26);
        return new String(c);
    }

    /** Every letter of {@code s} moved {@code by} places on in the alphabet, z wrapping to a. */
    private static String shiftAll(String s, int by) {
        char[] c = s.toCharArray();
        for (int i = 0; i < c.length; i++) c[i] = (char) ('a' + (c[i] - 'a' + by) % 26);
        return new String(c);
    }

    /** Digit-wise sum with every carry forgotten, the classic slip: 58 + 67 → 15 (5+6=11→1, 8+7=15→5). */
    private static int withoutCarries(int a, int b) {
        int out = 0, place = 1;
        while (a > 0 || b > 0) {
            out += ((a % 10 + b % 10) % 10) * place;
            a /= 10;
            b /= 10;
            place *= 10;
        }
        return out;
    }

    private static long fnv1a(String s) {
        long h = 0xCBF29CE484222325L;
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xFF;
            h *= 0x100000001B3L;
        }
        return h;
    }

    /** SplitMix64's finaliser, so that the low bits taken modulo the share depend on every input character. */
    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
