package dev.capstan.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.SshException;
import org.apache.sshd.common.channel.exception.SshChannelOpenException;
import org.junit.jupiter.api.Test;

class ChannelCountingTest {

    private static final Duration SETTLE = Duration.ofSeconds(5);

    @Test
    void countsOneConnectionWithFiveConcurrentChannels() throws IOException {
        try (SshTestHost host = SshTestHost.start(); TestClient client = new TestClient()) {
            ClientSession session = client.login(host);
            List<ChannelExec> channels = openWaiting(session, 5);

            assertThat(Eventually.within(SETTLE, () -> host.peakChannels() == 5)).isTrue();
            assertThat(host.connectionsAccepted()).isEqualTo(1);
            assertThat(host.openConnections()).isEqualTo(1);
            assertThat(host.peakChannelsTotal()).isEqualTo(5);

            closeAll(channels);
            session.close(false).await(TestClient.TIMEOUT);
            assertThat(Eventually.within(SETTLE, () -> host.openConnections() == 0)).isTrue();
            assertThat(host.connectionsAccepted()).isEqualTo(1);
            assertThat(host.peakChannels()).isEqualTo(5);
        }
    }

    @Test
    void peakPerConnectionAndPeakAcrossConnectionsDiffer() throws IOException {
        try (SshTestHost host = SshTestHost.start(); TestClient client = new TestClient()) {
            ClientSession first = client.login(host);
            ClientSession second = client.login(host);
            List<ChannelExec> channels = new ArrayList<>(openWaiting(first, 2));
            channels.addAll(openWaiting(second, 3));

            assertThat(Eventually.within(SETTLE, () -> host.peakChannelsTotal() == 5)).isTrue();
            assertThat(host.peakChannels()).isEqualTo(3);
            assertThat(host.connectionsAccepted()).isEqualTo(2);
            assertThat(host.openConnections()).isEqualTo(2);

            closeAll(channels.subList(2, 5)); // all of the second connection's channels
            host.resetCounters();
            assertThat(host.connectionsAccepted()).isZero();
            assertThat(host.peakChannels()).isEqualTo(2); // what is still open on the first connection
            assertThat(host.peakChannelsTotal()).isEqualTo(2);
            assertThat(host.openConnections()).isEqualTo(2);
            closeAll(channels.subList(0, 2));
        }
    }

    @Test
    void channelsBeyondTheLimitAreRefusedButTheConnectionSurvives() throws IOException {
        SshTestHost.Options options = SshTestHost.Options.defaults().withMaxChannels(2);
        try (SshTestHost host = SshTestHost.start(options); TestClient client = new TestClient()) {
            ClientSession session = client.login(host);
            List<ChannelExec> channels = openWaiting(session, 2);

            ChannelExec third = session.createExecChannel("echo three");
            assertThatThrownBy(() -> third.open().verify(TestClient.TIMEOUT))
                    .isInstanceOf(SshException.class)
                    .cause()
                    .isInstanceOfSatisfying(SshChannelOpenException.class, e -> assertThat(e.getReasonCode())
                            .isEqualTo(SshConstants.SSH_OPEN_ADMINISTRATIVELY_PROHIBITED));
            assertThat(session.isOpen()).isTrue();

            closeAll(channels.subList(0, 1));
            assertThat(TestClient.exec(session, "echo later").out()).isEqualTo("later\n");
            assertThat(host.connectionsAccepted()).isEqualTo(1);
            assertThat(host.peakChannels()).isEqualTo(2);
            closeAll(channels.subList(1, 2));
        }
    }

    /** Opens {@code n} channels each running {@code cat}, which lives until its stdin is closed. */
    private static List<ChannelExec> openWaiting(ClientSession session, int n) throws IOException {
        List<ChannelExec> channels = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ChannelExec channel = session.createExecChannel("cat");
            channel.open().verify(TestClient.TIMEOUT);
            channels.add(channel);
        }
        return channels;
    }

    /** Ends each {@code cat} with EOF and waits until its channel is closed on both sides. */
    private static void closeAll(List<ChannelExec> channels) throws IOException {
        for (ChannelExec channel : channels) {
            channel.getInvertedIn().close();
        }
        for (ChannelExec channel : channels) {
            assertThat(channel.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), TestClient.TIMEOUT))
                    .contains(ClientChannelEvent.CLOSED);
            assertThat(channel.getExitStatus()).isZero();
        }
    }
}
