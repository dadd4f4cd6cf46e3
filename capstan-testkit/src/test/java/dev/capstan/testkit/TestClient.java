package dev.capstan.testkit;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.keyprovider.FileKeyPairProvider;
import org.apache.sshd.core.CoreModuleProperties;

/**
 * A MINA SSH client for the tests: TCP_NODELAY on, and a host key is only accepted when it equals the key of the
 * {@link SshTestHost} listening on that port.
 */
final class TestClient implements AutoCloseable {

    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final SshClient client = SshClient.setUpDefaultClient();
    private final Map<Integer, PublicKey> trusted = new ConcurrentHashMap<>();

    record Result(String out, String err, Integer exitStatus) {
    }

    TestClient() {
        CoreModuleProperties.TCP_NODELAY.set(client, true);
        client.setServerKeyVerifier((session, remote, key) -> {
            PublicKey expected = trusted.get(((InetSocketAddress) remote).getPort());
            return expected != null && KeyUtils.compareKeys(expected, key);
        });
        client.start();
    }

    /** Connects without authenticating. */
    ClientSession connect(SshTestHost host) throws IOException {
        trusted.put(host.port(), host.hostKey());
        return client.connect(host.user(), host.hostAddress(), host.port()).verify(TIMEOUT).getSession();
    }

    /** Connects and logs in with the key read back from the private key file, as a real client would. */
    ClientSession login(SshTestHost host, Path identityFile) throws IOException {
        ClientSession session = connect(host);
        session.addPublicKeyIdentity(load(identityFile));
        session.auth().verify(TIMEOUT);
        return session;
    }

    ClientSession login(SshTestHost host) throws IOException {
        return login(host, ClientKey.shared().privateKeyFile());
    }

    static KeyPair load(Path privateKeyFile) {
        return new FileKeyPairProvider(privateKeyFile).loadKeys(null).iterator().next();
    }

    /** Runs a command to the end, sending {@code stdin} (if any) followed by EOF. */
    static Result exec(ClientSession session, String command, String stdin) throws IOException {
        try (ChannelExec channel = session.createExecChannel(command)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            channel.setOut(out);
            channel.setErr(err);
            channel.open().verify(TIMEOUT);
            try (OutputStream in = channel.getInvertedIn()) {
                if (stdin != null) {
                    in.write(stdin.getBytes(UTF_8));
                    in.flush();
                }
            } // closing it sends EOF
            channel.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), TIMEOUT);
            return new Result(out.toString(UTF_8), err.toString(UTF_8), channel.getExitStatus());
        }
    }

    static Result exec(ClientSession session, String command) throws IOException {
        return exec(session, command, null);
    }

    @Override
    public void close() {
        client.stop();
    }
}
