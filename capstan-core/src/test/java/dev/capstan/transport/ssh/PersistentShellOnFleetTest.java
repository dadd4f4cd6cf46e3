package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.capstan.Server;
import dev.capstan.event.EventSink;
import dev.capstan.testkit.fleet.FleetHost;
import dev.capstan.testkit.fleet.SimulatedFleet;
import dev.capstan.transport.Command;
import dev.capstan.transport.CommandResult;
import dev.capstan.transport.OutputListener;
import dev.capstan.transport.Stream;
import dev.capstan.transport.TransportException;
import dev.capstan.transport.TransportException.Reason;
import dev.capstan.transport.ssh.PersistentShellTest.Outcome;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code ssh_persistent_shell} on the simulated fleet, whose emulated shell runs capstan's protocol (descriptor 3,
 * {@code exec} with redirections, a job waited for by its process id, {@code exec sh} reading stdin): commands give
 * what they give on channels of their own, one shell serves them all, and a timeout stops the shell as it does on
 * OpenSSH. The benchmark's persistent-shell scenarios on the simulated fleet stand on this.
 */
class PersistentShellOnFleetTest {

    @TempDir
    static Path dir;

    private static SimulatedFleet fleet;
    private static FleetHost host;
    private static Server server;
    private static SshTransport normal;
    private static SshTransport persistent;

    @BeforeAll
    static void start() throws Exception {
        fleet = SimulatedFleet.start(SimulatedFleet.Options.defaults().withHosts(1).withDir(dir.resolve("fleet")));
        host = fleet.hosts().get(0);
        server = Server.parse(host.spec());
        normal = transport(Map.of());
        persistent = transport(Map.of("ssh_persistent_shell", true));
    }

    @AfterAll
    static void stop() {
        persistent.close();
        normal.close();
        fleet.close();
    }

    private static SshTransport transport(Map<String, Object> settings) {
        Fixtures fixtures = Fixtures.forFleetless(dir)
                .set("ssh_known_hosts", fleet.knownHostsFile().toString())
                .set("ssh_identity", fleet.identityFile().toString());
        settings.forEach(fixtures::set);
        return new SshTransport(fixtures.settings(), EventSink.NONE, PassphrasePrompt.NONE);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "echo one; echo two >&2; printf 'three\\nfour'; exit 3",
        "printf 'no newline at the end'",
        "printf 'on stderr without newline' >&2; exit 1",
        "true",
        "for i in 1 2 3 4; do echo err$i >&2; done; false",
        "pwd; echo \"$HOME\"; cd /tmp && pwd",
        "cat; echo finished",
        "sleep 0.1 & echo started; wait; echo waited",
        "seq 1 5000; seq 1 300 >&2",
        "exec echo replaced",
    })
    void aCommandGivesTheSameResultAsOnItsOwnChannel(String line) throws Exception {
        Command command = Command.of(line).capturing();

        Outcome expected = Outcome.of(normal, server, command);
        Outcome onAShellInUse = Outcome.of(persistent, server, command);
        Outcome onANewShell;
        try (SshTransport fresh = transport(Map.of("ssh_persistent_shell", true))) {
            onANewShell = Outcome.of(fresh, server, command);
        }

        assertThat(onAShellInUse).isEqualTo(expected);
        assertThat(onANewShell).isEqualTo(expected);
    }

    @Test
    void fiftySequentialCommandsRunOnOneShellAndChangeNothingForTheNext() throws Exception {
        String home = normal.execute(server, Command.of("pwd").capturing(), OutputListener.IGNORE).stdout();
        try (SshTransport ssh = transport(Map.of("ssh_persistent_shell", true))) {
            long channelsBefore = host.commandsRun();
            for (int i = 0; i < 50; i++) {
                ExecTest.Lines lines = new ExecTest.Lines();
                CommandResult result = ssh.execute(server, Command.of("echo out" + i + "; echo err" + i + " >&2; "
                        + "export LEAK=" + i + "; cd /tmp; exit " + (i % 4)), lines);

                assertThat(result.exitStatus()).isEqualTo(i % 4);
                assertThat(lines.of(Stream.STDOUT)).containsExactly("out" + i);
                assertThat(lines.of(Stream.STDERR)).containsExactly("err" + i);
            }
            CommandResult after = ssh.execute(server, Command.of("echo ${LEAK:-unset} $(pwd)").capturing(),
                    OutputListener.IGNORE);

            assertThat(after.stdout()).isEqualTo("unset " + home);
            assertThat(host.commandsRun() - channelsBefore).as("channels that ran a command").isEqualTo(1);
        }
    }

    @Test
    void aTimedOutCommandIsStoppedAndTheNextOneGetsAFreshShell() throws Exception {
        try (SshTransport ssh = transport(Map.of("ssh_persistent_shell", true))) {
            ssh.execute(server, Command.of("true"), OutputListener.IGNORE);
            long channelsBefore = host.commandsRun();

            TransportException e = catchThrowableOfType(TransportException.class, () -> ssh.execute(server,
                    Command.of("sleep 30").withTimeout(Duration.ofSeconds(1)), OutputListener.IGNORE));
            CommandResult next = ssh.execute(server, Command.of("echo next").capturing(), OutputListener.IGNORE);

            assertThat(e.reason()).isEqualTo(Reason.COMMAND_TIMEOUT);
            assertThat(e.getMessage()).endsWith("did not finish within 1 s and was stopped");
            assertThat(next.stdout()).isEqualTo("next\n");
            assertThat(host.commandsRun() - channelsBefore).as("shells started").isEqualTo(1);
        }
    }
}
