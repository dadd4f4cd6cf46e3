package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capstan.Server;
import dev.capstan.event.EventSink;
import dev.capstan.testkit.SshTestFleet;
import dev.capstan.testkit.SshTestHost;
import dev.capstan.transport.Command;
import dev.capstan.transport.OutputListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * A measurement, not a test (run with {@code -Dcapstan.measure=true}): milliseconds per sequential command on its
 * own channel and on a persistent shell, for a few latencies of a {@link DelayProxy} in front of a test host. Both
 * cost about one round trip: an exec channel is opened ahead while the previous command runs (which
 * {@code ConnectionSharingTest} proves by the order of events at the host), and a shell is reused.
 */
class PersistentShellLatencyTest {

    @TempDir
    static Path home;

    private static SshTestFleet fleet;
    private static SshTestHost host;

    @BeforeAll
    static void start() throws Exception {
        fleet = SshTestFleet.start(1);
        host = fleet.host(0);
    }

    @AfterAll
    static void stop() {
        fleet.close();
    }

    @Test
    @EnabledIfSystemProperty(named = "capstan.measure", matches = "true")
    void measure() throws Exception {
        int commands = Integer.getInteger("capstan.measure.commands", 20);
        StringBuilder table = new StringBuilder(String.format(Locale.ROOT,
                "%nms per sequential `true` (%d commands, one connection, after warm-up)%n"
                        + "one-way latency | own channel | persistent shell | ratio%n", commands));
        for (int latency : new int[] {0, 10, 25}) {
            double normal;
            double persistent;
            if (latency == 0) {
                normal = millisPerCommand(host.port(), false, commands);
                persistent = millisPerCommand(host.port(), true, commands);
            } else {
                try (DelayProxy proxy = DelayProxy.start(host.port(), Duration.ofMillis(latency))) {
                    normal = millisPerCommand(proxy.port(), false, commands);
                    persistent = millisPerCommand(proxy.port(), true, commands);
                }
            }
            table.append(String.format(Locale.ROOT, "%12d ms | %11.2f | %16.2f | %.2f%n", latency, normal, persistent,
                    persistent / normal));
        }
        System.out.println(table);
    }

    /** Milliseconds per {@code true} over one warm connection to 127.0.0.1:{@code port}, best of three rounds. */
    private static double millisPerCommand(int port, boolean persistentShell, int commands) throws Exception {
        Path knownHosts = Files.writeString(home.resolve("known_hosts-" + port),
                "[127.0.0.1]:" + port + host.knownHostsLine().substring(host.knownHostsLine().indexOf(' ')) + "\n");
        SshSettings settings = Fixtures.forFleet(fleet, home)
                .set("ssh_known_hosts", knownHosts.toString())
                .set("ssh_persistent_shell", persistentShell)
                .settings();
        Server server = Server.parse(host.user() + "@127.0.0.1:" + port);
        try (SshTransport ssh = new SshTransport(settings, EventSink.NONE, PassphrasePrompt.NONE)) {
            for (int i = 0; i < 3; i++) {
                ssh.execute(server, Command.of("true"), OutputListener.IGNORE); // connect, open the shell, warm up
            }
            long best = Long.MAX_VALUE;
            for (int round = 0; round < 3; round++) {
                long started = System.nanoTime();
                for (int i = 0; i < commands; i++) {
                    assertThat(ssh.execute(server, Command.of("true"), OutputListener.IGNORE).succeeded()).isTrue();
                }
                best = Math.min(best, System.nanoTime() - started);
            }
            return best / 1e6 / commands;
        }
    }
}
