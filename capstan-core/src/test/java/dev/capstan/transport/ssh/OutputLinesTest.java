package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capstan.Server;
import dev.capstan.event.EventSink;
import dev.capstan.testkit.SshTestFleet;
import dev.capstan.transport.Command;
import dev.capstan.transport.CommandResult;
import dev.capstan.transport.OutputListener;
import dev.capstan.transport.Stream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many hosts printing long lines on both streams at once: every line arrives whole, once, with its own host. */
class OutputLinesTest {

    private static final int HOSTS = 4;
    private static final int COMMANDS_PER_HOST = 3;
    private static final int LINES = 300;
    private static final int LINE_LENGTH = 3000;

    @TempDir
    Path home;

    @Test
    void linesOfDifferentHostsAndStreamsNeverMix() throws Exception {
        Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
        List<String> broken = new CopyOnWriteArrayList<>();
        OutputListener listener = (server, stream, line) -> {
            // host-command-stream-number-xxxx...: everything before the padding must match who sent it
            String expectedPrefix = server.label() + "-";
            String[] parts = line.split("-", 5);
            boolean whole = line.startsWith(expectedPrefix) && parts.length == 5
                    && parts[2].equals(stream == Stream.STDOUT ? "out" : "err")
                    && parts[4].length() == LINE_LENGTH && parts[4].chars().allMatch(c -> c == 'x');
            if (!whole) {
                broken.add(server.label() + " " + stream + ": " + line.substring(0, Math.min(80, line.length())));
            }
            seen.computeIfAbsent(line.substring(0, line.lastIndexOf('-')), k -> new AtomicInteger()).incrementAndGet();
        };

        try (SshTestFleet fleet = SshTestFleet.start(HOSTS);
                SshTransport ssh = new SshTransport(Fixtures.forFleet(fleet, home).settings(), EventSink.NONE,
                        PassphrasePrompt.NONE)) {
            List<CommandResult> results = Concurrently.run(HOSTS * COMMANDS_PER_HOST, i -> {
                Server server = Fixtures.server(fleet.host(i % HOSTS));
                return ssh.execute(server, Command.of(printer(server.label() + "-" + i)), listener);
            });

            assertThat(results).allMatch(CommandResult::succeeded);
        }
        assertThat(broken).isEmpty();
        assertThat(seen).hasSize(HOSTS * COMMANDS_PER_HOST * LINES * 2);
        assertThat(seen.values()).allMatch(count -> count.get() == 1);
    }

    /** Prints {@code prefix-out-N-xxx...} to stdout and {@code prefix-err-N-xxx...} to stderr, interleaved. */
    private static String printer(String prefix) {
        return "awk 'BEGIN { p = sprintf(\"%" + LINE_LENGTH + "s\", \"\"); gsub(/ /, \"x\", p);"
                + " for (i = 1; i <= " + LINES + "; i++) {"
                + " print \"" + prefix + "-out-\" i \"-\" p;"
                + " print \"" + prefix + "-err-\" i \"-\" p > \"/dev/stderr\"; fflush() } }'";
    }
}
