package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;

import dev.capstan.event.EventSink;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.common.channel.RequestHandler;
import org.apache.sshd.common.session.ConnectionService;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * sshd's list of its host keys after login is answered at once, so that its answer to the first channel open is not
 * held back until a delayed ACK ({@link OpenSshTest} shows the effect against real sshd).
 */
class HostKeysNoticeTest {

    @TempDir
    Path home;

    @Test
    void sshdsListOfHostKeysIsAnsweredWithAnIgnoreMessage() throws Exception {
        AtomicInteger ignores = new AtomicInteger();
        Session session = (Session) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Session.class},
                (proxy, method, args) -> {
                    if (method.getName().equals("sendIgnoreMessage")) {
                        ignores.incrementAndGet();
                    }
                    return null;
                });
        ConnectionService service = (ConnectionService) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ConnectionService.class},
                (proxy, method, args) -> method.getName().equals("getSession") ? session : null);
        ClientSetup.HostKeysNotice notice = new ClientSetup.HostKeysNotice();

        assertThat(notice.process(service, "hostkeys-00@openssh.com", false, new ByteArrayBuffer()))
                .isEqualTo(RequestHandler.Result.Replied);
        assertThat(notice.process(service, "keepalive@openssh.com", true, new ByteArrayBuffer()))
                .isEqualTo(RequestHandler.Result.Unsupported);
        assertThat(ignores).hasValue(1);
    }

    @Test
    void theClientUsesIt() {
        SshSettings settings = Fixtures.forFleetless(home).settings();
        EventLog log = new EventLog(EventSink.NONE);
        try (EarlyConnects early = EarlyConnects.open()) {
            SshClient client = ClientSetup.newClient(settings, new HostKeyVerifier(settings, log),
                    new AgentConnector(null, log), early);
            try {
                assertThat(client.getGlobalRequestHandlers()).singleElement()
                        .isInstanceOf(ClientSetup.HostKeysNotice.class);
            } finally {
                client.stop();
            }
        }
    }
}
