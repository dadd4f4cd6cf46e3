package dev.capstan.cli.output;

import java.time.Duration;

/**
 * Durations and byte counts as people read them; the same in every locale.
 *
 * <p>Built with integer arithmetic rather than {@code String.format}: the first format of a run loads the
 * {@code Formatter} and the locale data behind it, ~10 ms of a cold start, and the first duration past a second is
 * typically printed at the end of a run, in the summary. The text is what {@code %.1f} and {@code %02d} print.
 */
public final class Units {
    private static final String[] BINARY_UNITS = {"KiB", "MiB", "GiB", "TiB"};

    private Units() {
    }

    /** {@code 12 ms}, {@code 3.4 s}, {@code 2 min 05 s}. */
    public static String duration(Duration duration) {
        long ms = Math.max(0, duration.toMillis());
        if (ms < 1000) {
            return ms + " ms";
        }
        if (ms < 60_000) {
            return oneDecimal((ms + 50) / 100) + " s"; // tenths of a second, half up
        }
        long seconds = ms / 1000;
        long rest = seconds % 60;
        return seconds / 60 + " min " + (rest < 10 ? "0" : "") + rest + " s";
    }

    /** {@code 512 B}, {@code 1.5 KiB}, {@code 12.0 MiB}. */
    public static String bytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < BINARY_UNITS.length - 1) {
            value /= 1024;
            unit++;
        }
        // value is bytes / 1024^k, exact in binary, and so is value * 10: rounding it is %.1f's half-up
        return oneDecimal(Math.round(value * 10)) + " " + BINARY_UNITS[unit];
    }

    /**
     * A count of tenths, as {@code 12.3}. A StringBuilder, not {@code +}: each new shape of string concatenation
     * generates a class on first use, and this one's first use is at the end of a run.
     */
    private static String oneDecimal(long tenths) {
        return new StringBuilder(8).append(tenths / 10).append('.').append(tenths % 10).toString();
    }
}
