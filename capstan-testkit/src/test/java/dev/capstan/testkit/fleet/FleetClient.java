package dev.capstan.testkit.fleet;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.keyverifier.KnownHostsServerKeyVerifier;
import org.apache.sshd.client.keyverifier.RejectAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.keyprovider.FileKeyPairProvider;
import org.apache.sshd.core.CoreModuleProperties;

/**
 * A MINA client that trusts exactly what a fleet's known_hosts file lists and logs in with the key file it wrote, as
 * capstan (or ssh -o UserKnownHostsFile=... -i ...) would.
 */
final class FleetClient implements AutoCloseable {

    static final Duration TIMEOUT = Duration.ofSeconds(20);

    record Result(int status, String out, String err) {
    }

    private final SshClient client = SshClient.setUpDefaultClient();

    FleetClient(Path knownHosts, Path identity) {
        CoreModuleProperties.TCP_NODELAY.set(client, true);
        client.setServerKeyVerifier(new KnownHostsServerKeyVerifier(RejectAllServerKeyVerifier.INSTANCE, knownHosts));
        client.setKeyIdentityProvider(new FileKeyPairProvider(identity));
        client.start();
    }

    FleetClient(SimulatedFleet fleet) {
        this(fleet.knownHostsFile(), fleet.identityFile());
    }

    ClientSession login(FleetHost host) throws IOException {
        return login(host.address(), host.port());
    }

    ClientSession login(String address, int port) throws IOException {
        ClientSession session = client.connect("deploy", address, port).verify(TIMEOUT).getSession();
        session.auth().verify(TIMEOUT);
        return session;
    }

    static Result exec(ClientSession session, String command) throws IOException {
        return exec(session, command, null);
    }

    /** Runs a command to the end, sending {@code stdin} (if any) and then EOF. */
    static Result exec(ClientSession session, String command, byte[] stdin) throws IOException {
        try (ChannelExec channel = session.createExecChannel(command)) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            channel.setOut(out);
            channel.setErr(err);
            channel.open().verify(TIMEOUT);
            try (OutputStream in = channel.getInvertedIn()) {
                if (stdin != null) {
                    in.write(stdin);
                }
            }
            channel.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), TIMEOUT);
            Integer status = channel.getExitStatus();
            return new Result(status == null ? -1 : status, out.toString(UTF_8), err.toString(UTF_8));
        }
    }

    @Override
    public void close() {
        client.stop();
    }
}
