package dev.capstan.transport.local;

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
    void aTimeoutEndsTheProcessTreeAndFails() {
        long started = System.nanoTime();
        assertThatThrownBy(() -> transport.execute(here, Command.of("sleep 30; echo late").withTimeout(Duration.ofMillis(300)),
                (s, st, l) -> { }))
                .isInstanceOf(TransportException.class)
                .hasMessageContaining("timed out after 300 ms")
                .satisfies(e -> assertThat(((TransportException) e).reason()).isEqualTo(TransportException.Reason.COMMAND_TIMEOUT));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(20));
    }

    @Test
    void interruptEndsTheProcess(@TempDir Path dir) throws Exception {
        Path pidFile = dir.resolve("pid");
        Thread runner = Thread.ofVirtual().start(() -> {
            try {
                transport.execute(here, Command.of("echo $$ > " + pidFile + "; exec sleep 30"), (s, st, l) -> { });
            } catch (InterruptedException expected) {
                // the interrupt is the point
            }
        });
        while (!Files.exists(pidFile) || Files.readString(pidFile).isBlank()) {
            Thread.sleep(10);
        }
        long pid = Long.parseLong(Files.readString(pidFile).strip());
        runner.interrupt();
        runner.join(Duration.ofSeconds(10));
        assertThat(runner.isAlive()).isFalse();
        // the kill is immediate; reaping the process may take the JDK a moment
        ProcessHandle.of(pid).ifPresent(h -> h.onExit().orTimeout(5, java.util.concurrent.TimeUnit.SECONDS).join());
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
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
