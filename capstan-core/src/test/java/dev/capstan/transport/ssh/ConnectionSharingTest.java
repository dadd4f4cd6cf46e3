package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.capstan.Server;
import dev.capstan.event.Event;
import dev.capstan.event.EventSink;
import dev.capstan.testkit.ServedChannel;
import dev.capstan.testkit.SshTestFleet;
import dev.capstan.testkit.SshTestHost;
import dev.capstan.transport.Command;
import dev.capstan.transport.CommandResult;
import dev.capstan.transport.OutputListener;
import dev.capstan.transport.TransportException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One connection per server shared by every thread, channels multiplexed over it within {@code max_sessions}:
 * everything counted at the server.
 */
class ConnectionSharingTest {

    @TempDir
    Path home;

    @Test
    void twentyConcurrentCommandsShareOneConnection() throws Exception {
        try (SshTestFleet fleet = SshTestFleet.start(1);
                SshTransport ssh = transport(fleet, 10, 1)) {
            SshTestHost host = fleet.host(0);
            Server server = Fixtures.server(host);
            String barrier = "barrier-" + UUID.randomUUID();

            // The first ten wait on the host until ten are there: ten channels at once over the one connection.
            List<CommandResult> results = Concurrently.run(20,
                    i -> ssh.execute(server, Command.of(Concurrently.barrier(barrier, i, 10)), OutputListener.IGNORE));

            assertThat(results).allMatch(CommandResult::succeeded);
            assertThat(host.connectionsAccepted()).isEqualTo(1);
            assertThat(host.peakChannels()).isEqualTo(10);
            assertThat(host.commandsRun()).hasSize(20);
        }
    }

    @Test
    void neverOpensMoreChannelsThanMaxSessions() throws Exception {
        try (SshTestFleet fleet = SshTestFleet.start(1);
                SshTransport ssh = transport(fleet, 4, 1)) {
            SshTestHost host = fleet.host(0);
            Server server = Fixtures.server(host);
            String barrier = "barrier-" + UUID.randomUUID();

            List<CommandResult> results = Concurrently.run(12,
                    i -> ssh.execute(server, Command.of(Concurrently.barrier(barrier, i, 4)), OutputListener.IGNORE));

            assertThat(results).allMatch(CommandResult::succeeded);
            assertThat(host.peakChannels()).isEqualTo(4);
            assertThat(host.connectionsAccepted()).isEqualTo(1);
        }
    }

    @Test
    void retriesChannelsTheServerRefusesBelowOurLimit() throws Exception {
        // Like OpenSSH with MaxSessions 3 while we allow ourselves 10.
        Fixtures.Events events = new Fixtures.Events();
        try (SshTestFleet fleet = SshTestFleet.start(1, SshTestHost.Options.defaults().withMaxChannels(3));
                SshTransport ssh = transport(fleet, 10, 1, events)) {
            SshTestHost host = fleet.host(0);
            Server server = Fixtures.server(host);
            String barrier = "barrier-" + UUID.randomUUID();

            List<CommandResult> results = Concurrently.run(12,
                    i -> ssh.execute(server, Command.of(Concurrently.barrier(barrier, i, 3)), OutputListener.IGNORE));

            assertThat(results).allMatch(CommandResult::succeeded);
            assertThat(host.commandsRun()).hasSize(12);
            assertThat(host.peakChannels()).isEqualTo(3);
            assertThat(host.connectionsAccepted()).isEqualTo(1);
            assertThat(events.logs(Event.Level.DEBUG)).anyMatch(m -> m.contains("refused a channel"));
        }
    }

    @Test
    void opensASecondConnectionOnlyWhenTheFirstHasNoFreeChannel() throws Exception {
        try (SshTestFleet fleet = SshTestFleet.start(1);
                SshTransport ssh = transport(fleet, 2, 2)) {
            SshTestHost host = fleet.host(0);
            Server server = Fixtures.server(host);

            ssh.execute(server, Command.of("true"), OutputListener.IGNORE);
            ssh.execute(server, Command.of("true"), OutputListener.IGNORE);
            assertThat(host.connectionsAccepted()).isEqualTo(1);

            String barrier = "barrier-" + UUID.randomUUID();
            List<CommandResult> results = Concurrently.run(4,
                    i -> ssh.execute(server, Command.of(Concurrently.barrier(barrier, i, 4)), OutputListener.IGNORE));

            assertThat(results).allMatch(CommandResult::succeeded);
            assertThat(host.connectionsAccepted()).isEqualTo(2);
            assertThat(host.peakChannels()).isEqualTo(2);
            assertThat(host.peakChannelsTotal()).isEqualTo(4);
        }
    }

    @Test
    void eachHostOfAFleetGetsOneConnection() throws Exception {
        try (SshTestFleet fleet = SshTestFleet.start(4);
                SshTransport ssh = transport(fleet, 10, 2)) {
            List<CommandResult> results = Concurrently.run(4 * 5,
                    i -> ssh.execute(Fixtures.server(fleet.host(i % 4)), Command.of("true"), OutputListener.IGNORE));

            assertThat(results).allMatch(CommandResult::succeeded);
            assertThat(fleet.hosts()).allSatisfy(h -> assertThat(h.connectionsAccepted()).isEqualTo(1));
        }
    }

    @Test
    void theNextCommandsChannelIsOpenedWhileThePreviousCommandRuns() throws Exception {
        try (SshTestFleet fleet = SshTestFleet.start(1);
                SshTransport ssh = transport(fleet, 10, 1);
                ExecutorService caller = Executors.newVirtualThreadPerTaskExecutor()) {
            SshTestHost host = fleet.host(0);
            Server server = Fixtures.server(host);

            for (int i = 0; i < 4; i++) {
                // Each command waits on the host until the test has seen a channel opened ahead (none ran on it).
                Path go = host.root().resolve("go-" + i);
                Future<CommandResult> running = startWaitingFor(caller, ssh, server, go, "echo " + i);
                awaitChannelOpenedAhead(host, i + 1);
                Files.createFile(go);
                assertThat(running.get(30, TimeUnit.SECONDS).stdout()).isEqualTo(i + "\n");
            }

            // So a sequential command waits one round trip (its command), not two (channel open, then command).
            List<ServedChannel> ran = host.channelsServed().stream().filter(c -> c.command() != null).toList();
            assertThat(ran).hasSize(4);
            for (int k = 1; k < ran.size(); k++) {
                assertThat(ran.get(k).opened())
                        .as("the channel of command %d opened before command %d's channel closed", k + 1, k)
                        .isLessThan(ran.get(k - 1).closed());
            }
            assertThat(host.connectionsAccepted()).isEqualTo(1);
            assertThat(host.commandsRun()).hasSize(4);
        }
    }

    @Test
    void aChannelOpenedAheadIsClosedOnTheServerWhenItsSlotIsWanted() throws Exception {
        try (SshTestFleet fleet = SshTestFleet.start(1);
                SshTransport ssh = transport(fleet, 2, 1);
                ExecutorService caller = Executors.newVirtualThreadPerTaskExecutor()) {
            SshTestHost host = fleet.host(0);
            Server server = Fixtures.server(host);
            Path go = host.root().resolve("go");
            Future<CommandResult> running = startWaitingFor(caller, ssh, server, go, "true");
            awaitChannelOpenedAhead(host, 1); // both slots taken: the command's and the one opened ahead

            ssh.put(server, "x".getBytes(), "file.txt", null); // wants a slot: the channel opened ahead gives its up
            Files.createFile(go);
            assertThat(running.get(30, TimeUnit.SECONDS).succeeded()).isTrue();

            List<ServedChannel> served = host.channelsServed();
            ServedChannel ahead = served.get(1);
            assertThat(ahead.command()).isNull();
            // Closed on the server, not just forgotten by the client: the server would count it against MaxSessions.
            assertThat(ahead.closed()).isPositive().isLessThan(served.get(2).opened());
            assertThat(host.peakChannels()).isEqualTo(2);
        }
    }

    @Test
    void aServerThatAllowsOneChannelAtATimeStillRunsEveryCommandOnce() throws Exception {
        try (SshTestFleet fleet = SshTestFleet.start(1, SshTestHost.Options.defaults().withMaxChannels(1));
                SshTransport ssh = transport(fleet, 10, 1)) {
            SshTestHost host = fleet.host(0);
            Server server = Fixtures.server(host);

            echoOneAfterAnother(ssh, server, 5);

            // Channels opened ahead were refused, which costs nothing: every command ran, once, on one connection.
            assertThat(host.commandsRun()).hasSize(5);
            assertThat(host.peakChannels()).isEqualTo(1);
            assertThat(host.connectionsAccepted()).isEqualTo(1);
        }
    }

    @Test
    void reconnectsForTheNextCommandAfterTheConnectionWasLost() throws Exception {
        try (SshTestFleet fleet = SshTestFleet.start(1);
                SshTransport ssh = transport(fleet, 10, 1)) {
            SshTestHost host = fleet.host(0);
            Server server = Fixtures.server(host);
            ssh.execute(server, Command.of("true"), OutputListener.IGNORE);

            host.dropConnections();
            CommandResult result;
            try {
                result = ssh.execute(server, Command.of("echo again").capturing(), OutputListener.IGNORE);
            } catch (TransportException e) {
                // Sent on the channel opened ahead before this client saw the connection go: such a command cannot
                // be known not to have run, so it fails as lost rather than being sent again. The next one reconnects.
                assertThat(e.reason()).isEqualTo(TransportException.Reason.CONNECTION_LOST);
                result = ssh.execute(server, Command.of("echo again").capturing(), OutputListener.IGNORE);
            }

            assertThat(result.stdout()).isEqualTo("again\n");
            assertThat(host.connectionsAccepted()).isEqualTo(2);
            assertThat(host.commandsRun()).filteredOn(c -> c.contains("again")).hasSize(1);
        }
    }

    @Test
    void closeEndsEveryConnectionOnceAndRefusesFurtherWork() throws Exception {
        try (SshTestFleet fleet = SshTestFleet.start(2)) {
            SshTransport ssh = transport(fleet, 10, 2);
            for (SshTestHost host : fleet.hosts()) {
                ssh.execute(Fixtures.server(host), Command.of("true"), OutputListener.IGNORE);
            }

            ssh.close();
            ssh.close();

            for (int i = 0; i < 250 && fleet.hosts().stream().anyMatch(h -> h.openConnections() > 0); i++) {
                Thread.sleep(20);
            }
            assertThat(fleet.hosts()).allSatisfy(h -> assertThat(h.openConnections()).isZero());
            Server server = Fixtures.server(fleet.host(0));
            TransportException e = catchThrowableOfType(TransportException.class,
                    () -> ssh.execute(server, Command.of("true"), OutputListener.IGNORE));
            assertThat(e.getMessage()).isEqualTo("the SSH transport is closed");
        }
    }

    @Test
    void sftpChannelsCountAgainstMaxSessions() throws Exception {
        try (SshTestFleet fleet = SshTestFleet.start(1);
                SshTransport ssh = transport(fleet, 2, 1)) {
            SshTestHost host = fleet.host(0);
            Server server = Fixtures.server(host);

            Concurrently.run(8, i -> {
                ssh.put(server, ("file " + i).getBytes(), "put-" + i + ".txt", null);
                return ssh.execute(server, Command.of("cat put-" + i + ".txt"), OutputListener.IGNORE);
            });

            assertThat(host.peakChannels()).isLessThanOrEqualTo(2);
            assertThat(host.connectionsAccepted()).isEqualTo(1);
        }
    }

    /** Starts a command that waits on the host until {@code go} exists, then runs {@code then}; output captured. */
    private static Future<CommandResult> startWaitingFor(ExecutorService caller, SshTransport ssh, Server server,
            Path go, String then) {
        Command command = Command.of("while [ ! -e " + go + " ]; do sleep 0.01; done; " + then).capturing();
        return caller.submit(() -> ssh.execute(server, command, OutputListener.IGNORE));
    }

    /** Waits until the host has started its {@code commands}th command and has a channel open that ran none. */
    private static void awaitChannelOpenedAhead(SshTestHost host, int commands) throws InterruptedException {
        for (int i = 0; i < 1500; i++) {
            if (host.commandsRun().size() >= commands
                    && host.channelsServed().stream().anyMatch(c -> c.command() == null && c.closed() == 0)) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no channel was opened ahead within 15 s: " + host.channelsServed());
    }

    /** Runs {@code echo 0}, {@code echo 1}, ... one after another, each checked for its output. */
    private static void echoOneAfterAnother(SshTransport ssh, Server server, int count) throws InterruptedException {
        for (int i = 0; i < count; i++) {
            CommandResult result = ssh.execute(server, Command.of("echo " + i).capturing(), OutputListener.IGNORE);
            assertThat(result.stdout()).isEqualTo(i + "\n");
        }
    }

    private SshTransport transport(SshTestFleet fleet, int maxSessions, int maxConnectionsPerHost) {
        return transport(fleet, maxSessions, maxConnectionsPerHost, EventSink.NONE);
    }

    private SshTransport transport(SshTestFleet fleet, int maxSessions, int maxConnectionsPerHost, EventSink events) {
        SshSettings settings = Fixtures.forFleet(fleet, home)
                .set("max_sessions", maxSessions)
                .set("max_connections_per_host", maxConnectionsPerHost)
                .set("command_timeout", 30)
                .settings();
        return new SshTransport(settings, events, PassphrasePrompt.NONE);
    }
}
