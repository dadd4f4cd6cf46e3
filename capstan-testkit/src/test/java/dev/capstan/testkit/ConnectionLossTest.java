package dev.capstan.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;

import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.session.ClientSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConnectionLossTest {

    private static final Duration QUICKLY = Duration.ofSeconds(3);
    /** The sleep runs as a child of the shell, so killing only the shell would leave it behind. */
    private static final String LONG_COMMAND = "sleep 30 & echo $!; wait";

    @Test
    void droppedConnectionEndsTheClientSessionAndKillsTheCommand() throws IOException {
        try (SshTestHost host = SshTestHost.start(); TestClient client = new TestClient()) {
            ClientSession session = client.login(host);
            ChannelExec channel = session.createExecChannel(LONG_COMMAND);
            channel.open().verify(TestClient.TIMEOUT);
            long sleepPid = readPid(channel);
            assertThat(Eventually.processGone(sleepPid)).isFalse();

            host.dropConnections();

            assertThat(channel.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), QUICKLY))
                    .contains(ClientChannelEvent.CLOSED);
            assertThat(Eventually.within(QUICKLY, session::isClosed)).isTrue();
            assertThat(Eventually.within(QUICKLY, () -> Eventually.processGone(sleepPid))).isTrue();
            assertThat(host.openConnections()).isZero();

            // The host itself is still up: a reconnect works.
            assertThat(TestClient.exec(client.login(host), "echo back").out()).isEqualTo("back\n");
            assertThat(host.connectionsAccepted()).isEqualTo(2);
        }
    }

    @Test
    void closingTheChannelKillsTheCommand() throws IOException {
        try (SshTestHost host = SshTestHost.start(); TestClient client = new TestClient()) {
            ClientSession session = client.login(host);
            ChannelExec channel = session.createExecChannel(LONG_COMMAND);
            channel.open().verify(TestClient.TIMEOUT);
            long sleepPid = readPid(channel);

            channel.close(false).await(TestClient.TIMEOUT);

            assertThat(Eventually.within(QUICKLY, () -> Eventually.processGone(sleepPid))).isTrue();
            assertThat(session.isOpen()).isTrue();
        }
    }

    @Test
    void closingTheHostKillsCommandsAndDeletesItsTemporaryRoot() throws IOException {
        TestClient client = new TestClient();
        SshTestHost host = SshTestHost.start();
        try (client; host) {
            ClientSession session = client.login(host);
            ChannelExec channel = session.createExecChannel(LONG_COMMAND);
            channel.open().verify(TestClient.TIMEOUT);
            long sleepPid = readPid(channel);
            Files.writeString(host.root().resolve("left-over"), "x");

            host.close();

            assertThat(Eventually.within(QUICKLY, () -> Eventually.processGone(sleepPid))).isTrue();
            assertThat(host.root()).doesNotExist();
            assertThat(Eventually.within(QUICKLY, session::isClosed)).isTrue();
        }
    }

    @Test
    void aGivenRootIsCreatedAndKept(@TempDir Path dir) throws IOException {
        Path root = dir.resolve("web1");
        try (SshTestHost host = SshTestHost.start(SshTestHost.Options.defaults().withRoot(root))) {
            assertThat(host.root()).isEqualTo(root.toRealPath());
        }
        assertThat(root).isDirectory();
    }

    private static long readPid(ChannelExec channel) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(channel.getInvertedOut(), UTF_8));
        return Long.parseLong(out.readLine().trim());
    }
}
