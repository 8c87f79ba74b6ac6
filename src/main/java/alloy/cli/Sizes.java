package alloy.cli;

import java.util.Locale;

/** Byte sizes as users write them: 5G, 500M, 2GB, 1024. Binary units, as mergekit's --out-shard-size. */
final class Sizes {
    private Sizes() {}

    static long parse(String s) {
        String v = s.trim().toUpperCase(Locale.ROOT).replaceAll("I?B$", "");
        long mult = 1;
        if (v.endsWith("K")) mult = 1L << 10;
        else if (v.endsWith("M")) mult = 1L << 20;
        else if (v.endsWith("G")) mult = 1L << 30;
        else if (v.endsWith("T")) mult = 1L << 40;
        if (mult > 1) v = v.substring(0, v.length() - 1);
        try {
            double x = Double.parseDouble(v);
            if (x <= 0) throw new NumberFormatException();
            return (long) (x * mult);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("size '" + s + "' is not a positive size like 5G, 500M or 1048576");
        }
    }

    static String human(long bytes) {
        if (bytes >= 1L << 30) return String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30));
        if (bytes >= 1L << 20) return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        if (bytes >= 1L << 10) return String.format(Locale.ROOT, "%.1f KiB", bytes / (double) (1L << 10));
        return bytes + " B";
    }
}
