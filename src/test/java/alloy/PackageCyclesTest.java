package alloy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The package structure the README and DESIGN describe, read from the sources: no import cycle between
 * packages, and each outside library only where it belongs (DJL in eval, Jenetics in search, Tablesaw and the
 * charts in report, picocli in cli).
 */
class PackageCyclesTest {

    static final Path SRC = Path.of("src", "main", "java");
    static final Pattern IMPORT = Pattern.compile("^import (?:static )?([\\w.]+)\\.[\\w*]+;", Pattern.MULTILINE);
    static final Pattern QUALIFIED = Pattern.compile("\\b(alloy(?:\\.[a-z]\\w*)+)\\.[A-Z]\\w*");

    /** Package to the packages it uses (imports and fully qualified names). */
    static Map<String, Set<String>> graph() throws IOException {
        Map<String, Set<String>> g = new TreeMap<>();
        try (Stream<Path> files = Files.walk(SRC)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String pkg = SRC.relativize(f.getParent()).toString().replace('/', '.');
                String text = Files.readString(f);
                Set<String> uses = g.computeIfAbsent(pkg, k -> new TreeSet<>());
                Matcher m = IMPORT.matcher(text);
                while (m.find()) uses.add(packageOf(m.group(1)));
                Matcher q = QUALIFIED.matcher(text);
                while (q.find()) uses.add(q.group(1));
                uses.remove(pkg);
            }
        }
        return g;
    }

    /** An import of a nested type names its outer class: keep the lower-case part. */
    static String packageOf(String name) {
        List<String> parts = new ArrayList<>();
        for (String s : name.split("\\.")) {
            if (Character.isUpperCase(s.charAt(0))) break;
            parts.add(s);
        }
        return String.join(".", parts);
    }

    @Test
    void noImportCycleBetweenPackages() throws IOException {
        Map<String, Set<String>> g = graph();
        List<String> cycles = new ArrayList<>();
        for (String start : g.keySet()) {
            // a cycle through start: start reaches a package that reaches start back
            for (String next : g.get(start)) {
                if (!g.containsKey(next)) continue;
                List<String> path = path(g, next, start, new TreeSet<>());
                if (path != null && start.compareTo(next) < 0) cycles.add(start + " -> " + String.join(" -> ", path));
            }
        }
        assertEquals(List.of(), cycles);
    }

    private static List<String> path(Map<String, Set<String>> g, String from, String to, Set<String> seen) {
        if (from.equals(to)) return new ArrayList<>(List.of(to));
        if (!seen.add(from)) return null;
        for (String n : g.getOrDefault(from, Set.of())) {
            if (!g.containsKey(n)) continue;
            List<String> p = path(g, n, to, seen);
            if (p != null) {
                p.add(0, from);
                return p;
            }
        }
        return null;
    }

    @Test
    void librariesStayInTheirPackages() throws IOException {
        Map<String, String> owner = Map.of("ai.djl", "alloy.eval", "io.jenetics", "alloy.search", "tech.tablesaw", "alloy.report",
                "org.jfree", "alloy.report", "picocli", "alloy.cli");
        List<String> misplaced = new ArrayList<>();
        graph().forEach((pkg, uses) -> {
            for (String u : uses) {
                owner.forEach((lib, home) -> {
                    if ((u.equals(lib) || u.startsWith(lib + ".")) && !(pkg.equals(home) || pkg.startsWith(home + "."))) misplaced.add(pkg + " uses " + u);
                });
            }
        });
        assertEquals(List.of(), misplaced);
    }

    /** The merge side reads in one direction: the merge kernels need tensors alone, and LoRA needs no recipes. */
    @Test
    void lowerLayersDoNotReachUp() throws IOException {
        Map<String, Set<String>> g = graph();
        assertEquals(Set.of(), intersect(g.get("alloy.lora"), Set.of("alloy.recipe", "alloy.search", "alloy.eval", "alloy.cli")), "alloy.lora uses");
        assertEquals(Set.of(), intersect(g.get("alloy.merge"), Set.of("alloy.recipe", "alloy.io", "alloy.lora", "alloy.search", "alloy.eval", "alloy.cli")), "alloy.merge uses");
    }

    private static Set<String> intersect(Set<String> a, Set<String> b) {
        Set<String> out = new TreeSet<>(a);
        out.retainAll(b);
        return out;
    }
}
