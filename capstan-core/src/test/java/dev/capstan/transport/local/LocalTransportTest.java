package dev.capstan.transport.local;

import static dev.capstan.testing.LocalProcesses.awaitEnded;
import static dev.capstan.testing.LocalProcesses.pid;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capstan.Server;
import dev.capstan.transport.Command;
import dev.capstan.transport.CommandResult;
import dev.capstan.transport.Stream;
import dev.capstan.transport.TransportException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalTransportTest {
    private final LocalTransport transport = new LocalTransport();
    private final Server here = Server.parse("localhost").withProperty("local", true);

    @Test
    void runsARealProcessAndDeliversWholeLinesPerStream() throws Exception {
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        CommandResult result = transport.execute(here, Command.of("echo out; echo err >&2; printf 'no newline'; exit 4"),
                (server, stream, line) -> lines.add(stream + ":" + line));
        assertThat(result.exitStatus()).isEqualTo(4);
        assertThat(lines).containsExactlyInAnyOrder("STDOUT:out", "STDERR:err", "STDOUT:no newline");
        assertThat(result.stderrTail()).containsExactly("err");
    }

    @Test
    void keepsTheLastStderrLinesOnly() throws Exception {
        CommandResult result = transport.execute(here, Command.of("for i in 1 2 3 4 5 6 7; do echo e$i >&2; done"), (s, st, l) -> { });
        assertThat(result.stderrTail()).containsExactly("e3", "e4", "e5", "e6", "e7");
    }

    @Test
    void environmentStdinAndCapture() throws Exception {
        Command command = new Command("cat; echo \"$A\"", Map.of("A", "x y'z"), "input\n".getBytes(StandardCharsets.UTF_8),
                false, null, true);
        CommandResult result = transport.execute(here, command, (s, st, l) -> { });
        assertThat(result.stdout()).isEqualTo("input\nx y'z\n");
    }

    @Test
    void aTimeoutEndsTheProcessTreeAndFails(@TempDir Path dir) throws Exception {
        Path childPid = dir.resolve("child.pid");
        // the shell waits for a child of its own: the timeout must end both
        assertThatThrownBy(() -> transport.execute(here, Command.of("sleep 30 & echo $! > " + childPid + "; wait; echo late")
                        .withTimeout(Duration.ofSeconds(1)), (s, st, l) -> { }))
                .isInstanceOf(TransportException.class)
                .hasMessage("`sleep 30 & echo $! > " + childPid + "; wait; echo late` on localhost timed out after 1 s")
                .satisfies(e -> assertThat(((TransportException) e).reason()).isEqualTo(TransportException.Reason.COMMAND_TIMEOUT));
        awaitEnded(pid(childPid));
    }

    @Test
    void interruptEndsTheProcessTree(@TempDir Path dir) throws Exception {
        Path pidFile = dir.resolve("pid");
        Path childPid = dir.resolve("child.pid");
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        Thread runner = Thread.ofVirtual().start(() -> {
            try {
                transport.execute(here, Command.of("echo $$ > " + pidFile + "; sleep 30 & echo $! > " + childPid + "; wait"),
                        (s, st, l) -> { });
                outcome.set(new AssertionError("the command finished"));
            } catch (Throwable t) {
                outcome.set(t);
            }
        });
        long shell = pid(pidFile);
        long child = pid(childPid);
        runner.interrupt();
        runner.join(Duration.ofSeconds(10));
        assertThat(runner.isAlive()).isFalse();
        assertThat(outcome.get()).isInstanceOf(InterruptedException.class);
        awaitEnded(shell);
        awaitEnded(child);
    }




    @Test
    void uploadsDirectoriesRecursively(@TempDir Path dir) throws Exception {
        Path src = Files.createDirectories(dir.resolve("src/sub"));
        Files.writeString(src.resolve("a.txt"), "a");
        transport.upload(here, dir.resolve("src"), dir.resolve("dst").toString(), null, (s, p, d, t) -> { });
        assertThat(dir.resolve("dst/sub/a.txt")).hasContent("a");
    }

    @Test
    void modeBitsMapToPermissions() {
        assertThat(LocalTransport.permissions(0755).toString()).contains("OWNER_EXECUTE", "GROUP_READ", "OTHERS_EXECUTE")
                .doesNotContain("GROUP_WRITE");
        assertThat(LocalTransport.permissions(0600)).hasSize(2);
    }

    @Test
    void streamEnumHasBothStreams() {
        assertThat(Stream.values()).containsExactly(Stream.STDOUT, Stream.STDERR);
    }
}
