package dev.capstan.testkit.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.apache.sshd.client.session.ClientSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fleet as a process: files in --dir, READY on stdout, gone when stdin closes. */
class FleetMainTest {

    @Test
    void writesTheFilesPrintsReadyAndStopsWhenStdinCloses(@TempDir Path dir) throws Exception {
        PipedOutputStream stdin = new PipedOutputStream();
        PipedInputStream in = new PipedInputStream(stdin);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        CompletableFuture<Integer> exit = CompletableFuture.supplyAsync(() -> FleetMain.run(
                new String[] {"--hosts", "3", "--latency", "1ms", "--dir", dir.toString()}, in,
                new PrintStream(out, true), new PrintStream(err, true), false));
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!out.toString(StandardCharsets.UTF_8).contains("READY") && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        String printed = out.toString(StandardCharsets.UTF_8);
        assertThat(printed).endsWith("READY 3 hosts\n");
        List<String> specs = Files.readAllLines(dir.resolve("hosts.txt"));
        assertThat(specs).hasSize(3);
        assertThat(printed).contains("host1 " + specs.get(0) + "\n");
        assertThat(Files.readAllLines(dir.resolve("known_hosts"))).hasSize(3);
        String spec = specs.get(2);
        int port = Integer.parseInt(spec.substring(spec.lastIndexOf(':') + 1));
        try (FleetClient client = new FleetClient(dir.resolve("known_hosts"), dir.resolve("id_ed25519"));
                ClientSession session = client.login("127.0.0.1", port)) {
            assertThat(FleetClient.exec(session, "hostname").out()).isEqualTo("host3\n");
        }
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("3 hosts").contains("latency 1 ms");
        stdin.close();
        assertThat(exit.get(30, java.util.concurrent.TimeUnit.SECONDS)).isZero();
        assertThat(Files.exists(dir.resolve("known_hosts"))).isTrue(); // a given --dir keeps its files
    }

    @Test
    void badArgumentsExitWith2AndATakenPortWith1() throws IOException {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream errs = new PrintStream(err, true);
        PrintStream outs = new PrintStream(new ByteArrayOutputStream(), true);
        assertThat(FleetMain.run(new String[] {"--hosts", "zero"}, System.in, outs, errs, false)).isEqualTo(2);
        assertThat(FleetMain.run(new String[] {"--latency", "soon"}, System.in, outs, errs, false)).isEqualTo(2);
        assertThat(FleetMain.run(new String[] {"--frobnicate"}, System.in, outs, errs, false)).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("not a number: \"zero\"").contains("usage:");
        try (ServerSocket taken = new ServerSocket(0)) {
            String[] args = {"--base-port", String.valueOf(taken.getLocalPort())};
            assertThat(FleetMain.run(args, System.in, outs, errs, false)).isEqualTo(1);
        }
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("cannot start: cannot listen on 127.0.0.1:");
    }

    @Test
    void durationsReadLikeHumansWriteThem() throws Exception {
        assertThat(FleetMain.duration("25ms")).isEqualTo(Duration.ofMillis(25));
        assertThat(FleetMain.duration("25")).isEqualTo(Duration.ofMillis(25));
        assertThat(FleetMain.duration("0.1s")).isEqualTo(Duration.ofMillis(100));
        assertThat(FleetMain.duration("250us")).isEqualTo(Duration.ofNanos(250_000));
        assertThat(FleetMain.duration("0")).isEqualTo(Duration.ZERO);
    }
}
