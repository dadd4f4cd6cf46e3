package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.capstan.Server;
import dev.capstan.event.Event;
import dev.capstan.event.EventSink;
import dev.capstan.testkit.ClientKey;
import dev.capstan.testkit.SshTestFleet;
import dev.capstan.testkit.SshTestHost;
import dev.capstan.transport.Command;
import dev.capstan.transport.CommandResult;
import dev.capstan.transport.OutputListener;
import dev.capstan.transport.TransportException;
import dev.capstan.transport.TransportException.Reason;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a user sees when a host cannot be reached, logged in to, or kept: one clear line, and never a hang. */
class FailureTest {

    private static SshTestFleet fleet;

    @TempDir
    Path home;

    @BeforeAll
    static void start() throws Exception {
        fleet = SshTestFleet.start(1);
    }

    @AfterAll
    static void stop() {
        fleet.close();
    }

    @Test
    void authenticationFailureNamesUserHostAndWhatWasOffered() throws Exception {
        ClientKey stranger = ClientKey.generate(home.resolve("stranger"));
        SshSettings settings = Fixtures.forFleet(fleet, home)
                .set("ssh_identity", stranger.privateKeyFile().toString()).settings();
        SshTestHost host = fleet.host(0);

        TransportException e = failure(settings, Fixtures.server(host), Command.of("true"));

        assertThat(e.reason()).isEqualTo(Reason.AUTH);
        assertThat(e.getMessage())
                .isEqualTo("authentication failed for " + host.user() + "@127.0.0.1:" + host.port()
                        + ": the server accepted none of publickey (" + stranger.privateKeyFile() + ")");
    }

    @Test
    void aClosedPortIsRefusedWithoutWaitingForTheTimeout() throws Exception {
        int port = closedPort();
        long started = System.nanoTime();

        TransportException e = failure(Fixtures.forFleet(fleet, home).settings(),
                Server.parse("127.0.0.1:" + port), Command.of("true"));

        assertThat(e.reason()).isEqualTo(Reason.REFUSED);
        assertThat(e.getMessage()).isEqualTo("cannot connect to 127.0.0.1:" + port
                + ": connection refused (is sshd running on port " + port + "?)");
        // Far below the 10 s connect timeout: a refusal is not waited out.
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void anUnknownHostNameIsReportedAsSuch() throws Exception {
        TransportException e = failure(Fixtures.forFleet(fleet, home).settings(),
                Server.parse("no-such-host.invalid"), Command.of("true"));

        assertThat(e.reason()).isEqualTo(Reason.UNKNOWN_HOST);
        assertThat(e.getMessage()).isEqualTo("cannot resolve host name no-such-host.invalid");
    }

    @Test
    void aServerThatNeverAnswersTimesOut() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            AtomicReference<Socket> accepted = new AtomicReference<>();
            Thread.ofVirtual().start(() -> {
                try {
                    accepted.set(silent.accept()); // accepts, then says nothing
                } catch (IOException e) {
                    // closed at the end of the test
                }
            });
            SshSettings settings = Fixtures.forFleet(fleet, home).set("connect_timeout", "0.5").settings();

            TransportException e = failure(settings, Server.parse("127.0.0.1:" + silent.getLocalPort()),
                    Command.of("true"));

            assertThat(e.reason()).isEqualTo(Reason.CONNECT_TIMEOUT);
            assertThat(e.getMessage()).isEqualTo("logging in to 127.0.0.1:" + silent.getLocalPort()
                    + " timed out after 500 ms (connect_timeout)");
        }
    }

    @Test
    void aHostThatTimedOutIsNotDialledAgainWithinConnectTimeout() throws Exception {
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread.ofVirtual().start(() -> {
                try {
                    while (true) {
                        silent.accept(); // accepts, then says nothing
                    }
                } catch (IOException e) {
                    // closed at the end of the test
                }
            });
            Server server = Server.parse("127.0.0.1:" + silent.getLocalPort());
            String timedOut = "logging in to 127.0.0.1:" + silent.getLocalPort() + " timed out after 2 s (connect_timeout)";
            // 2 s: the next command comes well within it, however loaded the machine
            try (SshTransport ssh = new SshTransport(Fixtures.forFleet(fleet, home).set("connect_timeout", "2").settings(),
                    EventSink.NONE, PassphrasePrompt.NONE)) {
                TransportException first = catchThrowableOfType(TransportException.class,
                        () -> ssh.execute(server, Command.of("true"), OutputListener.IGNORE));
                assertThat(first.getMessage()).isEqualTo(timedOut);

                // the next command (a rollback handler, say) is told at once, instead of waiting out the timeout again
                TransportException next = catchThrowableOfType(TransportException.class,
                        () -> ssh.execute(server, Command.of("true"), OutputListener.IGNORE));
                assertThat(next.reason()).isEqualTo(Reason.CONNECT_TIMEOUT);
                assertThat(next.getMessage()).startsWith(timedOut + ", ").matches(".*, (just now|1 s ago): not tried again within connect_timeout");

                Thread.sleep(2100); // once connect_timeout has passed, the host is dialled again
                TransportException later = catchThrowableOfType(TransportException.class,
                        () -> ssh.execute(server, Command.of("true"), OutputListener.IGNORE));
                assertThat(later.getMessage()).isEqualTo(timedOut);
            }
        }
    }

    @Test
    void aCommandThatOutlivesItsTimeoutIsStoppedOnTheHost() throws Exception {
        SshTestHost host = fleet.host(0);
        String sleep = "sleep 30.125";
        try (SshTransport ssh = new SshTransport(Fixtures.forFleet(fleet, home).settings(), EventSink.NONE,
                PassphrasePrompt.NONE)) {
            long started = System.nanoTime();

            Command limited = Command.of(sleep).withTimeout(Duration.ofSeconds(1));
            TransportException e = catchThrowableOfType(TransportException.class,
                    () -> ssh.execute(Fixtures.server(host), limited, OutputListener.IGNORE));

            assertThat(e.reason()).isEqualTo(Reason.COMMAND_TIMEOUT);
            assertThat(e.getMessage()).isEqualTo("`" + sleep + "` on 127.0.0.1:" + host.port()
                    + " did not finish within 1 s and was stopped");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
            awaitGone(sleep);
            // The connection survives a stopped command.
            assertThat(ssh.execute(Fixtures.server(host), Command.of("true"), OutputListener.IGNORE).succeeded())
                    .isTrue();
        }
    }

    /**
     * OpenSSH refuses to signal a command of a root login: the command goes on, and capstan must not say it stopped
     * it, neither on a timeout nor when interrupted.
     */
    @Test
    void aCommandTheServerRefusesToSignalIsNotReportedAsStopped() throws Exception {
        try (SshTestFleet root = SshTestFleet.start(1, SshTestHost.Options.defaults().withRefusedSignals())) {
            Server server = Fixtures.server(root.host(0));
            Fixtures.Events events = new Fixtures.Events();
            try (SshTransport ssh = new SshTransport(Fixtures.forFleet(root, home).settings(), events,
                    PassphrasePrompt.NONE)) {
                String timedOut = "sleep 30.375";
                TransportException e = catchThrowableOfType(TransportException.class, () -> ssh.execute(server,
                        Command.of(timedOut).withTimeout(Duration.ofMillis(500)), OutputListener.IGNORE));

                assertThat(e.reason()).isEqualTo(Reason.COMMAND_TIMEOUT);
                assertThat(e.getMessage()).isEqualTo("`" + timedOut + "` on " + server.label() + " did not finish within"
                        + " 500 ms; the server refused the signal to stop it (as OpenSSH does for a root or forced-command"
                        + " login), so it may still be running on " + server.label());
                assertThat(process(timedOut)).as("the command the server would not stop").isPresent();

                String interrupted = "sleep 30.625";
                AtomicReference<Thread> runner = new AtomicReference<>();
                CompletableFuture<Throwable> ended = CompletableFuture.supplyAsync(() -> {
                    runner.set(Thread.currentThread());
                    try {
                        ssh.execute(server, Command.of(interrupted), OutputListener.IGNORE);
                        return null;
                    } catch (InterruptedException | RuntimeException failure) {
                        return failure;
                    }
                });
                awaitRunning(interrupted);
                runner.get().interrupt();

                assertThat(ended.get(20, TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
                assertThat(events.logs(Event.Level.WARN)).containsExactly("`" + interrupted + "` was stopped here, but"
                        + " the server refused the signal to stop it (as OpenSSH does for a root or forced-command login), so"
                        + " it may still be running on " + server.label());
                assertThat(process(interrupted)).isPresent();

                // on a pty the command is taken to end with its terminal's hang-up (this host does not hang up)
                String onPty = "sleep 30.875";
                TransportException ptyTimeout = catchThrowableOfType(TransportException.class, () -> ssh.execute(server,
                        new Command(onPty, Map.of(), null, true, Duration.ofMillis(500), false), OutputListener.IGNORE));
                assertThat(ptyTimeout.getMessage()).endsWith("did not finish within 500 ms and was stopped");
            }
        }
        awaitGone("sleep 30.375"); // the host ended them when it stopped
        awaitGone("sleep 30.625");
        awaitGone("sleep 30.875");
    }

    @Test
    void commandTimeoutVariableAppliesWhenTheCommandHasNone() throws Exception {
        SshSettings settings = Fixtures.forFleet(fleet, home).set("command_timeout", "0.5").settings();

        TransportException e = failure(settings, Fixtures.server(fleet.host(0)), Command.of("sleep 30.25"));

        assertThat(e.reason()).isEqualTo(Reason.COMMAND_TIMEOUT);
        assertThat(e.getMessage()).endsWith("did not finish within 500 ms and was stopped");
        awaitGone("sleep 30.25");
    }

    @Test
    void aConnectionLostMidCommandIsAFailureNotAHang() throws Exception {
        SshTestHost host = fleet.host(0);
        try (SshTransport ssh = new SshTransport(Fixtures.forFleet(fleet, home).settings(), EventSink.NONE,
                PassphrasePrompt.NONE)) {
            CompletableFuture<CommandResult> running = CompletableFuture.supplyAsync(() -> {
                try {
                    return ssh.execute(Fixtures.server(host), Command.of("sleep 30.5"), OutputListener.IGNORE);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            awaitRunning("sleep 30.5");

            host.dropConnections();

            ExecutionException e = catchThrowableOfType(ExecutionException.class,
                    () -> running.get(20, TimeUnit.SECONDS));
            TransportException lost = (TransportException) e.getCause();
            assertThat(lost.reason()).isEqualTo(Reason.CONNECTION_LOST);
            assertThat(lost.getMessage()).isEqualTo("connection to 127.0.0.1:" + host.port()
                    + " lost while running `sleep 30.5`");
        }
    }

    @Test
    void aHostThatStopsAnsweringMidCommandIsFoundLostByKeepalives() throws Exception {
        SshTestHost host = fleet.host(0);
        String sleep = "sleep 30.875";
        try (DelayProxy proxy = DelayProxy.start(host.port(), Duration.ZERO)) {
            Path knownHosts = Files.writeString(home.resolve("known_hosts-hung"), "[127.0.0.1]:" + proxy.port()
                    + host.knownHostsLine().substring(host.knownHostsLine().indexOf(' ')) + "\n");
            SshSettings settings = Fixtures.forFleet(fleet, home).set("ssh_known_hosts", knownHosts.toString())
                    .set("keepalive_interval", "0.2").set("keepalive_count_max", 2).settings();
            Server hung = Server.parse(host.user() + "@127.0.0.1:" + proxy.port());
            try (SshTransport ssh = new SshTransport(settings, EventSink.NONE, PassphrasePrompt.NONE)) {
                CompletableFuture<CommandResult> running = CompletableFuture.supplyAsync(() -> {
                    try {
                        return ssh.execute(hung, Command.of(sleep), OutputListener.IGNORE);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                });
                awaitRunning(sleep);

                proxy.freeze(); // no FIN, no RST: only the keepalives can tell that nobody answers any more

                // bounded: without keepalives this would wait for the 30 s sleep, forever in fact (nothing arrives)
                ExecutionException e = catchThrowableOfType(ExecutionException.class, () -> running.get(20, TimeUnit.SECONDS));
                TransportException lost = (TransportException) e.getCause();
                assertThat(lost.reason()).isEqualTo(Reason.CONNECTION_LOST);
                assertThat(lost.getMessage()).isEqualTo("connection to 127.0.0.1:" + proxy.port() + " lost while running `"
                        + sleep + "`");
            }
        }
        awaitGone(sleep); // the proxy is closed: the host saw its connection end and stopped the command
    }

    @Test
    void interruptingTheCallerEndsTheRemoteCommand() throws Exception {
        SshTestHost host = fleet.host(0);
        try (SshTransport ssh = new SshTransport(Fixtures.forFleet(fleet, home).settings(), EventSink.NONE,
                PassphrasePrompt.NONE)) {
            AtomicReference<Throwable> outcome = new AtomicReference<>();
            Thread caller = Thread.ofVirtual().start(() -> {
                try {
                    ssh.execute(Fixtures.server(host), Command.of("sleep 30.75"), OutputListener.IGNORE);
                } catch (Throwable t) {
                    outcome.set(t);
                }
            });
            awaitRunning("sleep 30.75");

            caller.interrupt();
            caller.join(Duration.ofSeconds(20));

            assertThat(caller.isAlive()).isFalse();
            assertThat(outcome.get()).isInstanceOf(InterruptedException.class);
            awaitGone("sleep 30.75");
        }
    }

    private static TransportException failure(SshSettings settings, Server server, Command command) {
        try (SshTransport ssh = new SshTransport(settings, EventSink.NONE, PassphrasePrompt.NONE)) {
            TransportException e = catchThrowableOfType(TransportException.class,
                    () -> ssh.execute(server, command, OutputListener.IGNORE));
            assertThat(e).as("running on " + server).isNotNull();
            assertThat(e.server()).isEqualTo(server);
            return e;
        }
    }

    private static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** The test hosts run commands as local processes, so the process table shows what runs "remotely". */
    static Optional<ProcessHandle> process(String commandLine) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.endsWith(commandLine)).orElse(false))
                .findFirst();
    }

    static void awaitRunning(String commandLine) throws InterruptedException {
        for (int i = 0; i < 500 && process(commandLine).isEmpty(); i++) {
            Thread.sleep(20);
        }
        assertThat(process(commandLine)).as("%s running", commandLine).isPresent();
    }

    static void awaitGone(String commandLine) throws InterruptedException {
        for (int i = 0; i < 250 && process(commandLine).isPresent(); i++) {
            Thread.sleep(20);
        }
        assertThat(process(commandLine)).as("%s still running", commandLine).isEmpty();
    }
}
