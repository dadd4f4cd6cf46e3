package dev.capstan.transport.ssh;

import dev.capstan.Server;
import dev.capstan.event.Event;
import dev.capstan.transport.TransportException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.IntSupplier;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.config.hosts.HostConfigEntry;
import org.apache.sshd.client.future.AuthFuture;
import org.apache.sshd.client.future.ConnectFuture;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.client.session.forward.ExplicitPortForwardingTracker;
import org.apache.sshd.common.kex.KexProposalOption;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.common.util.net.SshdSocketAddress;

/**
 * Opens and authenticates one SSH connection to a target, directly or through an already open jump host session
 * (a local port forward over it, so that every target behind a jump host shares the one connection to it).
 * Connecting and logging in share one {@code connect_timeout}.
 */
final class Connector {

    private final SshClient client;
    private final SshSettings settings;
    private final Identities identities;
    private final ConnectFailures failures;
    private final EventLog log;

    Connector(SshClient client, SshSettings settings, Identities identities, EventLog log) {
        this.client = client;
        this.settings = settings;
        this.identities = identities;
        this.failures = new ConnectFailures(identities, settings);
        this.log = log;
    }

    /**
     * @param via            the open session of {@code target.jump()}, or {@code null} for a direct connection
     * @param channelsWanted how many commands wait for this connection, asked when the login goes out: as many exec
     *                       channels (at most {@code max_sessions}) may be opened with it ({@link SignedFirstLogin})
     * @throws TransportException naming the host and why it cannot be reached or logged in to
     */
    Connection connect(SshTarget target, ClientSession via, Server server, IntSupplier channelsWanted)
            throws InterruptedException {
        // Keys first: a passphrase prompt must not eat into the connect timeout.
        List<KeyPair> keys = identities.keysFor(target);
        long started = System.nanoTime();
        long deadline = started + settings.connectTimeout().toNanos();
        ExplicitPortForwardingTracker tunnel = null;
        ClientSession session = null;
        try {
            SshdSocketAddress address;
            if (via == null) {
                checkResolves(server, target);
                address = new SshdSocketAddress(target.host(), target.port());
            } else {
                tunnel = via.createLocalPortForwardingTracker(SshdSocketAddress.LOCALHOST_ADDRESS,
                        new SshdSocketAddress(target.host(), target.port()));
                address = tunnel.getBoundAddress();
            }
            session = connectTcp(server, target, address, deadline);
            session.setKeyIdentityProvider(KeyIdentityProvider.wrapKeyPairs(keys));
            if (!keys.isEmpty()) {
                session.setAttribute(SignedFirstLogin.FIRST_KEY, keys.getFirst());
            }
            session.setAttribute(SignedFirstLogin.CHANNELS_WANTED,
                    () -> Math.min(settings.maxSessions(), channelsWanted.getAsInt()));
            if (settings.password() != null) {
                session.addPasswordIdentity(settings.password());
            }
            logIn(server, target, session, deadline);
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            log.debug("connected to " + target + " in " + took.toMillis() + " ms (key exchange "
                    + session.getNegotiatedKexParameter(KexProposalOption.ALGORITHMS)
                    + firstChannels(session) + ")");
            log.emit(new Event.ConnectionOpened(Instant.now(), server, took));
            return new Connection(session, new ChannelLimiter(settings.maxSessions()), tunnel);
        } catch (InterruptedIOException e) {
            close(session, tunnel);
            InterruptedException interrupted = new InterruptedException("interrupted while connecting to " + target);
            interrupted.initCause(e);
            throw interrupted;
        } catch (IOException e) {
            close(session, tunnel);
            throw failures.connectFailed(server, target, e);
        } catch (RuntimeException e) {
            close(session, tunnel);
            throw e;
        }
    }

    /** For the debug line: how many channels were opened with the login, if any. */
    private static String firstChannels(ClientSession session) {
        List<ExecChannel> first = session.getAttribute(SignedFirstLogin.FIRST_CHANNELS);
        if (first == null) {
            return "";
        }
        return "; " + (first.size() == 1 ? "a channel" : first.size() + " channels") + " opened with the login";
    }

    /** DNS up front: MINA would report an unresolvable name as a generic connect failure. */
    private void checkResolves(Server server, SshTarget target) {
        try {
            InetAddress.getAllByName(target.host());
        } catch (UnknownHostException e) {
            throw failures.unknownHost(server, target, e);
        }
    }

    private ClientSession connectTcp(Server server, SshTarget target, SshdSocketAddress address, long deadline)
            throws IOException {
        // No ProxyJump and no identities in the entry: both are handled here, not by MINA.
        HostConfigEntry entry = new HostConfigEntry("", address.getHostName(), address.getPort(), target.user());
        ConnectFuture connecting = client.connect(entry, HostKeyVerifier.contextFor(target), null);
        if (!connecting.await(remainingMillis(deadline))) {
            connecting.cancel();
            throw failures.timedOut(server, target, "connecting to");
        }
        Throwable error = connecting.getException();
        if (error != null) {
            throw failures.connectFailed(server, target, error);
        }
        return connecting.getClientSession();
    }

    private void logIn(Server server, SshTarget target, ClientSession session, long deadline) throws IOException {
        AuthFuture auth = session.auth();
        if (!auth.await(remainingMillis(deadline))) {
            auth.cancel();
            throw failures.timedOut(server, target, "logging in to");
        }
        if (!auth.isSuccess()) {
            throw failures.loginFailed(server, target, session, auth.getException());
        }
    }

    private static long remainingMillis(long deadline) {
        return Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
    }

    private static void close(ClientSession session, ExplicitPortForwardingTracker tunnel) {
        if (session != null) {
            session.close(true);
        }
        if (tunnel != null) {
            try {
                tunnel.close();
            } catch (IOException e) {
                // The jump session may be gone already; the forward goes with it.
            }
        }
    }
}
