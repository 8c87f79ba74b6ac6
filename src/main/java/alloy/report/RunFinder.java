package alloy.report;

import alloy.results.RunReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/** The run directories under the paths given: a run directory itself, or every run found below a folder. */
public final class RunFinder {
    private RunFinder() {}

    /** Below this many levels a results tree is not searched; results/ is flat in practice. */
    static final int MAX_DEPTH = 8;

    public static List<Path> find(List<Path> paths) {
        Set<Path> out = new LinkedHashSet<>();
        for (Path p : paths) {
            if (!Files.exists(p)) throw new IllegalArgumentException(p + " does not exist");
            if (!Files.isDirectory(p)) throw new IllegalArgumentException(p + " is not a folder (give a run directory or a folder of runs)");
            if (RunReader.isRun(p)) { out.add(p.normalize()); continue; }
            List<Path> found = new ArrayList<>();
            try (Stream<Path> s = Files.walk(p, MAX_DEPTH)) {
                // A run's own subfolders (recipes/) hold no runs; hidden folders are tools' scratch.
                s.filter(Files::isDirectory).filter(d -> !d.getFileName().toString().startsWith(".") || d.equals(p))
                        .filter(RunReader::isRun).map(Path::normalize).sorted().forEach(found::add);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list " + p + ": " + e.getMessage(), e);
            }
            out.addAll(found);
        }
        return List.copyOf(out);
    }
}
