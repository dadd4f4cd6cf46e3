package dev.capstan.cli.output;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class UnitsTest {

    @Test
    void durationsReadAsMillisecondsSecondsAndMinutes() {
        assertThat(Units.duration(Duration.ofMillis(-5))).isEqualTo("0 ms");
        assertThat(Units.duration(Duration.ofMillis(999))).isEqualTo("999 ms");
        assertThat(Units.duration(Duration.ofMillis(1000))).isEqualTo("1.0 s");
        assertThat(Units.duration(Duration.ofMillis(1349))).isEqualTo("1.3 s");
        assertThat(Units.duration(Duration.ofMillis(1350))).isEqualTo("1.4 s");
        assertThat(Units.duration(Duration.ofMillis(59_999))).isEqualTo("60.0 s");
        assertThat(Units.duration(Duration.ofMillis(60_000))).isEqualTo("1 min 00 s");
        assertThat(Units.duration(Duration.ofSeconds(125))).isEqualTo("2 min 05 s");
        assertThat(Units.duration(Duration.ofHours(2).plusSeconds(1))).isEqualTo("120 min 01 s");
    }

    /** The text is what the Formatter printed before, rounding included, for every millisecond up to two minutes. */
    @Test
    void durationsAreWhatPercentFormatPrints() {
        for (long ms = 1000; ms < 120_000; ms++) {
            String expected = ms < 60_000
                    ? String.format(Locale.ROOT, "%.1f s", ms / 1000.0)
                    : String.format(Locale.ROOT, "%d min %02d s", ms / 1000 / 60, ms / 1000 % 60);
            assertThat(Units.duration(Duration.ofMillis(ms))).as("%d ms", ms).isEqualTo(expected);
        }
    }

    @Test
    void byteCountsReadInBinaryUnits() {
        assertThat(Units.bytes(0)).isEqualTo("0 B");
        assertThat(Units.bytes(1023)).isEqualTo("1023 B");
        assertThat(Units.bytes(1024)).isEqualTo("1.0 KiB");
        assertThat(Units.bytes(1536)).isEqualTo("1.5 KiB");
        assertThat(Units.bytes(52_428_800)).isEqualTo("50.0 MiB");
        assertThat(Units.bytes(1L << 50)).isEqualTo("1024.0 TiB");
    }

    /** Half-way cases and the edges of each unit round as %.1f rounds them. */
    @Test
    void byteCountsAreWhatPercentFormatPrints() {
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        for (int unit = 0; unit < units.length; unit++) {
            long scale = 1L << (10 * (unit + 1));
            for (long n = scale; n < 1024 * scale; n += scale / 2048 + (n % 7)) {
                double value = (double) n / scale;
                String expected = String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
                assertThat(Units.bytes(n)).as("%d bytes", n).isEqualTo(expected);
            }
        }
    }
}
