package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capstan.Server;
import dev.capstan.event.EventSink;
import dev.capstan.testkit.SshTestFleet;
import dev.capstan.testkit.SshTestHost;
import dev.capstan.transport.Command;
import dev.capstan.transport.CommandResult;
import dev.capstan.transport.OutputListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Servers behind a jump host ({@code gateway} or ssh config ProxyJump) share one connection to it. */
class JumpHostTest {

    @TempDir
    Path home;

    @Test
    void serversBehindTheGatewayShareOneConnectionToIt() throws Exception {
        try (SshTestFleet fleet = SshTestFleet.start(3)) {
            SshTestHost gateway = fleet.host(0);
            SshSettings settings = Fixtures.forFleet(fleet, home).set("gateway", gateway.spec()).settings();
            try (SshTransport ssh = new SshTransport(settings, EventSink.NONE, PassphrasePrompt.NONE)) {
                List<CommandResult> results = Concurrently.run(10, i -> ssh.execute(
                        Fixtures.server(fleet.host(1 + i % 2)), Command.of("echo behind").capturing(),
                        OutputListener.IGNORE));

                assertThat(results).allMatch(r -> r.stdout().equals("behind\n"));
            }
            assertThat(gateway.connectionsAccepted()).isEqualTo(1);
            assertThat(gateway.commandsRun()).isEmpty();
            assertThat(fleet.host(1).connectionsAccepted()).isEqualTo(1);
            assertThat(fleet.host(2).connectionsAccepted()).isEqualTo(1);
            assertThat(fleet.host(1).commandsRun()).hasSize(5);
        }
    }

    @Test
    void theGatewayItselfIsReachedDirectly() throws Exception {
        try (SshTestFleet fleet = SshTestFleet.start(2)) {
            SshTestHost gateway = fleet.host(0);
            SshSettings settings = Fixtures.forFleet(fleet, home).set("gateway", gateway.spec()).settings();
            try (SshTransport ssh = new SshTransport(settings, EventSink.NONE, PassphrasePrompt.NONE)) {
                ssh.execute(Fixtures.server(gateway), Command.of("true"), OutputListener.IGNORE);
                ssh.execute(Fixtures.server(fleet.host(1)), Command.of("true"), OutputListener.IGNORE);
            }
            assertThat(gateway.connectionsAccepted()).isEqualTo(1);
            assertThat(gateway.commandsRun()).containsExactly("true");
        }
    }

    @Test
    void followsSshConfigHostNamePortUserIdentityAndProxyJump() throws Exception {
        try (SshTestFleet fleet = SshTestFleet.start(2)) {
            SshTestHost bastion = fleet.host(0);
            SshTestHost web = fleet.host(1);
            Path config = Files.writeString(home.resolve("config"), """
                    Host bastion
                      HostName 127.0.0.1
                      Port %d
                    Host web
                      HostName 127.0.0.1
                      Port %d
                      User deployer
                      ProxyJump bastion
                    Host *
                      IdentityFile %s
                    """.formatted(bastion.port(), web.port(), fleet.identityFile()));
            SshSettings settings = Fixtures.forFleet(fleet, home)
                    .unset("ssh_identity") // the key comes from IdentityFile alone
                    .set("ssh_config", config.toString())
                    .settings();
            try (SshTransport ssh = new SshTransport(settings, EventSink.NONE, PassphrasePrompt.NONE)) {
                CommandResult result = ssh.execute(Server.parse("web"), Command.of("echo $USER").capturing(),
                        OutputListener.IGNORE);

                assertThat(result.stdout()).isEqualTo("deployer\n");
            }
            assertThat(bastion.connectionsAccepted()).isEqualTo(1);
            assertThat(bastion.commandsRun()).isEmpty();
            assertThat(web.commandsRun()).containsExactly("echo $USER");
        }
    }
}
