package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.capstan.Server;
import dev.capstan.testkit.fleet.SimulatedFleet;
import dev.capstan.transport.Command;
import dev.capstan.transport.OutputListener;
import dev.capstan.transport.TransportException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host whose shell does not run capstan's persistent-shell protocol (here: a simulated host that forces every channel
 * to run one command, as a restricted account's {@code ForceCommand} does) fails with a clear message within the
 * connect timeout: nothing waits forever.
 */
class PersistentShellProbeTest {

    @Test
    void aShellThatDoesNotSpeakTheProtocolFailsClearlyInsteadOfHanging(@TempDir Path dir) throws Exception {
        try (SimulatedFleet fleet = SimulatedFleet.start(SimulatedFleet.Options.defaults().withHosts(1).withDir(dir.resolve("fleet")))) {
            Fixtures fixtures = Fixtures.forFleetless(dir)
                    .set("ssh_known_hosts", fleet.knownHostsFile().toString())
                    .set("ssh_identity", fleet.identityFile().toString())
                    .set("ssh_persistent_shell", true)
                    .set("connect_timeout", 2);
            Server server = Server.parse(fleet.hosts().get(0).spec());
            fleet.hosts().get(0).forceCommand("echo \"this account only shows its status\"; cat >/dev/null");
            try (SshTransport ssh = new SshTransport(fixtures.settings(), new Fixtures.Events(), PassphrasePrompt.NONE)) {
                assertThatThrownBy(() -> ssh.execute(server, Command.of("echo hi"), OutputListener.IGNORE))
                        .isInstanceOf(TransportException.class)
                        .hasMessageContaining("does not answer capstan's persistent-shell protocol")
                        .hasMessageContaining("run without ssh_persistent_shell");
            }
            fleet.hosts().get(0).forceCommand(null);
            // the same host works without the mode: the connection itself is fine
            Fixtures plain = Fixtures.forFleetless(dir)
                    .set("ssh_known_hosts", fleet.knownHostsFile().toString())
                    .set("ssh_identity", fleet.identityFile().toString());
            try (SshTransport ssh = new SshTransport(plain.settings(), new Fixtures.Events(), PassphrasePrompt.NONE)) {
                assertThat(ssh.execute(server, Command.of("echo hi").capturing(), OutputListener.IGNORE).stdout()).isEqualTo("hi\n");
            }
        }
    }
}
