package alloy.tensor;

import java.lang.management.ManagementFactory;
import com.sun.management.OperatingSystemMXBean;
import java.util.Locale;

/**
 * The machine's physical memory, as the bound on any one tensor Alloy decodes or merges: a header may
 * declare a tensor of 10^12 elements over a sparse file, and asking the allocator for that fails with an
 * OutOfMemoryError (or, with overcommit, swaps the machine to a halt) instead of an error naming the tensor.
 */
public final class MachineMemory {

    private MachineMemory() {}

    /** Total physical memory in bytes (the container's limit where there is one), or Long.MAX_VALUE when unknown. */
    public static long total() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os) {
            long t = os.getTotalMemorySize();
            if (t > 0) return t;
        }
        return Long.MAX_VALUE;
    }

    /** {@code numel} float32 values in bytes, saturating at Long.MAX_VALUE. */
    public static long float32Bytes(long numel) {
        return numel > Long.MAX_VALUE / 4 ? Long.MAX_VALUE : numel * 4;
    }

    /** True when {@code numel} float32 values could be held in memory at all. */
    public static boolean fitsFloat32(long numel) { return float32Bytes(numel) <= total(); }

    /** Bytes in binary units for messages ("3.6 TiB"). */
    public static String human(long bytes) {
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return u == 0 ? bytes + " B" : String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }
}
