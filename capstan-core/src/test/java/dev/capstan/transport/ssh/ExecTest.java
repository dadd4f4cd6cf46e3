package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capstan.Server;
import dev.capstan.testkit.SshTestFleet;
import dev.capstan.transport.Command;
import dev.capstan.transport.CommandResult;
import dev.capstan.transport.OutputListener;
import dev.capstan.transport.Stream;
import dev.capstan.event.EventSink;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a command sees and what the caller gets back: output lines, exit status, stdin, env, capture, pty. */
class ExecTest {

    @TempDir
    static Path home;

    private static SshTestFleet fleet;
    private static SshTransport ssh;
    private static Server server;

    @BeforeAll
    static void start() throws Exception {
        fleet = SshTestFleet.start(1);
        ssh = new SshTransport(Fixtures.forFleet(fleet, home).settings(), EventSink.NONE, PassphrasePrompt.NONE);
        server = Fixtures.server(fleet.host(0));
    }

    @AfterAll
    static void stop() {
        ssh.close();
        fleet.close();
    }

    @Test
    void deliversEachLineWithItsStreamAndReturnsTheExitStatus() throws Exception {
        Lines lines = new Lines();
        CommandResult result = ssh.execute(server,
                Command.of("echo one; echo two >&2; printf 'three\\r\\nfour'; exit 3"), lines);

        assertThat(result.exitStatus()).isEqualTo(3);
        assertThat(lines.of(Stream.STDOUT)).containsExactly("one", "three", "four");
        assertThat(lines.of(Stream.STDERR)).containsExactly("two");
        assertThat(result.stdout()).isEmpty(); // not captured
    }

    @Test
    void keepsTheLastStderrLines() throws Exception {
        CommandResult result = ssh.execute(server,
                Command.of("for i in 1 2 3 4 5 6 7 8; do echo err$i >&2; done; false"), OutputListener.IGNORE);

        assertThat(result.succeeded()).isFalse();
        assertThat(result.stderrTail()).containsExactly("err4", "err5", "err6", "err7", "err8");
    }

    @Test
    void capturesTheWholeStdoutWhenAsked() throws Exception {
        CommandResult result = ssh.execute(server, Command.of("printf 'a\\nb\\n'; printf 'ü'").capturing(),
                OutputListener.IGNORE);

        assertThat(result.stdout()).isEqualTo("a\nb\nü");
    }

    @Test
    void writesStdinThenEndOfFile() throws Exception {
        byte[] input = "hello\nworld\n".getBytes(StandardCharsets.UTF_8);
        Command cat = new Command("cat; echo done", Map.of(), input, false, null, true);

        CommandResult result = ssh.execute(server, cat, OutputListener.IGNORE);

        assertThat(result.stdout()).isEqualTo("hello\nworld\ndone\n");
    }

    @Test
    void aCommandReadingStdinWithoutInputSeesEndOfFile() throws Exception {
        CommandResult result = ssh.execute(server, Command.of("cat; echo finished").capturing(), OutputListener.IGNORE);

        assertThat(result.stdout()).isEqualTo("finished\n");
    }

    @Test
    void exportsTheEnvironment() throws Exception {
        Command env = new Command("echo \"$GREETING|$ODD\"", Map.of("GREETING", "hi there", "ODD", "it's $x"),
                null, false, null, true);

        assertThat(ssh.execute(server, env, OutputListener.IGNORE).stdout()).isEqualTo("hi there|it's $x\n");
    }

    /** The test host runs commands without a real terminal, so this shows only that a pty request is harmless. */
    @Test
    void runsWithAPseudoTerminalRequested() throws Exception {
        Command withPty = new Command("echo ok", Map.of(), null, true, null, true);

        CommandResult result = ssh.execute(server, withPty, OutputListener.IGNORE);

        assertThat(result.exitStatus()).isZero();
        assertThat(result.stdout().trim()).isEqualTo("ok");
    }

    @Test
    void aSilentCommandOutlivesManyKeepaliveRounds() throws Exception {
        // Keepalives every 0.2 s, the connection given up after two unanswered: a host that did not answer, or an
        // idle timeout, would end this two-second silence with a lost connection.
        SshSettings eager = Fixtures.forFleet(fleet, home)
                .set("keepalive_interval", "0.2").set("keepalive_count_max", 2).settings();
        try (SshTransport watched = new SshTransport(eager, EventSink.NONE, PassphrasePrompt.NONE)) {
            CommandResult result = watched.execute(server, Command.of("sleep 2; echo awake").capturing(),
                    OutputListener.IGNORE);

            assertThat(result.stdout()).isEqualTo("awake\n");
        }
    }

    /** Collects lines per stream. */
    static final class Lines implements OutputListener {
        final List<String[]> all = new CopyOnWriteArrayList<>();

        @Override
        public void line(Server server, Stream stream, String line) {
            all.add(new String[] {stream.name(), line});
        }

        List<String> of(Stream stream) {
            return all.stream().filter(l -> l[0].equals(stream.name())).map(l -> l[1]).toList();
        }
    }
}
