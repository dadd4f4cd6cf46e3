package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.capstan.Server;
import dev.capstan.Shell;
import dev.capstan.event.EventSink;
import dev.capstan.testkit.SshTestFleet;
import dev.capstan.testkit.SshTestHost;
import dev.capstan.transport.Command;
import dev.capstan.transport.CommandResult;
import dev.capstan.transport.OutputListener;
import dev.capstan.transport.Prompt;
import dev.capstan.transport.Stream;
import dev.capstan.transport.Transport;
import dev.capstan.transport.TransportException;
import dev.capstan.transport.local.LocalTransport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * sudo's password prompt answered over SSH, against a stand-in for sudo on the test host (which has no terminal,
 * so the stand-in talks over plain pipes, prompt without a newline and all, the way sudo does on a pty).
 */
class SudoPromptTest {

    /** What the engine asks sudo to print. */
    static final String MARKER = "[capstan] sudo password: ";

    /**
     * Mimics sudo: {@code -p PROMPT}, {@code -u USER}, {@code --}, then the command. Asks for "secret" up to three
     * times; after reading a password it ends the prompt's line (sudo does, echo being off), or echoes what was
     * typed with FAKE_SUDO_ECHO (as a terminal with echo on would), or leaves both to a real terminal that echoes
     * with FAKE_SUDO_TTY_ECHO. FAKE_SUDO_NOPASSWD skips the question, FAKE_SUDO_SPLIT prints the prompt in two
     * pieces 0.2 s apart, FAKE_SUDO_STTY turns terminal echo off before prompting until the password is read, as sudo does.
     */
    static final String FAKE_SUDO = """
            #!/bin/sh
            prompt='Password: '
            while [ $# -gt 0 ]; do
              case $1 in
                -p) prompt=$2; shift 2 ;;
                -u) shift 2 ;;
                --) shift; break ;;
                *) break ;;
              esac
            done
            tries=0
            while [ -z "$FAKE_SUDO_NOPASSWD" ]; do
              [ -n "$FAKE_SUDO_STTY" ] && stty -echo
              if [ -n "$FAKE_SUDO_SPLIT" ]; then
                printf '%s' "$prompt" | head -c 7; sleep 0.2; printf '%s' "$prompt" | tail -c +8
              else
                printf '%s' "$prompt"
              fi
              IFS= read -r pw || { echo 'sudo: no password was provided' >&2; exit 1; }
              [ -n "$FAKE_SUDO_STTY" ] && stty echo
              if [ -n "$FAKE_SUDO_ECHO" ]; then printf '%s\\n' "$pw"; elif [ -z "$FAKE_SUDO_TTY_ECHO" ]; then printf '\\n'; fi
              [ "$pw" = secret ] && break
              tries=$((tries + 1))
              echo 'Sorry, try again.'
              [ $tries -lt 3 ] || { echo 'sudo: 3 incorrect password attempts' >&2; exit 1; }
            done
            exec "$@"
            """;

    @TempDir
    static Path home;

    private static SshTestFleet fleet;
    private static SshTransport ssh;
    private static Server server;
    private static String path;

    @BeforeAll
    static void start() throws Exception {
        fleet = SshTestFleet.start(1);
        SshTestHost host = fleet.host(0);
        path = installFakeSudo(host.root()) + ":" + System.getenv("PATH");
        ssh = new SshTransport(Fixtures.forFleet(fleet, home).set("command_timeout", 20).settings(), EventSink.NONE,
                PassphrasePrompt.NONE);
        server = Fixtures.server(host);
    }

    @AfterAll
    static void stop() {
        ssh.close();
        fleet.close();
    }

    static String installFakeSudo(Path root) throws IOException {
        Path bin = Files.createDirectories(root.resolve("fake-sudo-bin"));
        Path sudo = Files.writeString(bin.resolve("sudo"), FAKE_SUDO);
        Files.setPosixFilePermissions(sudo, PosixFilePermissions.fromString("rwxr-xr-x"));
        return bin.toString();
    }

    /** A sudo call as the engine makes it: prompt chosen by capstan, pty requested. */
    static Command sudo(String command, Map<String, String> env, Supplier<String> answer) {
        return new Command("sudo -p " + Shell.quote(MARKER) + " -- sh -c " + Shell.quote(command), env, null, true,
                null, true, new Prompt(MARKER, answer));
    }

    private static Map<String, String> env(String... more) {
        Map<String, String> env = new HashMap<>(Map.of("PATH", path));
        for (String name : more) {
            env.put(name, "1");
        }
        return env;
    }

    @Test
    void theRightPasswordRunsTheCommandAndNeitherPromptNorPasswordIsOutput() throws Exception {
        Counting answer = new Counting("secret");
        ExecTest.Lines lines = new ExecTest.Lines();

        CommandResult result = ssh.execute(server, sudo("echo ran; echo note >&2; printf tail", env(), answer),
                lines);

        assertThat(result.exitStatus()).isZero();
        assertThat(lines.of(Stream.STDOUT)).containsExactly("ran", "tail");
        assertThat(lines.of(Stream.STDERR)).containsExactly("note");
        assertThat(result.stdout()).isEqualTo("ran\ntail");
        assertThat(answer.calls.get()).isEqualTo(1);
    }

    @Test
    void aPromptCutIntoPiecesAndAnEchoedPasswordAreBothHidden() throws Exception {
        ExecTest.Lines lines = new ExecTest.Lines();

        CommandResult result = ssh.execute(server,
                sudo("echo ran", env("FAKE_SUDO_SPLIT", "FAKE_SUDO_ECHO"), () -> "secret"), lines);

        assertThat(result.exitStatus()).isZero();
        assertThat(lines.all).extracting(l -> l[1]).containsExactly("ran");
        assertThat(result.stdout()).isEqualTo("ran\n");
    }

    @Test
    void noAnswerEndsTheCommandWithAClearFailure() throws Exception {
        long started = System.nanoTime();
        ExecTest.Lines lines = new ExecTest.Lines();

        TransportException e = catchThrowableOfType(TransportException.class,
                () -> ssh.execute(server, sudo("echo never", env(), () -> null), lines));

        assertThat(e.getMessage()).isEqualTo("sudo on " + server.label() + " asked for a password: set"
                + " sudo_password (cap.secret) or run capstan from a terminal");
        assertThat(e.reason()).isEqualTo(TransportException.Reason.OTHER);
        assertThat(e.server()).isEqualTo(server);
        assertThat(lines.all).extracting(l -> l[1]).doesNotContain("never");
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void aRefusedPasswordFailsWithoutAskingAgainOrHanging() throws Exception {
        Counting answer = new Counting("wrong-password");
        ExecTest.Lines lines = new ExecTest.Lines();
        long started = System.nanoTime();

        TransportException e = catchThrowableOfType(TransportException.class,
                () -> ssh.execute(server, sudo("echo never", env("FAKE_SUDO_ECHO"), answer), lines));

        assertThat(e.getMessage()).isEqualTo("sudo on " + server.label() + " refused the password");
        assertThat(e.getMessage()).doesNotContain("wrong-password");
        assertThat(answer.calls.get()).isEqualTo(1);
        assertThat(lines.all).extracting(l -> l[1])
                .noneMatch(l -> l.contains("wrong-password") || l.contains(MARKER) || l.equals("never"));
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
        // The connection serves the next command.
        assertThat(ssh.execute(server, Command.of("true"), OutputListener.IGNORE).succeeded()).isTrue();
    }

    @Test
    void theAnswerIsNotAskedForWhenNoPromptAppears() throws Exception {
        Counting answer = new Counting("secret");

        CommandResult result = ssh.execute(server, sudo("echo ran", env("FAKE_SUDO_NOPASSWD"), answer),
                OutputListener.IGNORE);

        assertThat(result.stdout()).isEqualTo("ran\n");
        assertThat(answer.calls.get()).isZero();
    }

    @Test
    void aFailingCommandUnderSudoKeepsItsExitStatusAndStderr() throws Exception {
        CommandResult result = ssh.execute(server, sudo("echo broken >&2; exit 4", env(), () -> "secret"),
                OutputListener.IGNORE);

        assertThat(result.exitStatus()).isEqualTo(4);
        assertThat(result.stderrTail()).containsExactly("broken");
    }

    /** The same protocol on local processes (no terminal there: the prompt arrives on a pipe, as here). */
    @Test
    void localProcessesAnswerTheSamePrompt() throws Exception {
        Server local = Server.parse("localhost").withProperty("local", true);
        Transport transport = new LocalTransport();
        Counting answer = new Counting("secret");
        ExecTest.Lines lines = new ExecTest.Lines();

        CommandResult ran = transport.execute(local,
                sudo("echo ran; printf tail", env("FAKE_SUDO_SPLIT"), answer), lines);
        TransportException none = catchThrowableOfType(TransportException.class,
                () -> transport.execute(local, sudo("echo never", env(), () -> null), OutputListener.IGNORE));
        TransportException refused = catchThrowableOfType(TransportException.class,
                () -> transport.execute(local, sudo("echo never", env("FAKE_SUDO_ECHO"), () -> "wrong"),
                        OutputListener.IGNORE));
        Counting unused = new Counting("secret");
        CommandResult noPrompt = transport.execute(local, sudo("echo ran", env("FAKE_SUDO_NOPASSWD"), unused),
                OutputListener.IGNORE);

        assertThat(ran.exitStatus()).isZero();
        assertThat(lines.all).extracting(l -> l[1]).containsExactly("ran", "tail");
        assertThat(ran.stdout()).isEqualTo("ran\ntail");
        assertThat(answer.calls.get()).isEqualTo(1);
        assertThat(none.getMessage()).isEqualTo("sudo on localhost asked for a password: set sudo_password"
                + " (cap.secret) or run capstan from a terminal");
        assertThat(refused.getMessage()).isEqualTo("sudo on localhost refused the password");
        assertThat(noPrompt.stdout()).isEqualTo("ran\n");
        assertThat(unused.calls.get()).isZero();
    }

    /** Counts how often the answer was asked for. */
    static final class Counting implements Supplier<String> {
        final AtomicInteger calls = new AtomicInteger();
        private final String answer;

        Counting(String answer) {
            this.answer = answer;
        }

        @Override
        public String get() {
            calls.incrementAndGet();
            return answer;
        }
    }
}
