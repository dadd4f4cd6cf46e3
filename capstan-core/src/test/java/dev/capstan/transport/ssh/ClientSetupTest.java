package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capstan.event.Event;
import dev.capstan.testkit.SshTestFleet;
import dev.capstan.transport.Command;
import dev.capstan.transport.OutputListener;
import java.nio.file.Path;
import java.util.List;
import org.apache.sshd.client.ClientBuilder;
import org.apache.sshd.common.kex.KeyExchangeFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientSetupTest {

    @TempDir
    Path home;

    @Test
    void prefersTheCheapKeyExchangesOverSntrup() {
        List<String> names = ClientSetup.preferFastKex(ClientBuilder.setUpDefaultKeyExchanges(true)).stream()
                .map(KeyExchangeFactory::getName).toList();

        assertThat(names).startsWith("mlkem768x25519-sha256", "curve25519-sha256", "curve25519-sha256@libssh.org");
        assertThat(names.indexOf("sntrup761x25519-sha512")).isGreaterThan(2);
    }

    @Test
    void negotiatesMlKemWithAServerThatOffersIt() throws Exception {
        Fixtures.Events events = new Fixtures.Events();
        try (SshTestFleet fleet = SshTestFleet.start(1);
                SshTransport ssh = new SshTransport(Fixtures.forFleet(fleet, home).settings(), events,
                        PassphrasePrompt.NONE)) {
            ssh.execute(Fixtures.server(fleet.host(0)), Command.of("true"), OutputListener.IGNORE);
        }

        assertThat(events.logs(Event.Level.DEBUG))
                .anyMatch(m -> m.startsWith("connected to ") && m.contains("(key exchange mlkem768x25519-sha256)"));
        assertThat(events.all).anyMatch(e -> e instanceof Event.ConnectionOpened);
    }
}
