package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.capstan.Server;
import dev.capstan.Shell;
import dev.capstan.event.EventSink;
import dev.capstan.testkit.ServedChannel;
import dev.capstan.testkit.SshTestFleet;
import dev.capstan.testkit.SshTestHost;
import dev.capstan.transport.Command;
import dev.capstan.transport.CommandResult;
import dev.capstan.transport.OutputListener;
import dev.capstan.transport.Prompt;
import dev.capstan.transport.Stream;
import dev.capstan.transport.TransportException;
import dev.capstan.transport.TransportException.Reason;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code ssh_persistent_shell}: the same commands give the same lines, exit status, stderr tail and capture as on
 * channels of their own; nothing one command changes reaches the next; the host sees one shell start instead of an
 * exec per command; timeouts, interrupts and lost connections fail the way they do without it.
 */
class PersistentShellTest {

    /** How the command line of a persistent shell's channel begins (its set-up and first command follow). */
    private static final String SHELL_START = "exec /bin/sh -c ";

    @TempDir
    static Path home;

    private static SshTestFleet fleet;
    private static SshTestHost host;
    private static Server server;
    private static SshTransport normal;
    private static SshTransport persistent;

    @BeforeAll
    static void start() throws Exception {
        fleet = SshTestFleet.start(1);
        host = fleet.host(0);
        server = Fixtures.server(host);
        normal = new SshTransport(Fixtures.forFleet(fleet, home).settings(), EventSink.NONE, PassphrasePrompt.NONE);
        persistent = persistentTransport(Map.of());
    }

    @AfterAll
    static void stop() {
        persistent.close();
        normal.close();
        fleet.close();
    }

    @BeforeEach
    void reset() {
        host.resetCounters();
    }

    /** The commands the host ran, each shell start as {@link #SHELL_START}. */
    private static List<String> started(SshTestHost host) {
        return host.commandsRun().stream().map(c -> c.startsWith(SHELL_START) ? SHELL_START : c).toList();
    }

    private static SshTransport persistentTransport(Map<String, Object> more) {
        Fixtures fixtures = Fixtures.forFleet(fleet, home).set("ssh_persistent_shell", true);
        more.forEach(fixtures::set);
        return new SshTransport(fixtures.settings(), EventSink.NONE, PassphrasePrompt.NONE);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "echo one; echo two >&2; printf 'three\\r\\nfour'; exit 3",
        "printf 'no newline at the end'",
        "printf 'on stderr without newline' >&2; exit 1",
        "true",
        "exit 3",
        "printf ''; printf '' >&2",
        "for i in 1 2 3 4 5 6 7 8; do echo err$i >&2; done; false",
        "printf 'a\\nb\\n'; printf 'ü'; printf '\\n\\n\\n'",
        "cat; echo finished",
        "pwd; echo \"$HOME\"; cd /tmp && pwd",
        "kill -TERM $$",
        "seq 1 20000; seq 1 3000 >&2",
        "echo $#; set -- a b; echo $#",
        "exec echo replaced",
        "sleep 0.2 & echo started; wait; echo waited",
        "printf 'x%.0s' $(seq 1 70000); echo; printf 'capstan-'; echo",
    })
    void aCommandGivesTheSameResultAsOnItsOwnChannel(String line) throws Exception {
        Command command = Command.of(line).capturing();

        Outcome expected = Outcome.of(normal, command);
        Outcome onAShellInUse = Outcome.of(persistent, command);
        Outcome onANewShell;
        try (SshTransport fresh = persistentTransport(Map.of())) {
            // A new shell's first command runs from the shell's own exec request, not from its stdin.
            onANewShell = Outcome.of(fresh, command);
        }

        assertThat(onAShellInUse).isEqualTo(expected);
        assertThat(onANewShell).isEqualTo(expected);
    }

    /**
     * The shell's own messages name it as sshd does (its base name, "sh: 1: ..."); the test host runs commands as
     * {@code /bin/sh -c} and so says "/bin/sh: 1: ...": only the name differs (OpenSshTest compares them whole).
     */
    @Test
    void aSyntaxErrorIsReportedByTheShellAsOnItsOwnChannel() throws Exception {
        Command broken = Command.of("echo 'unterminated").capturing();

        Outcome expected = Outcome.of(normal, broken);
        Outcome actual = Outcome.of(persistent, broken);

        assertThat(actual.exitStatus()).isEqualTo(expected.exitStatus()).isEqualTo(2);
        assertThat(actual.stderrLines()).containsExactly("sh: 1: Syntax error: Unterminated quoted string");
        assertThat(expected.stderrLines()).containsExactly("/bin/sh: 1: Syntax error: Unterminated quoted string");
    }

    @Test
    void theEnvironmentIsExportedAsOnItsOwnChannel() throws Exception {
        Command env = new Command("echo \"$GREETING|$ODD\"", Map.of("GREETING", "hi there", "ODD", "it's $x"),
                null, false, null, true);

        assertThat(Outcome.of(persistent, env)).isEqualTo(Outcome.of(normal, env));
        assertThat(persistent.execute(server, env, OutputListener.IGNORE).stdout()).isEqualTo("hi there|it's $x\n");
    }

    @Test
    void nothingACommandChangesReachesTheNextOne() throws Exception {
        try (SshTransport ssh = persistentTransport(Map.of())) {
            CommandResult cd = ssh.execute(server, Command.of("cd /tmp && pwd").capturing(), OutputListener.IGNORE);
            CommandResult pwd = ssh.execute(server, Command.of("pwd").capturing(), OutputListener.IGNORE);
            ssh.execute(server, new Command("export LEAK=1; LOCAL=2", Map.of("ALSO", "3"), null, false, null, false),
                    OutputListener.IGNORE);
            CommandResult env = ssh.execute(server,
                    Command.of("echo ${LEAK:-unset} ${LOCAL:-unset} ${ALSO:-unset}").capturing(), OutputListener.IGNORE);
            CommandResult exit = ssh.execute(server, Command.of("exit 3"), OutputListener.IGNORE);
            CommandResult after = ssh.execute(server, Command.of("echo alive").capturing(), OutputListener.IGNORE);
            CommandResult set = ssh.execute(server, Command.of("set -e; trap 'echo trapped' EXIT; false"),
                    OutputListener.IGNORE);
            CommandResult clean = ssh.execute(server, Command.of("echo clean").capturing(), OutputListener.IGNORE);

            assertThat(cd.stdout()).isEqualTo("/tmp\n");
            assertThat(pwd.stdout()).isEqualTo(host.root() + "\n");
            assertThat(env.stdout()).isEqualTo("unset unset unset\n");
            assertThat(exit.exitStatus()).isEqualTo(3);
            assertThat(after.stdout()).isEqualTo("alive\n");
            assertThat(set.exitStatus()).isEqualTo(1);
            assertThat(clean.stdout()).isEqualTo("clean\n");
            assertThat(started(host)).containsExactly(SHELL_START);
        }
    }

    @Test
    void aProcessListingAsTheFirstCommandDoesNotEndItsOwnOutput() throws Exception {
        // the shell's command line, with its set-up, is what a process listing prints: no marker may be in it whole
        Command parent = Command.of("tr '\\0' ' ' < /proc/$PPID/cmdline; echo; echo listed").capturing();
        try (SshTransport fresh = persistentTransport(Map.of())) {
            CommandResult result = fresh.execute(server, parent, OutputListener.IGNORE);

            assertThat(result.exitStatus()).isZero();
            assertThat(result.stdout()).contains("exec 3>&2").endsWith("listed\n");
        }
    }

    @Test
    void aCommandTooLongForTheShellsExecRequestRunsOnItsOwnChannel() throws Exception {
        String line = ": " + "x".repeat(PersistentShell.MAX_LINE) + "; echo long-done";
        try (SshTransport ssh = persistentTransport(Map.of())) {
            CommandResult result = ssh.execute(server, Command.of(line).capturing(), OutputListener.IGNORE);

            assertThat(result.stdout()).isEqualTo("long-done\n");
            assertThat(started(host)).containsExactly(line);
        }
    }

    @Test
    void aCommandWhoseQuotesOrCharactersWouldOverflowTheExecRequestRunsOnItsOwnChannel() throws Exception {
        // 6,000 quotes take 78 KB in a new shell's exec request, 50,000 euro signs 150 KB: under MAX_LINE characters
        String quotes = "printf '%s' " + Shell.quote("'".repeat(6000)) + " | wc -c";
        try (SshTransport ssh = persistentTransport(Map.of())) {
            assertThat(ssh.execute(server, Command.of(quotes).capturing(), OutputListener.IGNORE).stdout().strip()).isEqualTo("6000");
            assertThat(started(host)).containsExactly(quotes);
        }
        assertThat(PersistentShell.suits(Command.of(": " + "\u20ac".repeat(50_000)))).isFalse();
        assertThat(PersistentShell.suits(Command.of(": " + "\u20ac".repeat(10_000)))).isTrue();
    }

    @Test
    void aNewShellsFirstCommandTravelsInItsExecRequest() throws Exception {
        try (SshTransport ssh = persistentTransport(Map.of())) {
            CommandResult first = ssh.execute(server, Command.of("echo first-command").capturing(),
                    OutputListener.IGNORE);
            CommandResult second = ssh.execute(server, Command.of("echo second-command").capturing(),
                    OutputListener.IGNORE);

            assertThat(first.stdout()).isEqualTo("first-command\n");
            assertThat(second.stdout()).isEqualTo("second-command\n");
            ServedChannel shell = host.channelsServed().getFirst();
            // The check and the first command came with the shell's exec request: neither waited for an answer (a
            // check's, or OpenSSH's go-ahead for stdin). Nothing reached stdin before the shell had answered: the
            // second command came after the first one's end.
            assertThat(shell.command()).startsWith(SHELL_START).contains("echo first-command")
                    .doesNotContain("echo second-command");
            assertThat(shell.earlyInput()).isEmpty();
        }
    }

    @Test
    void aHundredSequentialCommandsRunOnOneShell() throws Exception {
        try (SshTransport ssh = persistentTransport(Map.of())) {
            for (int i = 0; i < 100; i++) {
                ExecTest.Lines lines = new ExecTest.Lines();
                CommandResult result = ssh.execute(server, Command.of("echo out" + i + "; echo err" + i + " >&2; exit "
                        + (i % 4)), lines);

                assertThat(result.exitStatus()).isEqualTo(i % 4);
                assertThat(lines.of(Stream.STDOUT)).containsExactly("out" + i);
                assertThat(lines.of(Stream.STDERR)).containsExactly("err" + i);
            }

            assertThat(started(host)).containsExactly(SHELL_START);
            assertThat(host.connectionsAccepted()).isEqualTo(1);
            // The shell's channel and no other: no exec channel was opened, not even ahead of need.
            assertThat(host.channelsServed()).singleElement().extracting(ServedChannel::command).asString()
                    .startsWith(SHELL_START);
        }
    }

    @Test
    void twentyConcurrentCommandsRunAtOnceOnSeveralShells() throws Exception {
        try (SshTransport ssh = persistentTransport(Map.of("max_sessions", 10, "max_connections_per_host", 1,
                "command_timeout", 30))) {
            String barrier = "barrier-" + UUID.randomUUID();

            // The first ten wait on the host until ten are there: not one of them waits for another to finish.
            List<CommandResult> results = Concurrently.run(20, i -> ssh.execute(server,
                    Command.of(Concurrently.barrier(barrier, i, 10) + " && echo " + i).capturing(),
                    OutputListener.IGNORE));

            assertThat(results).allMatch(CommandResult::succeeded);
            assertThat(results).extracting(CommandResult::stdout)
                    .containsExactlyElementsOf(IntStream.range(0, 20).mapToObj(i -> i + "\n").toList());
            assertThat(host.connectionsAccepted()).isEqualTo(1);
            assertThat(host.peakChannels()).isEqualTo(10);
            assertThat(started(host)).allMatch(SHELL_START::equals).hasSizeBetween(10, 20);

            // Ten idle shells hold every slot now: a transfer and an exec channel still get theirs.
            ssh.put(server, "content".getBytes(StandardCharsets.UTF_8), "persistent-put.txt", null);
            Command withStdin = new Command("cat persistent-put.txt -", Map.of(), "+stdin".getBytes(), false, null,
                    true);
            assertThat(ssh.execute(server, withStdin, OutputListener.IGNORE).stdout()).isEqualTo("content+stdin");
            assertThat(host.peakChannels()).isEqualTo(10);
            assertThat(host.connectionsAccepted()).isEqualTo(1);
        }
    }

    @Test
    void commandsWithStdinPtyOrPromptGetTheirOwnChannel() throws Exception {
        Command withStdin = new Command("cat", Map.of(), "in".getBytes(), false, null, true);
        Command withPty = new Command("echo pty", Map.of(), null, true, null, true);
        Command withPrompt = Command.of("echo prompt").capturing().withPrompt(new Prompt("never shown: ", () -> "x"));

        assertThat(persistent.execute(server, withStdin, OutputListener.IGNORE).stdout()).isEqualTo("in");
        assertThat(persistent.execute(server, withPty, OutputListener.IGNORE).stdout()).isEqualTo("pty\n");
        assertThat(persistent.execute(server, withPrompt, OutputListener.IGNORE).stdout()).isEqualTo("prompt\n");
        assertThat(host.commandsRun()).containsExactly("cat", "echo pty", "echo prompt");
    }

    @Test
    void aTimedOutCommandIsStoppedAndTheNextOneGetsAFreshShell() throws Exception {
        String sleep = "sleep 31.125";
        try (SshTransport ssh = persistentTransport(Map.of())) {
            ssh.execute(server, Command.of("true"), OutputListener.IGNORE);
            long started = System.nanoTime();

            TransportException e = catchThrowableOfType(TransportException.class, () -> ssh.execute(server,
                    Command.of(sleep).withTimeout(Duration.ofSeconds(1)), OutputListener.IGNORE));

            assertThat(e.reason()).isEqualTo(Reason.COMMAND_TIMEOUT);
            assertThat(e.getMessage()).isEqualTo("`" + sleep + "` on 127.0.0.1:" + host.port()
                    + " did not finish within 1 s and was stopped");
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
            FailureTest.awaitGone(sleep);
            CommandResult next = ssh.execute(server, Command.of("echo next").capturing(), OutputListener.IGNORE);
            assertThat(next.stdout()).isEqualTo("next\n");
            assertThat(started(host)).containsExactly(SHELL_START, SHELL_START);
            assertThat(host.connectionsAccepted()).isEqualTo(1);
        }
    }

    @Test
    void aCommandWhoseShellTheServerRefusesToSignalIsNotReportedAsStopped() throws Exception {
        String sleep = "sleep 31.375";
        try (SshTestFleet root = SshTestFleet.start(1, SshTestHost.Options.defaults().withRefusedSignals());
             SshTransport ssh = new SshTransport(Fixtures.forFleet(root, home).set("ssh_persistent_shell", true)
                     .settings(), EventSink.NONE, PassphrasePrompt.NONE)) {
            Server rootServer = Fixtures.server(root.host(0));
            TransportException e = catchThrowableOfType(TransportException.class, () -> ssh.execute(rootServer,
                    Command.of(sleep).withTimeout(Duration.ofMillis(500)), OutputListener.IGNORE));

            assertThat(e.reason()).isEqualTo(Reason.COMMAND_TIMEOUT);
            assertThat(e.getMessage()).endsWith("did not finish within 500 ms; the server refused the signal to stop it"
                    + " (as OpenSSH does for a root or forced-command login), so it may still be running on "
                    + rootServer.label());
            assertThat(FailureTest.process(sleep)).isPresent();
        }
        FailureTest.awaitGone(sleep);
    }

    @Test
    void commandTimeoutVariableAppliesToo() throws Exception {
        try (SshTransport ssh = persistentTransport(Map.of("command_timeout", "0.5"))) {
            TransportException e = catchThrowableOfType(TransportException.class,
                    () -> ssh.execute(server, Command.of("sleep 31.25"), OutputListener.IGNORE));

            assertThat(e.reason()).isEqualTo(Reason.COMMAND_TIMEOUT);
            assertThat(e.getMessage()).endsWith("did not finish within 500 ms and was stopped");
            FailureTest.awaitGone("sleep 31.25");
        }
    }

    @Test
    void interruptingTheCallerEndsTheCommand() throws Exception {
        try (SshTransport ssh = persistentTransport(Map.of())) {
            ssh.execute(server, Command.of("true"), OutputListener.IGNORE);
            AtomicReference<Throwable> outcome = new AtomicReference<>();
            Thread caller = Thread.ofVirtual().start(() -> {
                try {
                    ssh.execute(server, Command.of("sleep 31.75"), OutputListener.IGNORE);
                } catch (Throwable t) {
                    outcome.set(t);
                }
            });
            FailureTest.awaitRunning("sleep 31.75");

            caller.interrupt();
            caller.join(Duration.ofSeconds(20));

            assertThat(caller.isAlive()).isFalse();
            assertThat(outcome.get()).isInstanceOf(InterruptedException.class);
            FailureTest.awaitGone("sleep 31.75");
            assertThat(ssh.execute(server, Command.of("true"), OutputListener.IGNORE).succeeded()).isTrue();
        }
    }

    @Test
    void aConnectionLostMidCommandIsReportedAsSuchAndTheNextCommandReconnects() throws Exception {
        try (SshTestFleet own = SshTestFleet.start(1)) {
            SshTestHost dropping = own.host(0);
            Server target = Fixtures.server(dropping);
            SshSettings settings = Fixtures.forFleet(own, home).set("ssh_persistent_shell", true).settings();
            try (SshTransport ssh = new SshTransport(settings, EventSink.NONE, PassphrasePrompt.NONE)) {
                ssh.execute(target, Command.of("true"), OutputListener.IGNORE);
                CompletableFuture<CommandResult> running = CompletableFuture.supplyAsync(() -> {
                    try {
                        return ssh.execute(target, Command.of("sleep 31.5"), OutputListener.IGNORE);
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                });
                FailureTest.awaitRunning("sleep 31.5");

                dropping.dropConnections();

                ExecutionException e = catchThrowableOfType(ExecutionException.class,
                        () -> running.get(20, TimeUnit.SECONDS));
                TransportException lost = (TransportException) e.getCause();
                assertThat(lost.reason()).isEqualTo(Reason.CONNECTION_LOST);
                assertThat(lost.getMessage()).isEqualTo("connection to 127.0.0.1:" + dropping.port()
                        + " lost while running `sleep 31.5`");
                CommandResult again = ssh.execute(target, Command.of("echo again").capturing(),
                        OutputListener.IGNORE);
                assertThat(again.stdout()).isEqualTo("again\n");
                assertThat(dropping.connectionsAccepted()).isEqualTo(2);
            }
        }
    }

    @Test
    void aListenerThatThrowsFailsItsCommandButNotTheShell() throws Exception {
        try (SshTransport ssh = persistentTransport(Map.of())) {
            IllegalStateException e = catchThrowableOfType(IllegalStateException.class,
                    () -> ssh.execute(server, Command.of("echo a; echo b"), (s, stream, line) -> {
                        throw new IllegalStateException("listener broke on " + line);
                    }));

            assertThat(e).hasMessage("listener broke on a");
            assertThat(ssh.execute(server, Command.of("echo fine").capturing(), OutputListener.IGNORE).stdout())
                    .isEqualTo("fine\n");
            assertThat(started(host)).containsExactly(SHELL_START);
        }
    }

    /** Everything a caller learns from a command, comparable across modes. */
    record Outcome(int exitStatus, List<String> stdoutLines, List<String> stderrLines, String stdout,
                   List<String> stderrTail) {

        static Outcome of(SshTransport ssh, Command command) throws InterruptedException {
            return of(ssh, server, command);
        }

        /** What {@code command} gives on {@code host}: its lines, exit status, captured stdout and stderr tail. */
        static Outcome of(SshTransport ssh, Server host, Command command) throws InterruptedException {
            ExecTest.Lines lines = new ExecTest.Lines();
            CommandResult r = ssh.execute(host, command, lines);
            return new Outcome(r.exitStatus(), lines.of(Stream.STDOUT), lines.of(Stream.STDERR), r.stdout(),
                    r.stderrTail());
        }
    }
}
