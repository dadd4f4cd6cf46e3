package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.capstan.Server;
import dev.capstan.event.Event;
import dev.capstan.event.EventSink;
import dev.capstan.testkit.ClientKey;
import dev.capstan.testkit.openssh.OpenSshHosts;
import dev.capstan.transport.Command;
import dev.capstan.transport.CommandResult;
import dev.capstan.transport.OutputListener;
import dev.capstan.transport.TransferListener;
import dev.capstan.transport.TransportException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Against real OpenSSH servers ({@code .ci/e2e-sshd start}), where the embedded test hosts cannot stand in: the
 * MaxSessions churn, terminals, signals and sftp-server. Skipped when those servers are not running.
 */
class OpenSshTest {

    private static OpenSshHosts hosts;

    @TempDir
    Path home;

    @BeforeAll
    static void discover() {
        Optional<OpenSshHosts> found = OpenSshHosts.discover();
        assumeTrue(found.isPresent(), OpenSshHosts.unavailableReason());
        hosts = found.get();
    }

    @Test
    void manyConcurrentCommandsRideOneConnectionDespiteMaxSessionsChurn() throws Exception {
        Server server = server(0);
        try (SshTransport ssh = transport(Map.of("max_sessions", 10, "max_connections_per_host", 1))) {
            // $SSH_CONNECTION names the client port: one port means one connection.
            List<CommandResult> results = Concurrently.run(60, i -> ssh.execute(server,
                    Command.of("echo $SSH_CONNECTION | cut -d' ' -f2").capturing(), OutputListener.IGNORE));

            assertThat(results).allMatch(CommandResult::succeeded);
            assertThat(results.stream().map(CommandResult::stdout).distinct()).hasSize(1);
        }
    }

    @Test
    void keptConnectionsAndShellsServeTheNextRun() throws Exception {
        Server server = server(1);
        SshSettings settings = settings(Map.of("ssh_keep_connections", 3, "ssh_persistent_shell", true));
        Fixtures.Events events = new Fixtures.Events();
        List<String> seen = new java.util.ArrayList<>();
        for (int run = 0; run < 2; run++) {
            try (var kept = new dev.capstan.transport.kept.KeptConnections(settings, events, PassphrasePrompt.NONE,
                    home.resolve("kept"))) {
                // the client's port names the connection, the shell's parent the persistent shell
                CommandResult r = kept.execute(server, Command.of("echo $SSH_CONNECTION | cut -d' ' -f2; echo $PPID")
                        .capturing(), OutputListener.IGNORE);
                assertThat(r.exitStatus()).isZero();
                seen.add(r.stdout());
            }
        }
        assertThat(seen.get(1)).isEqualTo(seen.get(0));
        assertThat(events.logs(Event.Level.WARN)).isEmpty();
    }

    @Test
    void theFirstChannelIsOpenedWithTheLoginAndRunsTheFirstCommand() throws Exception {
        Server server = server(2);
        Fixtures.Events events = new Fixtures.Events();
        try (SshTransport ssh = new SshTransport(settings(Map.of()), events, PassphrasePrompt.NONE)) {
            CommandResult first = ssh.execute(server, Command.of("echo first").capturing(), OutputListener.IGNORE);
            CommandResult second = ssh.execute(server, Command.of("echo second").capturing(), OutputListener.IGNORE);

            assertThat(first.stdout()).isEqualTo("first\n");
            assertThat(second.stdout()).isEqualTo("second\n");
        }
        // sshd took the open sent in the login's flight: RFC 4252 hands it to the connection service.
        assertThat(events.logs(Event.Level.DEBUG)).anySatisfy(line -> assertThat(line)
                .startsWith("connected to ").contains("a channel opened with the login"));
    }

    @Test
    void commandsWaitingForTheConnectionGetTheirChannelsWithTheLogin() throws Exception {
        Server server = server(1);
        Fixtures.Events events = new Fixtures.Events();
        String dir = "capstan-e2e-first-" + UUID.randomUUID();
        try (SshTransport ssh = new SshTransport(settings(Map.of("max_connections_per_host", 1)), events,
                PassphrasePrompt.NONE)) {
            // Four commands that only end once all four run at once, each naming its connection's client port.
            List<CommandResult> results = Concurrently.run(4, i -> ssh.execute(server, Command.of(
                    Concurrently.barrier(dir, i, 4) + " && echo $SSH_CONNECTION | cut -d' ' -f2").capturing(),
                    OutputListener.IGNORE));
            ssh.execute(server, Command.of("rm -rf " + dir), OutputListener.IGNORE);

            assertThat(results).allMatch(CommandResult::succeeded);
            assertThat(results.stream().map(CommandResult::stdout).distinct()).hasSize(1);
        }
        // All four waited for the one connection; its login opened a channel for each that had asked by then.
        assertThat(channelsOpenedWithTheLogin(events)).isBetween(2, 4);
    }

    @Test
    void noMoreChannelsAreOpenedWithTheLoginThanMaxSessions() throws Exception {
        Server server = server(1);
        Fixtures.Events events = new Fixtures.Events();
        try (SshTransport ssh = new SshTransport(settings(Map.of("max_connections_per_host", 1, "max_sessions", 2)),
                events, PassphrasePrompt.NONE)) {
            List<CommandResult> results = Concurrently.run(6, i -> ssh.execute(server,
                    Command.of("echo $SSH_CONNECTION | cut -d' ' -f2").capturing(), OutputListener.IGNORE));

            assertThat(results).allMatch(CommandResult::succeeded);
            assertThat(results.stream().map(CommandResult::stdout).distinct()).hasSize(1);
        }
        assertThat(channelsOpenedWithTheLogin(events)).isBetween(1, 2);
    }

    /** From the connect line of the debug log: "a channel" or "N channels opened with the login". */
    private static int channelsOpenedWithTheLogin(Fixtures.Events events) {
        List<String> lines = events.logs(Event.Level.DEBUG).stream().filter(l -> l.startsWith("connected to ")).toList();
        assertThat(lines).hasSize(1);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("; (a|\\d+) channels? opened with the login")
                .matcher(lines.getFirst());
        assertThat(m.find()).as(lines.getFirst()).isTrue();
        return m.group(1).equals("a") ? 1 : Integer.parseInt(m.group(1));
    }

    @Test
    void aFirstKeyTheServerRefusesLeavesNoChannelBehind() throws Exception {
        Server server = server(2);
        Path stranger = ClientKey.generate(home.resolve("stranger")).privateKeyFile();
        Fixtures.Events events = new Fixtures.Events();
        Map<String, Object> keys = Map.of("ssh_identity", List.of(stranger.toString(),
                hosts.identityFile().toString()), "connect_timeout", 5);
        long started = System.nanoTime();
        try (SshTransport ssh = new SshTransport(settings(keys), events, PassphrasePrompt.NONE)) {
            // The signed request with the stranger's key fails, so sshd refused the channel sent with it (before any
            // login): the command must not wait for that channel, which would never open, but get one of its own.
            CommandResult result = ssh.execute(server, Command.of("echo in").capturing(), OutputListener.IGNORE);

            assertThat(result.stdout()).isEqualTo("in\n");
        }
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        assertThat(events.logs(Event.Level.DEBUG)).noneMatch(line -> line.contains("a channel opened with the login"));
    }

    @Test
    void aTimedOutCommandIsKilledOnTheServer() throws Exception {
        Server server = server(1);
        String marker = "sleep 31." + Math.abs(new Random().nextInt(1000));
        try (SshTransport ssh = transport(Map.of())) {
            TransportException e = catchThrowableOfType(TransportException.class, () -> ssh.execute(server,
                    Command.of(marker).withTimeout(Duration.ofSeconds(1)), OutputListener.IGNORE));
            assertThat(e.reason()).isEqualTo(TransportException.Reason.COMMAND_TIMEOUT);

            assertGoneFromServer(ssh, server, marker);
        }
    }

    /** The killed command disappears from the server's process list, within five seconds. */
    private static void assertGoneFromServer(SshTransport ssh, Server server, String marker) throws Exception {
        String left = "";
        for (int i = 0; i < 50; i++) {
            left = ssh.execute(server, Command.of("pgrep -f -x '" + marker + "' || true").capturing(),
                    OutputListener.IGNORE).stdout();
            if (left.isBlank()) {
                break;
            }
            Thread.sleep(100);
        }
        assertThat(left).as("%s still running", marker).isBlank();
    }

    @Test
    void aPtyIsATerminal() throws Exception {
        try (SshTransport ssh = transport(Map.of())) {
            CommandResult result = ssh.execute(server(2),
                    new Command("test -t 1 && echo tty", Map.of(), null, true, null, true), OutputListener.IGNORE);

            assertThat(result.stdout().trim()).isEqualTo("tty");
        }
    }

    @Test
    void keepalivesAreAnsweredDuringASilentCommand() throws Exception {
        try (SshTransport ssh = transport(Map.of("keepalive_interval", "0.2", "keepalive_count_max", 2))) {
            CommandResult result = ssh.execute(server(0), Command.of("sleep 2; echo awake").capturing(),
                    OutputListener.IGNORE);

            assertThat(result.stdout()).isEqualTo("awake\n");
        }
    }

    @Test
    void sftpRoundTripWithSftpServer() throws Exception {
        byte[] content = new byte[8 * 1024 * 1024 + 123];
        new Random(7).nextBytes(content);
        Path file = Files.write(home.resolve("payload.bin"), content);
        String remote = "capstan-e2e-" + UUID.randomUUID() + ".bin";
        Server server = server(1);
        try (SshTransport ssh = transport(Map.of())) {
            ssh.upload(server, file, remote, 0640, TransferListener.IGNORE);
            String remoteSum = ssh.execute(server, Command.of("sha256sum " + remote + " | cut -d' ' -f1; stat -c %a "
                    + remote).capturing(), OutputListener.IGNORE).stdout();
            ssh.download(server, remote, home.resolve("back.bin"), TransferListener.IGNORE);
            ssh.execute(server, Command.of("rm -f " + remote), OutputListener.IGNORE);

            assertThat(remoteSum).isEqualTo(sha256(content) + "\n640\n");
            assertThat(sha256(Files.readAllBytes(home.resolve("back.bin")))).isEqualTo(sha256(content));
        }
    }

    /**
     * A file the user may write in a directory where the user may not create one (root's, here): there is no room for
     * the part file an upload replaces its target with, so the file is written in place, as scp would.
     */
    @Test
    void aFileInADirectoryTheUserCannotWriteIsUploadedInPlace() throws Exception {
        inRootsDirectory("readonly", "rwxr-xr-x", dir -> {
            Path target = Files.writeString(dir.resolve("app.conf"), "port=80\n");
            Files.setOwner(target, target.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(hosts.user()));
            Path file = Files.writeString(home.resolve("app.conf"), "port=8080\n");
            try (SshTransport ssh = transport(Map.of())) {
                ssh.upload(server(0), file, target.toString(), 0644, TransferListener.IGNORE);
            }
            return target;
        });
    }

    /** A file in a directory of root's making (mode {@code mode}); afterwards it must hold the new content, alone. */
    private void inRootsDirectory(String kind, String mode, RootsDirectoryBody body) throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root to make a directory of root's");
        Path dir = Files.createDirectories(Path.of("/tmp/capstan-e2e-" + kind + "-" + UUID.randomUUID()));
        try {
            Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString(mode));
            Path target = body.run(dir);

            assertThat(target).hasContent("port=8080");
            try (var names = Files.list(dir)) {
                assertThat(names).as("no part file left").containsExactly(target);
            }
        } finally {
            try (var names = Files.list(dir)) {
                for (Path name : names.toList()) {
                    Files.delete(name);
                }
            }
            Files.delete(dir);
        }
    }

    @FunctionalInterface
    private interface RootsDirectoryBody {
        Path run(Path dir) throws Exception;
    }

    /**
     * A FIFO (or a device, /dev/null) at the target stays what it is: written through, never replaced by a regular
     * file. (sftp-server writes at offsets, which a FIFO refuses: the write fails, and the FIFO is still there.)
     */
    @Test
    void aFifoAtTheTargetIsNeverReplacedByAFile() throws Exception {
        String dir = "capstan-e2e-fifo-" + UUID.randomUUID();
        Server server = server(1);
        try (SshTransport ssh = transport(Map.of("command_timeout", 20))) {
            ssh.execute(server, Command.of("mkdir " + dir + " && mkfifo " + dir + "/pipe && (cat " + dir + "/pipe > "
                    + dir + "/got 2>/dev/null </dev/null &)"), OutputListener.IGNORE);
            catchThrowableOfType(TransportException.class, () -> ssh.put(server,
                    "through\n".getBytes(java.nio.charset.StandardCharsets.UTF_8), dir + "/pipe", null));
            String kind = ssh.execute(server, Command.of("test -p " + dir + "/pipe && echo fifo; ls " + dir
                    + "; rm -rf " + dir).capturing(), OutputListener.IGNORE).stdout();
            assertThat(kind).isEqualTo("fifo\ngot\npipe\n"); // no part file left either
        }
    }

    /** Set-id bits survive the replace (writing a file clears them, so they come after the content). */
    @Test
    void aSetIdModeSurvivesAnUploadOverSftp() throws Exception {
        String remote = "capstan-e2e-setid-" + UUID.randomUUID();
        Server server = server(0);
        try (SshTransport ssh = transport(Map.of())) {
            ssh.put(server, "#!/bin/sh\n".getBytes(java.nio.charset.StandardCharsets.UTF_8), remote, 04755);
            ssh.put(server, "#!/bin/sh\necho 2\n".getBytes(java.nio.charset.StandardCharsets.UTF_8), remote, null);
            String mode = ssh.execute(server, Command.of("stat -c %a " + remote + "; rm -f " + remote).capturing(),
                    OutputListener.IGNORE).stdout();
            assertThat(mode).isEqualTo("4755\n");
        }
    }

    /**
     * Another user's file that the user may write, in a sticky directory (as /tmp): the part file can be made but not
     * renamed over it, so the file is written in place, and the part file is gone.
     */
    @Test
    void anotherUsersWritableFileInAStickyDirectoryIsUploadedInPlace() throws Exception {
        inRootsDirectory("sticky", "rwxrwxrwx", dir -> {
            Files.setAttribute(dir, "unix:mode", 01777);
            Path target = Files.writeString(dir.resolve("shared.conf"), "port=80\n");
            Files.setPosixFilePermissions(target, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-rw-"));
            try (SshTransport ssh = transport(Map.of())) {
                ssh.put(server(0), "port=8080\n".getBytes(java.nio.charset.StandardCharsets.UTF_8), target.toString(), null);
            }
            assertThat(Files.getOwner(target).getName()).isEqualTo("root");
            return target;
        });
    }

    /**
     * sudo's protocol over a real terminal (a stand-in for sudo, as the e2e user has no sudo rights): the prompt
     * without a newline, {@code \r\n} line ends, and the password either not echoed (sudo turns echo off) or echoed
     * by the terminal: neither prompt nor password reaches lines or capture.
     */
    @Test
    void aSudoPromptIsAnsweredOverATerminal() throws Exception {
        Server server = server(2);
        String dir = "capstan-e2e-sudo-" + UUID.randomUUID();
        try (SshTransport ssh = transport(Map.of("command_timeout", 20))) {
            ssh.execute(server, Command.of("mkdir " + dir), OutputListener.IGNORE);
            ssh.put(server, SudoPromptTest.FAKE_SUDO.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    dir + "/sudo", 0755);
            try {
                for (String mode : List.of("FAKE_SUDO_STTY", "FAKE_SUDO_TTY_ECHO")) {
                    ExecTest.Lines lines = new ExecTest.Lines();
                    SudoPromptTest.Counting answer = new SudoPromptTest.Counting("secret");
                    Command sudo = SudoPromptTest.sudo("test -t 0 && echo on a tty; printf 'a\\nb\\n'", Map.of(),
                            answer);
                    Command line = new Command("export " + mode + "=1 PATH=\"$HOME/" + dir + ":$PATH\"; "
                            + sudo.line(), Map.of(), null, true, null, true, sudo.prompt());

                    CommandResult result = ssh.execute(server, line, lines);

                    assertThat(result.exitStatus()).as(mode).isZero();
                    assertThat(lines.all).as(mode).extracting(l -> l[1]).containsExactly("on a tty", "a", "b");
                    assertThat(result.stdout()).as(mode).isEqualTo("on a tty\na\nb\n");
                    assertThat(answer.calls.get()).isEqualTo(1);
                }

                SudoPromptTest.Counting wrong = new SudoPromptTest.Counting("wrong");
                Command refused = SudoPromptTest.sudo("echo never", Map.of(), wrong);
                TransportException e = catchThrowableOfType(TransportException.class, () -> ssh.execute(server,
                        new Command("export FAKE_SUDO_STTY=1 PATH=\"$HOME/" + dir + ":$PATH\"; " + refused.line(),
                                Map.of(), null, true, null, true, refused.prompt()), OutputListener.IGNORE));
                assertThat(e.getMessage()).isEqualTo("sudo on " + server.label() + " refused the password");
            } finally {
                ssh.execute(server, Command.of("rm -rf " + dir), OutputListener.IGNORE);
            }
        }
    }

    /** ssh_persistent_shell on real sshd, whose login shell for the e2e user is bash: the same results either way. */
    @Test
    void aPersistentShellGivesTheSameResultsAsChannelsOfTheirOwn() throws Exception {
        Server server = server(0);
        List<String> lines = List.of(
                "echo one; echo two >&2; printf 'three\\r\\nfour'; exit 3",
                "[[ -n $BASH_VERSION ]] && echo bash; echo \"${SHLVL:-none}\"; pwd; printf partial",
                "for i in 1 2 3 4 5 6 7 8; do echo err$i >&2; done; false",
                "cat; echo \"$SSH_CONNECTION\" | cut -d' ' -f1",
                "echo 'unterminated",
                "nosuchcommand --help",
                "seq 1 5000; seq 1 300 >&2",
                "exec printf 'exec\\n'");
        try (SshTransport normal = transport(Map.of());
                SshTransport persistent = transport(Map.of("ssh_persistent_shell", true))) {
            for (String line : lines) {
                Command command = Command.of(line).capturing();
                assertThat(outcome(persistent, server, command)).as(line)
                        .isEqualTo(outcome(normal, server, command));
            }
            // The one documented difference: a shell sees 128 + n, not whether a signal or `exit` made it.
            Command killed = Command.of("kill -TERM $$");
            assertThat(normal.execute(server, killed, OutputListener.IGNORE).stderrTail())
                    .containsExactly("killed by signal TERM");
            CommandResult onShell = persistent.execute(server, killed, OutputListener.IGNORE);
            assertThat(onShell.exitStatus()).isEqualTo(143);
            assertThat(onShell.stderrTail()).isEmpty();

            persistent.execute(server, Command.of("cd /tmp; export LEAK=1"), OutputListener.IGNORE);
            assertThat(persistent.execute(server, Command.of("pwd; echo ${LEAK:-unset}").capturing(),
                    OutputListener.IGNORE).stdout()).isEqualTo("/home/capstan-e2e\nunset\n");
        }
    }

    @Test
    void aPersistentShellsTimedOutCommandIsKilledOnTheServer() throws Exception {
        Server server = server(1);
        String marker = "sleep 32." + Math.abs(new Random().nextInt(1000));
        try (SshTransport ssh = transport(Map.of("ssh_persistent_shell", true))) {
            ssh.execute(server, Command.of("true"), OutputListener.IGNORE);
            TransportException e = catchThrowableOfType(TransportException.class, () -> ssh.execute(server,
                    Command.of(marker).withTimeout(Duration.ofSeconds(1)), OutputListener.IGNORE));
            assertThat(e.reason()).isEqualTo(TransportException.Reason.COMMAND_TIMEOUT);

            assertGoneFromServer(ssh, server, marker);
        }
    }

    /**
     * What a command leaves running is its own, on a persistent shell as on a channel of its own: a later command's
     * timeout stops that command's process group (its own background child too), not a daemon an earlier command
     * started; and a command's {@code kill 0} ends only itself, not the shell.
     */
    @Test
    void aTimeoutStopsOnlyItsOwnCommandsProcessesEitherWay() throws Exception {
        Server server = server(0);
        for (boolean persistent : List.of(false, true)) {
            int tag = 100 + new Random().nextInt(800);
            String daemon = "sleep 41" + tag;
            String child = "sleep 42" + tag;
            try (SshTransport ssh = transport(Map.of("ssh_persistent_shell", persistent))) {
                ssh.execute(server, Command.of("nohup " + daemon + " >/dev/null 2>&1 &"), OutputListener.IGNORE);
                try {
                    TransportException e = catchThrowableOfType(TransportException.class, () -> ssh.execute(server,
                            Command.of(child + " & sleep 20").withTimeout(Duration.ofSeconds(1)), OutputListener.IGNORE));
                    assertThat(e.reason()).isEqualTo(TransportException.Reason.COMMAND_TIMEOUT);

                    assertGoneFromServer(ssh, server, child);
                    String running = ssh.execute(server, Command.of("pgrep -f -x '" + daemon + "' || echo gone").capturing(),
                            OutputListener.IGNORE).stdout();
                    assertThat(running).as("the daemon, persistent shell %s", persistent).isNotEqualTo("gone\n");
                    assertThat(ssh.execute(server, Command.of("kill 0"), OutputListener.IGNORE).exitStatus()).isEqualTo(143);
                    assertThat(ssh.execute(server, Command.of("echo after").capturing(), OutputListener.IGNORE).stdout())
                            .isEqualTo("after\n");
                } finally {
                    // the daemon is left on the shared OpenSSH server whatever failed above
                    ssh.execute(server, Command.of("pkill -f -x '" + daemon + "'; true"), OutputListener.IGNORE);
                }
            }
        }
    }

    @Test
    void persistentShellsRideOneConnectionDespiteMaxSessionsChurn() throws Exception {
        Server server = server(2);
        try (SshTransport ssh = transport(Map.of("max_sessions", 10, "max_connections_per_host", 1,
                "ssh_persistent_shell", true))) {
            for (int round = 0; round < 3; round++) {
                List<CommandResult> results = Concurrently.run(40, i -> ssh.execute(server,
                        Command.of("echo $SSH_CONNECTION | cut -d' ' -f2").capturing(), OutputListener.IGNORE));

                assertThat(results).allMatch(CommandResult::succeeded);
                assertThat(results.stream().map(CommandResult::stdout).distinct()).hasSize(1);
            }
            // The idle shells hold the slots: a transfer still gets one.
            ssh.put(server, "x".getBytes(java.nio.charset.StandardCharsets.UTF_8), "capstan-e2e-persistent.txt", null);
            ssh.execute(server, Command.of("rm capstan-e2e-persistent.txt"), OutputListener.IGNORE);
        }
    }

    private static PersistentShellTest.Outcome outcome(SshTransport ssh, Server server, Command command)
            throws InterruptedException {
        ExecTest.Lines lines = new ExecTest.Lines();
        CommandResult r = ssh.execute(server, command, lines);
        return new PersistentShellTest.Outcome(r.exitStatus(), lines.of(dev.capstan.transport.Stream.STDOUT),
                lines.of(dev.capstan.transport.Stream.STDERR), r.stdout(), r.stderrTail());
    }

    private SshTransport transport(Map<String, Object> more) {
        return new SshTransport(settings(more), EventSink.NONE, PassphrasePrompt.NONE);
    }

    private SshSettings settings(Map<String, Object> more) {
        Map<String, Object> variables = new java.util.HashMap<>(more);
        variables.put("ssh_known_hosts", hosts.knownHostsFile().toString());
        variables.putIfAbsent("ssh_identity", hosts.identityFile().toString());
        variables.put("ssh_config", "none");
        return SshSettings.from(variables::get)
                .withUserKnownHosts(home.resolve("known_hosts")).withUserSshDir(home).withAgentSocket(null);
    }

    private static Server server(int index) {
        return Server.parse(hosts.hostSpecs().get(index));
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
