package alloy.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The mark Alloy leaves on what it writes, so that {@code --overwrite} replaces only its own outputs. A
 * directory output holds {@value #FILE} listing the files Alloy put there; a single-file output (an ONNX
 * model) has a sidecar {@code .NAME.alloy-output} recording the size and modification time it was written
 * with, so a file that was replaced or edited since is not taken for Alloy's.
 */
public final class OutputMarker {

    public static final String FILE = ".alloy-output";

    private OutputMarker() {}

    /** Writes the marker into a finished staging directory, listing everything in it. */
    static void markDirectory(Path staging) throws IOException {
        ObjectNode json = HfConfig.JSON.createObjectNode();
        json.put("tool", "alloy");
        var files = json.putArray("files");
        try (Stream<Path> s = Files.list(staging)) {
            s.map(p -> p.getFileName().toString()).filter(n -> !n.equals(FILE)).sorted().forEach(files::add);
        }
        Files.write(staging.resolve(FILE), HfConfig.JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(json));
    }

    /** Writes the sidecar of a published single-file output. */
    static void markFile(Path published) throws IOException {
        ObjectNode json = HfConfig.JSON.createObjectNode();
        json.put("tool", "alloy");
        json.put("size", Files.size(published));
        json.put("modified_ms", Files.getLastModifiedTime(published).toMillis());
        Files.write(sidecar(published), HfConfig.JSON.writeValueAsBytes(json));
    }

    static Path sidecar(Path file) { return file.resolveSibling("." + file.getFileName() + ".alloy-output"); }

    /** Refuses, naming what is there, unless {@code out} is an Alloy output holding nothing Alloy did not write. */
    static void checkReplaceable(Path out) {
        try {
            if (Files.isDirectory(out)) checkDirectory(out);
            else checkFile(out);
        } catch (IOException e) {
            throw new CheckpointException(out + ": cannot read what is there: " + e.getMessage(), e);
        }
    }

    private static void checkDirectory(Path out) throws IOException {
        Path marker = out.resolve(FILE);
        if (!Files.isRegularFile(marker)) {
            List<String> there = OutputTarget.strangers(out, Set.of(), 4);
            throw new CheckpointException(out + ": not an Alloy output (no " + FILE + " marker; it holds " + list(there)
                    + "); --overwrite replaces only what Alloy wrote: remove it yourself or name another output");
        }
        Set<String> known = new HashSet<>(Set.of(FILE));
        JsonNode json = read(marker);
        json.path("files").forEach(f -> known.add(f.asText()));
        List<String> strangers = OutputTarget.strangers(out, known, 4);
        if (!strangers.isEmpty()) {
            throw new CheckpointException(out + ": holds files Alloy did not write (" + list(strangers)
                    + "); move them away or name another output");
        }
    }

    private static void checkFile(Path out) throws IOException {
        Path side = sidecar(out);
        if (!Files.isRegularFile(side)) {
            throw new CheckpointException(out + ": not an Alloy output (no " + side.getFileName()
                    + " beside it); --overwrite replaces only what Alloy wrote: remove it yourself or name another output");
        }
        JsonNode json = read(side);
        if (json.path("size").asLong(-1) != Files.size(out) || json.path("modified_ms").asLong(-1) != Files.getLastModifiedTime(out).toMillis()) {
            throw new CheckpointException(out + ": changed since Alloy wrote it (size or time differ from " + side.getFileName()
                    + "); remove it yourself or name another output");
        }
    }

    private static JsonNode read(Path marker) throws IOException {
        try {
            return HfConfig.JSON.readTree(marker.toFile());
        } catch (IOException e) {
            throw new CheckpointException(marker + ": unreadable output marker: " + e.getMessage(), e);
        }
    }

    private static String list(List<String> names) {
        return names.isEmpty() ? "nothing" : String.join(", ", names) + (names.size() >= 4 ? ", ..." : "");
    }
}
