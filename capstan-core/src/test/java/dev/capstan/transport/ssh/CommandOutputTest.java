package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capstan.Server;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A terminal's {@code \r\n} line ends come out as {@code \n} in captured output, wherever packets are cut. */
class CommandOutputTest {

    @Test
    void captureFromATerminalHasPlainNewlinesForEveryCut() throws Exception {
        String stream = "a\r\nb\r\r\n\rc\r";
        for (int cut = 0; cut <= stream.length(); cut++) {
            CommandOutput output = new CommandOutput(Server.parse("host"), (s, st, l) -> { }, true, true);
            OutputStream stdout = output.stdout();
            byte[] bytes = stream.getBytes(StandardCharsets.UTF_8);
            stdout.write(bytes, 0, cut);
            stdout.write(bytes, cut, bytes.length - cut);
            output.finish();

            assertThat(output.capturedStdout()).as("cut at %d", cut).isEqualTo("a\nb\r\n\rc\r");
        }
    }

    @Test
    void captureWithoutATerminalIsByteForByte() throws Exception {
        CommandOutput output = new CommandOutput(Server.parse("host"), (s, st, l) -> { }, true);
        output.stdout().write("a\r\nb".getBytes(StandardCharsets.UTF_8));
        output.finish();

        assertThat(output.capturedStdout()).isEqualTo("a\r\nb");
    }
}
