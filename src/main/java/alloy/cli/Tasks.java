package alloy.cli;

import alloy.eval.task.ProxyTask;
import alloy.eval.task.ProxyTasks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Resolves --tasks: set names under the proxy-tasks folder (ALLOY_TASKS, else ./proxy-tasks), or folder paths. */
final class Tasks {
    private Tasks() {}

    static Path root() {
        String env = System.getenv("ALLOY_TASKS");
        if (env != null) return Path.of(env);
        String home = System.getProperty("alloy.home");
        Path here = Path.of("proxy-tasks");
        if (!Files.isDirectory(here) && home != null) return Path.of(home, "proxy-tasks");
        return here;
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
            Path under = root().resolve(name);
            if (!Files.isRegularFile(under.resolve(ProxyTasks.MANIFEST))) {
                List<String> known = Files.isDirectory(root()) ? ProxyTasks.loadAll(root()).stream().map(ProxyTask::name).toList() : List.of();
                throw new IllegalArgumentException("--tasks: no proxy set '" + name + "' under " + root().toAbsolutePath() + " (known: " + known + ")");
            }
            out.add(ProxyTasks.load(under));
        }
        if (out.isEmpty()) throw new IllegalArgumentException("--tasks: no proxy set named");
        return out;
    }
}
