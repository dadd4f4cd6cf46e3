package dev.capstan.transport.ssh;

import dev.capstan.Server;
import dev.capstan.event.Event;
import dev.capstan.transport.TransportException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.channels.AsynchronousSocketChannel;
import java.security.KeyPair;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntSupplier;
import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.config.hosts.HostConfigEntry;
import org.apache.sshd.client.future.AuthFuture;
import org.apache.sshd.client.future.ConnectFuture;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.client.session.forward.ExplicitPortForwardingTracker;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.kex.KexProposalOption;
import org.apache.sshd.common.keyprovider.KeyIdentityProvider;
import org.apache.sshd.common.util.net.SshdSocketAddress;

/**
 * Opens and authenticates one SSH connection to a target, directly or through an already open jump host session
 * (a local port forward over it, so that every target behind a jump host shares the one connection to it).
 * Connecting and logging in share one {@code connect_timeout}.
 */
final class Connector {

    /** How long reading the keys (a passphrase prompt) may hold up a connection started before them. */
    private static final Duration PROMPT_PATIENCE = Duration.ofSeconds(10);

    private final CompletableFuture<SshClient> client;
    private final Runnable startSetUp;
    private final EarlyConnects early;
    private final SshSettings settings;
    private final Identities identities;
    private final ConnectFailures failures;
    private final EventLog log;

    /**
     * @param client     the SSH client, possibly still being built: a direct connection starts before it is ready
     * @param startSetUp starts building the client and reading the keys (idempotent), called once a connection has
     *                   started: before that, they would compete with it for the CPU
     */
    Connector(CompletableFuture<SshClient> client, Runnable startSetUp, EarlyConnects early, SshSettings settings,
            Identities identities, EventLog log) {
        this.client = client;
        this.startSetUp = startSetUp;
        this.early = early;
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
        // A direct connection starts at once, so that the round trips of TCP and of the identification line overlap
        // the client's set-up and the reading of the keys.
        CompletableFuture<AsynchronousSocketChannel> socket = via == null ? startEarly(server, target) : null;
        startSetUp.run();
        List<KeyPair> keys;
        long keysStarted = System.nanoTime();
        try {
            CryptoSetup.preferJdk(); // the keys are read with MINA's security code
            keys = identities.keysFor(target);
        } catch (RuntimeException e) {
            EarlyConnects.abandon(socket);
            throw e;
        }
        if (socket != null && System.nanoTime() - keysStarted > PROMPT_PATIENCE.toNanos()) {
            // A passphrase prompt kept the early connection waiting, and the server may have given up on it.
            EarlyConnects.abandon(socket);
            socket = startEarly(server, target);
        }
        // The timeout starts after the keys: a passphrase prompt must not eat into it.
        long started = System.nanoTime();
        long deadline = started + settings.connectTimeout().toNanos();
        ExplicitPortForwardingTracker tunnel = null;
        ClientSession session = null;
        try {
            SshdSocketAddress address;
            AttributeRepository context;
            if (via == null) {
                address = new SshdSocketAddress(target.host(), target.port());
                context = HostKeyVerifier.contextFor(target, socket);
            } else {
                tunnel = via.createLocalPortForwardingTracker(SshdSocketAddress.LOCALHOST_ADDRESS,
                        new SshdSocketAddress(target.host(), target.port()));
                address = tunnel.getBoundAddress();
                context = HostKeyVerifier.contextFor(target);
            }
            session = connectTcp(server, target, address, context, deadline);
            session.setKeyIdentityProvider(KeyIdentityProvider.wrapKeyPairs(keys));
            if (!keys.isEmpty()) {
                session.setAttribute(SignedFirstLogin.FIRST_KEY, keys.getFirst());
            }
            session.setAttribute(SignedFirstLogin.CHANNELS_WANTED,
                    () -> Math.min(settings.maxSessions(), channelsWanted.getAsInt()));
            if (settings.password() != null) {
                session.addPasswordIdentity(settings.password());
            }
            if (!logIn(server, target, session, keys.size(), deadline)) {
                // refused, but encrypted keys left for ssh-agent are now loaded: log in again, offering them too
                close(session, tunnel, socket);
                return connect(target, via, server, channelsWanted);
            }
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            log.debug("connected to " + target + " in " + took.toMillis() + " ms (key exchange "
                    + session.getNegotiatedKexParameter(KexProposalOption.ALGORITHMS)
                    + firstChannels(session) + ")");
            log.emit(new Event.ConnectionOpened(Instant.now(), server, took));
            return new Connection(session, new ChannelLimiter(settings.maxSessions()), tunnel);
        } catch (InterruptedIOException e) {
            close(session, tunnel, socket);
            InterruptedException interrupted = new InterruptedException("interrupted while connecting to " + target);
            interrupted.initCause(e);
            throw interrupted;
        } catch (IOException e) {
            close(session, tunnel, socket);
            throw failures.connectFailed(server, target, e);
        } catch (RuntimeException e) {
            close(session, tunnel, socket);
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

    /** Resolves the target and starts connecting to it ({@link EarlyConnects}). */
    private CompletableFuture<AsynchronousSocketChannel> startEarly(Server server, SshTarget target) {
        return early.start(new InetSocketAddress(resolve(server, target), target.port()));
    }

    /** DNS up front, reported as such: an unresolvable name would otherwise fail as a generic connect failure. */
    private InetAddress resolve(Server server, SshTarget target) {
        try {
            return InetAddress.getByName(target.host());
        } catch (UnknownHostException e) {
            throw failures.unknownHost(server, target, e);
        }
    }

    private ClientSession connectTcp(Server server, SshTarget target, SshdSocketAddress address,
            AttributeRepository context, long deadline) throws IOException {
        // No ProxyJump and no identities in the entry: both are handled here, not by MINA.
        HostConfigEntry entry = new HostConfigEntry("", address.getHostName(), address.getPort(), target.user());
        ConnectFuture connecting = client(server, target, deadline).connect(entry, context, null);
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

    /**
     * @return {@code false} when the server accepted none of the {@code offered} keys but more keys can now be offered
     *         ({@link Identities#askDeferred}): the caller logs in again
     */
    private boolean logIn(Server server, SshTarget target, ClientSession session, int offered, long deadline)
            throws IOException {
        AuthFuture auth = session.auth();
        if (!auth.await(remainingMillis(deadline))) {
            auth.cancel();
            throw failures.timedOut(server, target, "logging in to");
        }
        if (!auth.isSuccess()) {
            if (ConnectFailures.noMoreAuthMethods(auth.getException()) && identities.askDeferred(target, offered)) {
                return false;
            }
            throw failures.loginFailed(server, target, session, auth.getException());
        }
        return true;
    }

    /** The SSH client, waiting for it to be built if need be (within the connect deadline). */
    private SshClient client(Server server, SshTarget target, long deadline) throws IOException {
        try {
            return client.get(remainingMillis(deadline), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            // connect turns this back into an InterruptedException, as for MINA's own interrupted waits
            var interrupted = new InterruptedIOException("interrupted while starting the SSH client");
            interrupted.initCause(e);
            throw interrupted;
        } catch (TimeoutException e) {
            throw failures.timedOut(server, target, "connecting to");
        } catch (ExecutionException e) {
            // A fresh exception per caller: every connection waiting for the client gets one.
            throw new IllegalStateException("the SSH client could not be started: " + e.getCause(), e.getCause());
        }
    }

    private static long remainingMillis(long deadline) {
        return Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
    }

    private static void close(ClientSession session, ExplicitPortForwardingTracker tunnel,
            CompletableFuture<AsynchronousSocketChannel> socket) {
        if (session != null) {
            session.close(true);
        }
        EarlyConnects.abandon(socket);
        if (tunnel != null) {
            try {
                tunnel.close();
            } catch (IOException e) {
                // The jump session may be gone already; the forward goes with it.
            }
        }
    }
}
