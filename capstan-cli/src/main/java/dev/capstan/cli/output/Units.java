package dev.capstan.cli.output;

import java.time.Duration;
import java.util.Locale;

/** Durations and byte counts as people read them; the same in every locale. */
public final class Units {
    private Units() {
    }

    /** {@code 12 ms}, {@code 3.4 s}, {@code 2 min 05 s}. */
    public static String duration(Duration duration) {
        long ms = Math.max(0, duration.toMillis());
        if (ms < 1000) {
            return ms + " ms";
        }
        if (ms < 60_000) {
            return String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
        }
        long seconds = ms / 1000;
        return String.format(Locale.ROOT, "%d min %02d s", seconds / 60, seconds % 60);
    }

    /** {@code 512 B}, {@code 1.5 KiB}, {@code 12.0 MiB}. */
    public static String bytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
    }
}
