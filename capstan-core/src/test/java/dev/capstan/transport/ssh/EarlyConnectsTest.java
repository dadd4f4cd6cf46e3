package dev.capstan.transport.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.sshd.client.SshClient;
import org.junit.jupiter.api.Test;

/** Connections started before the SSH client exists: what reaches the server, and what is left behind. */
class EarlyConnectsTest {

    @Test
    void theServerGetsMinasOwnIdentificationLineAtOnceAndAnUntakenSocketIsClosed() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            EarlyConnects early = EarlyConnects.open();
            CompletableFuture<AsynchronousSocketChannel> socket =
                    early.start(new InetSocketAddress(listener.getInetAddress(), listener.getLocalPort()));
            try (Socket accepted = listener.accept()) {
                accepted.setSoTimeout(5_000);
                BufferedReader in = new BufferedReader(
                        new InputStreamReader(accepted.getInputStream(), StandardCharsets.US_ASCII));

                // The line MINA's session would have sent itself, which it then must not send again.
                assertThat(in.readLine()).isEqualTo("SSH-2.0-" + SshClient.setUpDefaultClient().getVersion());
                assertThat(socket.get(5, TimeUnit.SECONDS).isOpen()).isTrue();

                early.close(); // no session took it: closed with the transport
                assertThat(in.read()).isEqualTo(-1);
            }
        }
    }

    @Test
    void aRefusedConnectionFailsAsMinasOwnConnectWould() throws Exception {
        int closedPort;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = probe.getLocalPort();
        }
        try (EarlyConnects early = EarlyConnects.open()) {
            Throwable failure = catchThrowable(() -> early.start(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), closedPort)).get(5, TimeUnit.SECONDS));

            // ConnectFailures words a ConnectException anywhere in the chain as "connection refused".
            assertThat(failure).hasRootCauseInstanceOf(ConnectException.class);
        }
    }
}
