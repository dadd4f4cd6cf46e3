package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class LineSplitterTest {

    private final List<String> lines = new ArrayList<>();
    private final LineSplitter splitter = new LineSplitter(lines::add);

    @Test
    void handsOverLinesAsTheirNewlineArrives() {
        write("one\ntw");
        assertThat(lines).containsExactly("one");

        write("o\n\nthree");
        assertThat(lines).containsExactly("one", "two", "");

        splitter.close();
        assertThat(lines).containsExactly("one", "two", "", "three");
    }

    @Test
    void dropsTheCarriageReturnOfCrLf() {
        write("dos\r\nline\r");
        write("\n");

        assertThat(lines).containsExactly("dos", "line");
    }

    @Test
    void keepsACharacterSplitAcrossWritesWhole() {
        byte[] bytes = "größe\n".getBytes(StandardCharsets.UTF_8);
        splitter.write(bytes, 0, 3); // cuts the two bytes of 'ö' apart
        splitter.write(bytes, 3, bytes.length - 3);

        assertThat(lines).containsExactly("größe");
    }

    @Test
    void closeWithoutPendingTextAddsNothingAndLaterWritesAreIgnored() {
        write("done\n");
        splitter.close();
        write("late\n");
        splitter.close();

        assertThat(lines).containsExactly("done");
    }

    @Test
    void cutsAnEndlessLineInsteadOfBufferingItAll() {
        byte[] chunk = new byte[LineSplitter.MAX_LINE_BYTES / 4 + 1];
        Arrays.fill(chunk, (byte) 'x');
        for (int i = 0; i < 4; i++) {
            splitter.write(chunk, 0, chunk.length);
        }

        assertThat(lines).singleElement().asString().hasSize(LineSplitter.MAX_LINE_BYTES);
    }

    private void write(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        splitter.write(bytes, 0, bytes.length);
    }
}
