package alloy.cli;

import alloy.eval.task.ProxyTask;
import alloy.eval.task.ProxyTasks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Resolves --tasks: set names under the proxy-tasks folders of {@link #roots()}, or folder paths. */
final class Tasks {
    private Tasks() {}

    /**
     * Where set names are looked up, in order: $ALLOY_TASKS, ./proxy-tasks, and the proxy-tasks folder of the
     * Alloy installation the launcher ran from (so names work from any working directory).
     */
    static List<Path> roots() {
        List<Path> roots = new ArrayList<>();
        String env = System.getenv("ALLOY_TASKS");
        if (env != null) roots.add(Path.of(env));
        roots.add(Path.of("proxy-tasks"));
        String home = System.getProperty("alloy.home");
        if (home != null) roots.add(Path.of(home, "proxy-tasks"));
        return roots;
    }

    static Path root() {
        return roots().stream().filter(Files::isDirectory).findFirst().orElse(Path.of("proxy-tasks"));
    }

    static List<ProxyTask> resolve(String spec) {
        List<ProxyTask> out = new ArrayList<>();
        for (String s : spec.split(",")) {
            String name = s.strip();
            if (name.isEmpty()) continue;
            Path p = Path.of(name);
            if (Files.isDirectory(p) && Files.isRegularFile(p.resolve(ProxyTasks.MANIFEST))) {
                out.add(ProxyTasks.load(p));
                continue;
            }
            Path under = roots().stream().map(r -> r.resolve(name)).filter(d -> Files.isRegularFile(d.resolve(ProxyTasks.MANIFEST)))
                    .findFirst().orElse(null);
            if (under == null) {
                List<String> known = Files.isDirectory(root()) ? ProxyTasks.loadAll(root()).stream().map(ProxyTask::name).toList() : List.of();
                throw new IllegalArgumentException("--tasks: no proxy set '" + name + "' under " + roots().stream().map(r -> r.toAbsolutePath().normalize().toString()).distinct().toList()
                        + " (known: " + known + ")");
            }
            out.add(ProxyTasks.load(under));
        }
        if (out.isEmpty()) throw new IllegalArgumentException("--tasks: no proxy set named");
        return out;
    }
}
