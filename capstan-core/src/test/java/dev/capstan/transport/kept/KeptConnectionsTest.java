package dev.capstan.transport.kept;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.capstan.Server;
import dev.capstan.event.Event;
import dev.capstan.event.EventSink;
import dev.capstan.testkit.SshTestFleet;
import dev.capstan.testkit.SshTestHost;
import dev.capstan.transport.Command;
import dev.capstan.transport.CommandResult;
import dev.capstan.transport.OutputListener;
import dev.capstan.transport.Prompt;
import dev.capstan.transport.Stream;
import dev.capstan.transport.TransportException;
import dev.capstan.transport.ssh.HeldConnections;
import dev.capstan.transport.ssh.PassphrasePrompt;
import dev.capstan.transport.ssh.SshSettings;
import dev.capstan.transport.ssh.SshTransport;
import java.io.DataOutputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connections kept between runs by a real keeper process (started by the transport, as a run starts it) against
 * embedded SSH hosts: what the hosts count shows that a second run logs in no more, and what the runs get shows that
 * nothing else changes.
 */
class KeptConnectionsTest {

    @TempDir
    Path home;

    private SshTestFleet fleet;
    private SshTestHost host;
    private Path sockets;

    @BeforeEach
    void start() throws Exception {
        fleet = SshTestFleet.start(1);
        host = fleet.host(0);
        sockets = home.resolve("kept");
    }

    /** What every run of a test reported; none of them may have connected by itself. */
    private final Events events = new Events();

    @AfterEach
    void stop() {
        try {
            Keepers.stop(sockets); // rather than outlive a test that failed half-way
        } catch (java.io.IOException e) {
            // a test's own directory that is not private: its runs started no keeper
        }
        fleet.close();
        assertThat(events.logs(Event.Level.WARN)).as("runs that connected by themselves")
                .noneMatch(warning -> warning.startsWith("not keeping connections"));
    }

    private KeptConnections kept(SshSettings settings) {
        return new KeptConnections(settings, events, PassphrasePrompt.NONE, sockets);
    }

    @Test
    void aSecondRunFindsTheConnectionLoggedIn() throws Exception {
        Server web = new Server(host.user(), host.hostAddress(), host.port(), Set.of("web"), Map.of("n", 1));
        Events first = new Events();
        try (KeptConnections run = new KeptConnections(settings(3), first, PassphrasePrompt.NONE, sockets)) {
            Lines lines = new Lines();
            CommandResult r = run.execute(web, Command.of("echo one"), lines);
            assertThat(r.exitStatus()).isZero();
            assertThat(r.server()).isSameAs(web);
            assertThat(lines.all).containsExactly("STDOUT one");
        }
        // the run's own server in the event, roles and all, once
        assertThat(first.all).filteredOn(e -> e instanceof Event.ConnectionOpened)
                .extracting(e -> ((Event.ConnectionOpened) e).server()).containsExactly(web);

        Events second = new Events();
        try (KeptConnections run = new KeptConnections(settings(3), second, PassphrasePrompt.NONE, sockets)) {
            Lines lines = new Lines();
            CommandResult r = run.execute(web, Command.of("echo two; echo warn >&2; exit 3").capturing(), lines);
            assertThat(r.exitStatus()).isEqualTo(3);
            assertThat(r.stdout()).isEqualTo("two\n");
            assertThat(r.stderrTail()).containsExactly("warn");
            assertThat(lines.all).containsExactlyInAnyOrder("STDOUT two", "STDERR warn");
        }
        assertThat(second.all).noneMatch(e -> e instanceof Event.ConnectionOpened);
        assertThat(host.connectionsAccepted()).isEqualTo(1);
        assertThat(host.publicKeyChecks()).isEqualTo(1);
        assertThat(host.commandsRun()).hasSize(2);
    }

    @Test
    void theKeeperClosesTheConnectionsOnceIdleForItsTime() throws Exception {
        try (KeptConnections run = kept(settings(1))) {
            run.execute(server(), Command.of("true"), OutputListener.IGNORE);
            assertThat(host.openConnections()).isEqualTo(1);
            Path socket = run.socket();
            assertThat(socket).exists();

            await(() -> !Files.exists(socket) && host.openConnections() == 0, "the keeper closing");
        }
        // and a later run starts a new one
        try (KeptConnections run = kept(settings(1))) {
            assertThat(run.execute(server(), Command.of("true"), OutputListener.IGNORE).exitStatus()).isZero();
        }
        assertThat(host.connectionsAccepted()).isEqualTo(2);
    }

    @Test
    void ctrlCStopsTheCommandThroughTheKeeper() throws Exception {
        String sleep = "sleep 30.125";
        try (KeptConnections run = kept(settings(3))) {
            AtomicReference<Throwable> outcome = new AtomicReference<>();
            Thread caller = Thread.ofVirtual().start(() -> {
                try {
                    run.execute(server(), Command.of(sleep), OutputListener.IGNORE);
                } catch (Throwable t) {
                    outcome.set(t);
                }
            });
            await(() -> process(sleep).isPresent(), sleep + " running");

            caller.interrupt();
            caller.join(Duration.ofSeconds(20));

            assertThat(caller.isAlive()).isFalse();
            assertThat(outcome.get()).isInstanceOf(InterruptedException.class);
            await(() -> process(sleep).isEmpty(), sleep + " stopped");
            // the connection stays for the next run
            assertThat(run.execute(server(), Command.of("true"), OutputListener.IGNORE).exitStatus()).isZero();
            assertThat(host.connectionsAccepted()).isEqualTo(1);
        }
    }

    @Test
    void failuresReadAsTheyDoWithoutAKeeper() throws Exception {
        Path empty = Files.createFile(home.resolve("empty_known_hosts"));
        SshSettings unknownKey = settings(3, Map.of("ssh_known_hosts", empty.toString()));
        TransportException direct;
        try (SshTransport ssh = new SshTransport(unknownKey, EventSink.NONE, PassphrasePrompt.NONE)) {
            direct = catchThrowableOfType(TransportException.class,
                    () -> ssh.execute(server(), Command.of("true"), OutputListener.IGNORE));
        }
        try (KeptConnections run = kept(unknownKey)) {
            TransportException kept = catchThrowableOfType(TransportException.class,
                    () -> run.execute(server(), Command.of("true"), OutputListener.IGNORE));

            assertThat(kept.reason()).isEqualTo(TransportException.Reason.HOST_KEY).isEqualTo(direct.reason());
            assertThat(kept.getMessage()).isEqualTo(direct.getMessage());
            assertThat(kept.server()).isEqualTo(server());
        }
        Server web1 = new Server(host.user(), host.hostAddress(), host.port(), Set.of(), Map.of("name", "web1"));
        try (KeptConnections run = kept(settings(3))) {
            TransportException timeout = catchThrowableOfType(TransportException.class, () -> run.execute(web1,
                    Command.of("sleep 30.25").withTimeout(Duration.ofMillis(300)), OutputListener.IGNORE));
            assertThat(timeout.reason()).isEqualTo(TransportException.Reason.COMMAND_TIMEOUT);
            assertThat(timeout.getMessage()).isEqualTo("`sleep 30.25` on web1 did not finish within 300 ms and was stopped");
            assertThat(timeout.server()).isSameAs(web1);
        }
    }

    @Test
    void anOutputListenerThatThrowsLetsTheCommandFinishFirst() throws Exception {
        Path marker = home.resolve("finished");
        IllegalStateException thrown = new IllegalStateException("listener broke");
        try (KeptConnections run = kept(settings(3))) {
            IllegalStateException e = catchThrowableOfType(IllegalStateException.class, () -> run.execute(server(),
                    Command.of("echo a; sleep 0.3; echo b; touch '" + marker + "'"), (s, stream, line) -> {
                        throw thrown;
                    }));
            assertThat(e).isSameAs(thrown);
        }
        assertThat(marker).exists();
    }

    @Test
    void aRunThatStopsReadingHoldsUpNoOtherRun() throws Exception {
        try (KeptConnections run = kept(settings(5))) {
            run.execute(server(), Command.of("true"), OutputListener.IGNORE);
            // a run that sends a call with a flood of output and never reads (as one stopped with Ctrl-Z)
            try (SocketChannel stalled = SocketChannel.open(UnixDomainSocketAddress.of(run.socket()))) {
                DataOutputStream out = new DataOutputStream(Channels.newOutputStream(stalled));
                KeeperWire.write(out, new KeeperMessage.Call(run.identity(),
                        new KeeperMessage.Execute(server(), Command.of("yes | head -n 1000000; sleep 30.375"))));
                out.flush();

                // the other run's commands on the same connection go on, and the flood is cut off and stopped
                for (int i = 0; i < 3; i++) {
                    Lines lines = new Lines();
                    assertThat(run.execute(server(), Command.of("echo hi"), lines).exitStatus()).isZero();
                    assertThat(lines.all).containsExactly("STDOUT hi");
                }
                // cut off once it has read nothing for STALL_LIMIT, noticed at a message or a keep-alive after that
                await(() -> process("sleep 30.375").isPresent(), "the flood's sleep running");
                for (int i = 0; i < 200 && process("sleep 30.375").isPresent(); i++) {
                    Thread.sleep(100);
                }
                assertThat(process("sleep 30.375")).as("the flood stopped").isEmpty();
            }
            assertThat(host.connectionsAccepted()).isEqualTo(1);
        }
    }

    @Test
    void anEditedSshConfigIsReadByTheNextRun() throws Exception {
        try (SshTestFleet two = SshTestFleet.start(2)) {
            Path config = home.resolve("ssh_config");
            Map<String, Object> variables = Map.of("ssh_config", config.toString(),
                    "ssh_known_hosts", two.knownHostsFile().toString(), "ssh_identity", two.identityFile().toString());
            Server alias = Server.parse("alias");
            Path included = home.resolve("included_config");
            Files.writeString(config, "Include " + included + "\n");
            for (SshTestHost target : two.hosts()) {
                // an edit of an included file, of the same size and within the same second
                Files.writeString(included, "Host alias\n  HostName " + target.hostAddress() + "\n  Port " + target.port()
                        + "\n  User " + target.user() + "\n");
                try (KeptConnections run = kept(settings(5, variables))) {
                    assertThat(run.execute(alias, Command.of("true"), OutputListener.IGNORE).exitStatus()).isZero();
                }
            }
            assertThat(two.hosts()).allSatisfy(h -> assertThat(h.connectionsAccepted()).isEqualTo(1));
        }
    }

    @Test
    void aCallTheKeeperTookIsNeverRunAgainWhenTheKeeperGoes() throws Exception {
        Path counter = home.resolve("counter");
        String marker = "[capstan] password: ";
        Command asks = new Command("echo ran >> '" + counter + "'; printf '%s' '" + marker + "'; IFS= read -r pw",
                Map.of(), null, true, null, true, new Prompt(marker, () -> {
                    // the keeper ends (killed) while the command waits at its prompt
                    ProcessHandle.allProcesses().filter(p -> p.info().commandLine()
                            .map(c -> c.contains("ConnectionKeeper") && c.contains(sockets.toString())).orElse(false))
                            .forEach(ProcessHandle::destroyForcibly);
                    return "secret";
                }));
        try (KeptConnections run = kept(settings(3))) {
            TransportException e = catchThrowableOfType(TransportException.class,
                    () -> run.execute(server(), asks, OutputListener.IGNORE));

            assertThat(e.reason()).isEqualTo(TransportException.Reason.CONNECTION_LOST);
            assertThat(Files.readAllLines(counter)).containsExactly("ran");
        }
    }

    @Test
    void aWarningTheKeeperGivesOnceReachesEveryRun() throws Exception {
        for (int run = 1; run <= 2; run++) {
            Events each = new Events();
            try (KeptConnections kept = new KeptConnections(settings(3, Map.of("host_key_checking", "off")), each,
                    PassphrasePrompt.NONE, sockets)) {
                kept.execute(server(), Command.of("true"), OutputListener.IGNORE);
                kept.execute(server(), Command.of("true"), OutputListener.IGNORE);
            }
            assertThat(each.logs(Event.Level.WARN)).as("run %d", run).containsExactly("host key checking is off: no host"
                    + " key is verified, so a connection can be intercepted without notice (host_key_checking=off)");
        }
        assertThat(host.connectionsAccepted()).isEqualTo(1);
    }

    @Test
    void aKeyThatAcceptNewRecordsKeepsTheKeeper() throws Exception {
        Path known = Files.createFile(home.resolve("accept_new_known_hosts"));
        SshSettings acceptNew = settings(3, Map.of("host_key_checking", "accept-new", "ssh_known_hosts", known.toString()));
        for (int run = 1; run <= 2; run++) {
            try (KeptConnections kept = kept(acceptNew)) {
                assertThat(kept.execute(server(), Command.of("true"), OutputListener.IGNORE).exitStatus()).isZero();
            }
        }
        assertThat(Files.readString(known)).as("the key recorded").contains("[" + host.hostAddress() + "]:" + host.port());
        assertThat(host.connectionsAccepted()).as("the second run on the first run's connection").isEqualTo(1);
    }

    @Test
    void filesTravelThroughTheKeeper() throws Exception {
        Path local = Files.writeString(home.resolve("local.txt"), "x".repeat(100_000));
        Path remote = host.root().resolve("remote.txt");
        Path back = home.resolve("back.txt");
        List<Long> progress = new CopyOnWriteArrayList<>();
        try (KeptConnections run = kept(settings(3))) {
            run.upload(server(), local, remote.toString(), 0640, (s, path, done, total) -> progress.add(done));
            run.put(server(), "put".getBytes(), remote + ".put", null);
            run.download(server(), remote.toString(), back, (s, path, done, total) -> { });
        }
        assertThat(Files.readString(back)).isEqualTo(Files.readString(local));
        assertThat(Files.readString(Path.of(remote + ".put"))).isEqualTo("put");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(remote))).isEqualTo("rw-r-----");
        assertThat(progress).isNotEmpty().last().isEqualTo(100_000L);
    }

    @Test
    void aPromptIsAnsweredByTheRun() throws Exception {
        String marker = "[capstan] password: ";
        Command asks = new Command("printf '%s' '" + marker + "'; IFS= read -r pw; [ \"$pw\" = secret ] && echo right",
                Map.of(), null, true, null, true, new Prompt(marker, () -> "secret"));
        try (KeptConnections run = kept(settings(3))) {
            Lines lines = new Lines();
            CommandResult r = run.execute(server(), asks, lines);

            assertThat(r.exitStatus()).isZero();
            assertThat(lines.all).containsExactly("STDOUT right");
        }
    }

    @Test
    void otherSettingsNeverShareAKeepersConnection() throws Exception {
        try (KeptConnections a = kept(settings(3));
                KeptConnections b = kept(settings(3, Map.of("max_sessions", 4)))) {
            a.execute(server(), Command.of("true"), OutputListener.IGNORE);
            b.execute(server(), Command.of("true"), OutputListener.IGNORE);

            assertThat(a.socket()).isNotEqualTo(b.socket());
            assertThat(host.connectionsAccepted()).isEqualTo(2);
        }
    }

    @Test
    void withoutAPrivateDirectoryARunConnectsByItselfAndSaysWhy() throws Exception {
        Files.createDirectory(sockets, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Events events = new Events();
        try (KeptConnections run = new KeptConnections(settings(3), events, PassphrasePrompt.NONE, sockets)) {
            assertThat(run.execute(server(), Command.of("true"), OutputListener.IGNORE).exitStatus()).isZero();
            assertThat(run.execute(server(), Command.of("true"), OutputListener.IGNORE).exitStatus()).isZero();
        }
        assertThat(events.logs(Event.Level.WARN)).containsExactly("not keeping connections (ssh_keep_connections):"
                + " cannot start a keeper: " + sockets + " must belong to " + System.getProperty("user.name")
                + " and be closed to everyone else (chmod 700), as it holds the sockets of kept connections; it is"
                + " rwxr-xr-x, owned by " + System.getProperty("user.name") + "; connecting directly");
        assertThat(host.connectionsAccepted()).isEqualTo(1);
        try (var files = Files.list(sockets)) {
            assertThat(files).isEmpty();
        }
    }

    @Test
    void keepersShowsWhatEachKeeperHoldsAndStopEndsItOnceItsCallsHave() throws Exception {
        assertThat(Keepers.list(sockets)).as("before any run").isEmpty();
        SshSettings shells = settings(30, Map.of("ssh_persistent_shell", true));
        try (KeptConnections run = kept(shells)) {
            run.execute(server(), Command.of("true"), OutputListener.IGNORE);
        }
        // the keeper counts a call done a moment after the run has its result
        await(() -> listed().stream().allMatch(k -> ((Keepers.Keeper.Answered) k).running() == 0),
                "the call counted done");
        List<Keepers.Keeper> keepers = Keepers.list(sockets);
        assertThat(keepers).hasSize(1);
        Keepers.Keeper.Answered keeper = (Keepers.Keeper.Answered) keepers.getFirst();
        ProcessHandle process = ProcessHandle.of(keeper.pid()).orElseThrow();
        assertThat(process.info().commandLine().orElse("")).contains(ConnectionKeeper.class.getName());
        assertThat(keeper.keep()).isEqualTo(Duration.ofSeconds(30));
        assertThat(keeper.running()).isZero();
        assertThat(keeper.held()).containsExactly(new HeldConnections(
                host.user() + "@" + host.hostAddress() + ":" + host.port(), 1, 1));

        // a call under way when told to stop ends as it would have; the socket goes at once
        Path go = home.resolve("go");
        String sleep = "while [ ! -e '" + go + "' ]; do sleep 0.05; done; echo slept";
        AtomicReference<Object> outcome = new AtomicReference<>();
        Thread caller;
        try (KeptConnections run = kept(shells)) {
            caller = Thread.ofVirtual().start(() -> {
                try {
                    Lines lines = new Lines();
                    run.execute(server(), Command.of(sleep), lines);
                    outcome.set(lines.all);
                } catch (Throwable t) {
                    outcome.set(t);
                }
            });
            await(() -> process(sleep).isPresent(), "the command running");
            List<Keepers.Keeper> told = Keepers.stop(sockets);

            assertThat(told).singleElement().isInstanceOfSatisfying(Keepers.Keeper.Answered.class,
                    k -> assertThat(k.running()).isEqualTo(1));
            assertThat(keeper.socket()).doesNotExist();

            // a run meanwhile starts a keeper of its own at once, while the stopped one still ends its call
            try (KeptConnections next = kept(shells)) {
                assertThat(next.execute(server(), Command.of("true"), OutputListener.IGNORE).exitStatus()).isZero();
            }
            assertThat(process.isAlive()).as("the stopped keeper, its call under way").isTrue();
            assertThat(host.connectionsAccepted()).isEqualTo(2);
            Files.createFile(go);
            caller.join(Duration.ofSeconds(20));
        }
        assertThat(outcome.get()).isEqualTo(List.of("STDOUT slept"));
        assertThat(process.onExit().get(20, java.util.concurrent.TimeUnit.SECONDS).isAlive()).isFalse();
        await(() -> host.openConnections() == 1, "the stopped keeper's connection closed, the next one's open");

        List<Keepers.Keeper> next = Keepers.stop(sockets);
        assertThat(next).singleElement().isInstanceOfSatisfying(Keepers.Keeper.Answered.class,
                k -> assertThat(k.pid()).isNotEqualTo(keeper.pid()));
        ProcessHandle.of(((Keepers.Keeper.Answered) next.getFirst()).pid())
                .ifPresent(p -> p.onExit().join());
        await(() -> host.openConnections() == 0, "every connection closed");
        assertThat(Keepers.list(sockets)).isEmpty();
    }

    @Test
    void keepersSaysWhichSocketAnswersWithWhatItCannotRead() throws Exception {
        Files.createDirectory(sockets, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path socket = sockets.resolve("0123456789abcdef.sock");
        Files.createFile(sockets.resolve("fedcba9876543210.sock")); // a keeper that died: nothing listens
        try (var foreign = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            foreign.bind(UnixDomainSocketAddress.of(socket));
            // a keeper of another build: it reads a message it does not know and hangs up
            Thread.ofVirtual().start(() -> {
                try (SocketChannel call = foreign.accept()) {
                    call.read(java.nio.ByteBuffer.allocate(16));
                } catch (java.io.IOException e) {
                    // the test ends
                }
            });

            assertThat(Keepers.list(sockets)).singleElement().isInstanceOfSatisfying(Keepers.Keeper.Unreadable.class,
                    k -> {
                        assertThat(k.socket()).isEqualTo(socket);
                        assertThat(k.reason()).isEqualTo("it hung up without an answer (a keeper of another build"
                                + " of capstan, or one that was ending)");
                    });
        }
    }

    @Test
    void keepersRefusesADirectoryOthersCanEnter() throws Exception {
        Files.createDirectory(sockets);
        Files.setPosixFilePermissions(sockets, PosixFilePermissions.fromString("rwxr-x---")); // whatever the umask
        assertThat(catchThrowableOfType(java.io.IOException.class, () -> Keepers.list(sockets)))
                .hasMessage(sockets + " must belong to " + System.getProperty("user.name") + " and be closed to everyone"
                        + " else (chmod 700), as it holds the sockets of kept connections; it is rwxr-x---, owned by "
                        + System.getProperty("user.name"));
    }

    private Server server() {
        return Server.parse(host.spec());
    }

    private List<Keepers.Keeper> listed() {
        try {
            return Keepers.list(sockets);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private SshSettings settings(int keepSeconds) {
        return settings(keepSeconds, Map.of());
    }

    private SshSettings settings(int keepSeconds, Map<String, Object> more) {
        Map<String, Object> variables = new HashMap<>(Map.of("ssh_config", "none",
                "ssh_known_hosts", fleet.knownHostsFile().toString(),
                "ssh_identity", fleet.identityFile().toString(),
                "ssh_keep_connections", keepSeconds));
        variables.putAll(more);
        return SshSettings.from(variables::get)
                .withUserKnownHosts(home.resolve("known_hosts"))
                .withUserSshDir(home)
                .withAgentSocket(null)
                .withGlobalKnownHosts(null);
    }

    /** The test host runs commands as local processes, so the process table shows what runs "remotely". */
    private static Optional<ProcessHandle> process(String commandLine) {
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.endsWith(commandLine)).orElse(false))
                .findFirst();
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        for (int i = 0; i < 500 && !condition.getAsBoolean(); i++) {
            Thread.sleep(20);
        }
        assertThat(condition.getAsBoolean()).as(what).isTrue();
    }

    private static final class Lines implements OutputListener {
        final List<String> all = new CopyOnWriteArrayList<>();

        @Override
        public void line(Server server, Stream stream, String line) {
            all.add(stream + " " + line);
        }
    }

    private static final class Events implements EventSink {
        final List<Event> all = new CopyOnWriteArrayList<>();

        @Override
        public void emit(Event event) {
            all.add(event);
        }

        List<String> logs(Event.Level level) {
            return all.stream().filter(e -> e instanceof Event.Log log && log.level() == level)
                    .map(e -> ((Event.Log) e).message()).toList();
        }
    }
}
