package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Markers found wherever they are, however the stream is cut, and every other byte passed on in order. */
class MarkerScannerTest {

    @Test
    void findsMarkersAndPassesEverythingElseForEveryWayOfCuttingTheStream() {
        String marker = "abab@c";
        String stream = "xaba" + marker + "ababab" + marker + "abab@" + marker + "ab";
        List<String> expected = List.of("xaba", "ababab", "abab@", "ab");
        for (int cut1 = 0; cut1 <= stream.length(); cut1++) {
            for (int cut2 = cut1; cut2 <= stream.length(); cut2++) {
                assertThat(scanPieces(marker, stream, cut1, cut2)).as("cut at %d and %d", cut1, cut2)
                        .isEqualTo(expected);
            }
        }
    }

    @Test
    void matchesANaiveSearchOnRandomStreamsCutAtRandom() {
        Random random = new Random(42);
        for (int round = 0; round < 2000; round++) {
            String marker = randomText(random, 1 + random.nextInt(5));
            String stream = randomText(random, random.nextInt(40));
            List<String> expected = List.of(stream.split(java.util.regex.Pattern.quote(marker), -1));
            int cut1 = random.nextInt(stream.length() + 1);
            int cut2 = cut1 + random.nextInt(stream.length() - cut1 + 1);

            assertThat(scanPieces(marker, stream, cut1, cut2)).as("%s in %s", marker, stream).isEqualTo(expected);
        }
    }

    /** Feeds the stream in three pieces; returns the text between markers (the last piece once flushed). */
    private static List<String> scanPieces(String marker, String stream, int cut1, int cut2) {
        MarkerScanner scanner = new MarkerScanner(marker.getBytes(StandardCharsets.UTF_8));
        byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
        List<String> parts = new ArrayList<>();
        ByteArrayOutputStream current = new ByteArrayOutputStream();
        int[] cuts = {0, cut1, cut2, bytes.length};
        for (int p = 0; p < 3; p++) {
            int offset = cuts[p];
            int count = cuts[p + 1] - cuts[p];
            while (true) {
                int used = scanner.scan(bytes, offset, count, current::write);
                if (used < 0) {
                    break;
                }
                parts.add(current.toString(StandardCharsets.UTF_8));
                current.reset();
                offset += used;
                count -= used;
            }
        }
        scanner.flush(current::write);
        parts.add(current.toString(StandardCharsets.UTF_8));
        return parts;
    }

    private static String randomText(Random random, int length) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < length; i++) {
            sb.append("ab".charAt(random.nextInt(2)));
        }
        return sb.toString();
    }
}
