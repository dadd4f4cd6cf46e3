package dev.capstan.transport.ssh;

import dev.capstan.Server;
import dev.capstan.event.EventSink;
import dev.capstan.transport.Command;
import dev.capstan.transport.CommandResult;
import dev.capstan.transport.OutputListener;
import dev.capstan.transport.TransferListener;
import dev.capstan.transport.Transport;
import dev.capstan.transport.TransportException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.sshd.client.SshClient;

/**
 * Runs commands and moves files over SSH (Apache MINA SSHD) with one connection per server for the whole run,
 * shared by every thread: each command is a channel multiplexed over it, at most {@code max_sessions} at once per
 * connection, and a second connection is opened only when more channels are wanted than that.
 *
 * <pre>{@code
 * try (SshTransport ssh = new SshTransport(SshSettings.from(config::variable), events,
 *         prompt -> System.console().readPassword("%s", prompt))) {
 *     CommandResult r = ssh.execute(Server.parse("deploy@web1"), Command.of("uptime"), OutputListener.IGNORE);
 * }
 * }</pre>
 *
 * <p>Host keys are checked against known_hosts ({@link HostKeyChecking}); identities come from ssh config,
 * {@code ssh_identity} or {@code ~/.ssh/id_*}, and ssh-agent; {@code ~/.ssh/config} and {@code gateway} decide
 * how each server is reached. With {@code ssh_persistent_shell} commands run on long-lived shell channels instead
 * ({@link PersistentShell}). See {@link SshSettings} for every variable. Safe for use by many threads at once.
 */
public final class SshTransport implements Transport {

    private final SshSettings settings;
    private final EarlyConnects early;
    /** Built on another thread while the first connection is under way ({@link EarlyConnects}). */
    private final CompletableFuture<SshClient> client;
    private final TargetResolver targets;
    private final ConnectionPool pool;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Builds the client and reads the keys, on two threads; started once, by the first connection. */
    private final Runnable setUp;
    private final AtomicBoolean setUpStarted = new AtomicBoolean();

    /**
     * Prepares the SSH client; connections open on first use. The client is built on another thread once the first
     * connection has started, while it is under way.
     *
     * @param prompt asked for the passphrase of encrypted keys; {@link PassphrasePrompt#NONE} skips them
     */
    public SshTransport(SshSettings settings, EventSink events, PassphrasePrompt prompt) {
        this.settings = settings;
        this.early = EarlyConnects.open();
        EventLog log = new EventLog(events);
        AgentConnector agent = new AgentConnector(settings.agentSocket(), log);
        Identities identities = new Identities(settings, prompt, agent, log);
        HostKeyVerifier hostKeys = new HostKeyVerifier(settings, log);
        // The first connection starts at once (EarlyConnects); right after its connect has gone out, two other threads
        // build the client, and read the files the first login needs and lay out the curve tables of its key exchange,
        // so that they do not compete with it for the CPU.
        // Nothing is reported from the reading: the first connection reports what the files hold, as it would have
        // without this. Each thread decides the JCA providers first, as MINA's first use of them must come after that
        // (CryptoSetup).
        this.client = new CompletableFuture<>();
        this.setUp = () -> {
            Thread.ofVirtual().name("capstan-ssh-prepare").start(() -> {
                CryptoSetup.preferJdk();
                identities.prepare();
                hostKeys.preload();
                Curve25519Provider.precompute();
            });
            Thread.ofVirtual().name("capstan-ssh-client").start(() -> {
                try {
                    CryptoSetup.preferJdk();
                    client.complete(ClientSetup.newClient(settings, hostKeys, agent, early));
                } catch (Throwable e) {
                    client.completeExceptionally(e);
                }
            });
        };
        this.targets = new TargetResolver(settings, log);
        this.pool = new ConnectionPool(new Connector(client, this::startSetUp, early, settings, identities, log),
                settings.maxConnectionsPerHost(), log, settings.connectTimeout());
    }

    @Override
    public CommandResult execute(Server server, Command command, OutputListener output) throws InterruptedException {
        Duration timeout = command.timeout() != null ? command.timeout() : settings.commandTimeout();
        if (settings.persistentShell() && PersistentShell.suits(command)) {
            return PersistentShell.execute(server, command, timeout, settings.connectTimeout(), output, host(server));
        }
        HostConnections host = host(server);
        return new RemoteCommand(server, command, timeout, settings.connectTimeout(), output, host.log()).run(host);
    }

    @Override
    public void upload(Server server, Path local, String remote, Integer mode, TransferListener progress)
            throws InterruptedException {
        SftpTransfers.upload(server, host(server), local, remote, mode, progress);
    }

    @Override
    public void put(Server server, byte[] content, String remote, Integer mode) throws InterruptedException {
        SftpTransfers.put(server, host(server), content, remote, mode);
    }

    @Override
    public void download(Server server, String remote, Path local, TransferListener progress)
            throws InterruptedException {
        SftpTransfers.download(server, host(server), remote, local, progress);
    }

    /** Starts {@link #setUp} unless it has started, or the transport has closed. */
    private void startSetUp() {
        if (setUpStarted.compareAndSet(false, true)) {
            setUp.run();
        }
    }

    /** The connections this transport holds open right now, a host each, for a keeper to report. */
    public List<HeldConnections> heldConnections() {
        return pool.held();
    }

    /** Closes every connection (each says goodbye, briefly) and stops the client. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            pool.close();
        } finally {
            try {
                if (setUpStarted.compareAndSet(false, true)) {
                    client.completeExceptionally(new IllegalStateException("the SSH transport is closed"));
                } else {
                    client.join().stop();
                }
            } catch (CompletionException e) {
                // never built: nothing to stop (the first connection reported why)
            } finally {
                early.close();
            }
        }
    }

    private HostConnections host(Server server) {
        if (closed.get()) {
            throw new TransportException(server, TransportException.Reason.OTHER, "the SSH transport is closed");
        }
        return pool.host(targets.resolve(server));
    }
}
