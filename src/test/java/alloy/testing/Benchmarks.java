package alloy.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Supplier;

/** What the benchmark mains share: wall time of one piece of work, the median of repeats, the machine's load. */
public final class Benchmarks {

    private Benchmarks() {}

    /** Seconds {@code work} takes, wall clock. */
    public static double time(Supplier<?> work) {
        long t0 = System.nanoTime();
        work.get();
        return (System.nanoTime() - t0) / 1e9;
    }

    public static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** /proc/loadavg as it reads (1, 5 and 15 minute averages, then run queue and last pid), or "?" elsewhere. */
    public static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).strip();
        } catch (Exception e) {
            return "?";
        }
    }
}
