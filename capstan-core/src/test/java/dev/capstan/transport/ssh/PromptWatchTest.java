package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capstan.transport.Prompt;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The prompt and the answer's echo taken out of a stream however it is cut into packets. */
class PromptWatchTest {

    private static final String MARKER = "[capstan] sudo password: ";

    @Test
    void takesOutThePromptAndTheLineEndAfterTheAnswerForEveryCut() {
        String stream = "before\r\n" + MARKER + "\r\nafter\r\n";
        for (int cut = 0; cut <= stream.length(); cut++) {
            Outcome o = feed(stream, "secret", cut);
            assertThat(o.output).as("cut at %d", cut).isEqualTo("before\r\nafter\r\n");
            assertThat(o.prompts).containsExactly(1);
        }
    }

    @Test
    void dropsTheAnswersEchoForEveryCut() {
        String stream = MARKER + "secret\r\nran\r\n";
        for (int cut = 0; cut <= stream.length(); cut++) {
            Outcome o = feed(stream, "secret", cut);
            assertThat(o.output).as("cut at %d", cut).isEqualTo("ran\r\n");
        }
    }

    @Test
    void keepsOutputAfterThePromptThatIsNotTheEcho() {
        assertThat(feed(MARKER + "secretive\nx", "secret", 0).output).isEqualTo("secretive\nx");
        assertThat(feed(MARKER + "other\n", "secret", 0).output).isEqualTo("other\n");
        assertThat(feed(MARKER + "sec", "secret", 0).output).as("the end of the output").isEqualTo("sec");
    }

    @Test
    void countsASecondPromptAlsoRightAfterTheFirst() {
        Outcome o = feed(MARKER + "\nSorry, try again.\n" + MARKER, "wrong", 0);
        assertThat(o.prompts).containsExactly(1, 2);
        assertThat(o.output).isEqualTo("Sorry, try again.\n");

        assertThat(feed(MARKER + MARKER, "wrong", 0).prompts).containsExactly(1, 2);
    }

    @Test
    void aPartialMarkerAtTheEndIsOutputAfterAll() {
        Outcome o = feed("done\n[capstan] sudo", "secret", 3);
        assertThat(o.output).isEqualTo("done\n[capstan] sudo");
        assertThat(o.prompts).isEmpty();
    }

    private record Outcome(String output, List<Integer> prompts) {
    }

    /** Feeds {@code stream} in two pieces cut at {@code cut}; the answer is given when the first prompt is seen. */
    private static Outcome feed(String stream, String answer, int cut) {
        List<Integer> prompts = new CopyOnWriteArrayList<>();
        PromptWatch[] watch = new PromptWatch[1];
        watch[0] = new PromptWatch(new Prompt(MARKER, () -> answer), count -> {
            prompts.add(count);
            watch[0].answering(answer);
        });
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PromptWatch.Filter filter = watch[0].filter(out);
        byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
        filter.write(bytes, 0, cut);
        filter.write(bytes, cut, bytes.length - cut);
        filter.finish();
        return new Outcome(out.toString(StandardCharsets.UTF_8), prompts);
    }
}
