package dev.capstan.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.sshd.common.future.CloseFuture;
import org.apache.sshd.common.file.nativefs.NativeFileSystemFactory;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.session.ReservedSessionMessagesHandler;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.net.SshdSocketAddress;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.auth.UserAuthFactory;
import org.apache.sshd.server.auth.password.UserAuthPasswordFactory;
import org.apache.sshd.server.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.server.channel.ChannelSessionFactory;
import org.apache.sshd.server.forward.AgentForwardingFilter;
import org.apache.sshd.server.forward.DirectTcpipFactory;
import org.apache.sshd.server.forward.ForwardingFilter;
import org.apache.sshd.server.forward.TcpForwardingFilter;
import org.apache.sshd.server.forward.X11ForwardingFilter;
import org.apache.sshd.server.session.ServerUserAuthServiceFactory;

/**
 * An embedded SSH host on {@code 127.0.0.1} that behaves like a small real server: exec channels run real processes
 * through {@code /bin/sh -c}, SFTP works on the real file system, and the host counts what clients do to it.
 *
 * <pre>{@code
 * try (SshTestHost host = SshTestHost.start()) {
 *     // connect to host.spec() with ClientKey.shared().privateKeyFile(), trusting host.knownHostsLine()
 * }
 * }</pre>
 *
 * <p>Each host has its own freshly generated ed25519 host key and an ephemeral port. Any user name is accepted;
 * authentication is by the authorized {@link ClientKey}, and by password only when {@link Options#allowPassword()}.
 * Commands run as the JVM's own OS user, in {@link #root()} with {@code HOME} set to it. The server never times out
 * idle connections, so long silent commands survive. Local port forwarding ({@code direct-tcpip}, as used by jump
 * hosts) is allowed to loopback addresses only. All methods are thread-safe.
 */
public final class SshTestHost implements AutoCloseable {

    private static final String ADDRESS = "127.0.0.1";
    private static final Duration DROP_WAIT = Duration.ofSeconds(5);

    private final Options options;
    private final Path root;
    private final boolean ownsRoot;
    private final KeyPair hostKeys;
    private final List<KeyPair> extraHostKeys;
    private final KeyPair certificateAuthority;
    private final OpenSshCertificate certificate;
    private final ClientKey authorizedKey;
    private final SshServer server = SshServer.setUpDefaultServer();
    private final ConnectionStats stats = new ConnectionStats();
    private final ChannelHistory history = new ChannelHistory();
    private final List<String> commands = new CopyOnWriteArrayList<>();
    private final Set<ProcessCommand> running = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicInteger publicKeyChecks = new AtomicInteger();
    private final AtomicInteger ignoreMessages = new AtomicInteger();
    private volatile String name;

    /**
     * How to set up a host. Start from {@link #defaults()} and use the withers.
     *
     * @param name                     the host's {@link SshTestHost#name() name}; {@code null} means
     *                                 {@code "sandbox-" + port}
     * @param maxChannelsPerConnection the most session channels (exec, shell, sftp) open at once on one connection,
     *                                 like OpenSSH's MaxSessions: opens beyond it are refused and the connection
     *                                 stays up; 0 means unlimited
     * @param allowPassword            whether password authentication is offered at all
     * @param password                 the password accepted when {@code allowPassword}
     * @param root                     the host's directory; {@code null} means a fresh temporary directory that
     *                                 {@link SshTestHost#close()} deletes. A given directory is created if missing
     *                                 and never deleted.
     * @param authorizedKey            the client key allowed in; {@code null} means {@link ClientKey#shared()}
     * @param extraHostKeyTypes        host key types the host has besides its ed25519 key, in MINA's names
     *                                 ({@code "ecdsa-sha2-nistp256"}, {@code "ssh-rsa"}); OpenSSH hosts usually have
     *                                 all three
     * @param hostCertificate          whether the host also presents an OpenSSH certificate for its ed25519 key,
     *                                 signed by a certificate authority of its own ({@link SshTestHost#hostCertificate()})
     * @param refuseSignals            as OpenSSH for a root login: a {@code signal} request is refused, and a command
     *                                 outlives its channel (it is ended when the host stops)
     * @param passwordOnly             public keys are not taken at all, only the password (needs one)
     */
    public record Options(String name, int maxChannelsPerConnection, boolean allowPassword, String password, Path root,
            ClientKey authorizedKey, List<String> extraHostKeyTypes, boolean hostCertificate, boolean refuseSignals,
            boolean passwordOnly) {

        public Options {
            if (maxChannelsPerConnection < 0) {
                throw new IllegalArgumentException("maxChannelsPerConnection must be >= 0: " + maxChannelsPerConnection);
            }
            if (allowPassword && password == null) {
                throw new IllegalArgumentException("allowPassword needs a password");
            }
            if (passwordOnly && !allowPassword) {
                throw new IllegalArgumentException("passwordOnly needs a password");
            }
            extraHostKeyTypes = extraHostKeyTypes == null ? List.of() : List.copyOf(extraHostKeyTypes);
        }

        /** The options of a host with only its ed25519 host key and no certificate. */
        public Options(String name, int maxChannelsPerConnection, boolean allowPassword, String password, Path root,
                ClientKey authorizedKey) {
            this(name, maxChannelsPerConnection, allowPassword, password, root, authorizedKey, List.of(), false, false,
                    false);
        }

        /** @return no name, unlimited channels, key authentication only, a temporary root, the shared key */
        public static Options defaults() {
            return new Options(null, 0, false, null, null, null);
        }

        /** @param name the host name; {@code null} for {@code "sandbox-" + port} */
        public Options withName(String name) {
            return new Options(name, maxChannelsPerConnection, allowPassword, password, root, authorizedKey,
                    extraHostKeyTypes, hostCertificate, refuseSignals, passwordOnly);
        }

        /** @param max the most session channels open at once per connection; 0 for unlimited */
        public Options withMaxChannels(int max) {
            return new Options(name, max, allowPassword, password, root, authorizedKey, extraHostKeyTypes,
                    hostCertificate, refuseSignals, passwordOnly);
        }

        /** @param password enables password authentication with this password; {@code null} disables it */
        public Options withPassword(String password) {
            return new Options(name, maxChannelsPerConnection, password != null, password, root, authorizedKey,
                    extraHostKeyTypes, hostCertificate, refuseSignals, passwordOnly && password != null);
        }

        /** @param root the host's directory; {@code null} for a fresh temporary one */
        public Options withRoot(Path root) {
            return new Options(name, maxChannelsPerConnection, allowPassword, password, root, authorizedKey,
                    extraHostKeyTypes, hostCertificate, refuseSignals, passwordOnly);
        }

        /** @param key the client key allowed in; {@code null} for {@link ClientKey#shared()} */
        public Options withAuthorizedKey(ClientKey key) {
            return new Options(name, maxChannelsPerConnection, allowPassword, password, root, key, extraHostKeyTypes,
                    hostCertificate, refuseSignals, passwordOnly);
        }

        /** @param types host key types besides ed25519, e.g. {@code "ecdsa-sha2-nistp256"}, {@code "ssh-rsa"} */
        public Options withExtraHostKeys(String... types) {
            return new Options(name, maxChannelsPerConnection, allowPassword, password, root, authorizedKey,
                    List.of(types), hostCertificate, refuseSignals, passwordOnly);
        }

        /** Takes only {@code password}, no public key (as a server with PubkeyAuthentication no). */
        public Options withPasswordOnly(String password) {
            return new Options(name, maxChannelsPerConnection, true, password, root, authorizedKey, extraHostKeyTypes,
                    hostCertificate, refuseSignals, true);
        }

        /** Refuses {@code signal} requests and lets commands outlive their channels, as OpenSSH does for root. */
        public Options withRefusedSignals() {
            return new Options(name, maxChannelsPerConnection, allowPassword, password, root, authorizedKey,
                    extraHostKeyTypes, hostCertificate, true, passwordOnly);
        }

        /** @param certificate whether the host presents a certificate for its ed25519 host key */
        public Options withHostCertificate(boolean certificate) {
            return new Options(name, maxChannelsPerConnection, allowPassword, password, root, authorizedKey,
                    extraHostKeyTypes, certificate, refuseSignals, passwordOnly);
        }
    }

    private SshTestHost(Options options, Path root, boolean ownsRoot, KeyPair hostKeys) throws IOException {
        this.options = options;
        this.root = root;
        this.ownsRoot = ownsRoot;
        this.hostKeys = hostKeys;
        this.extraHostKeys = new ArrayList<>();
        for (String type : options.extraHostKeyTypes()) {
            extraHostKeys.add(HostKeys.generate(type));
        }
        this.certificateAuthority = options.hostCertificate() ? Ed25519.generate() : null;
        this.certificate = options.hostCertificate()
                ? HostKeys.certify(hostKeys.getPublic(), certificateAuthority, List.of(ADDRESS))
                : null;
        this.authorizedKey = options.authorizedKey() != null ? options.authorizedKey() : ClientKey.shared();
    }

    /**
     * Starts a host with {@link Options#defaults()}.
     *
     * @return the running host
     * @throws IOException if the server cannot start
     */
    public static SshTestHost start() throws IOException {
        return start(Options.defaults());
    }

    /**
     * Starts a host.
     *
     * @param options how to set it up
     * @return the running host
     * @throws IOException if the root cannot be created or the server cannot start
     */
    public static SshTestHost start(Options options) throws IOException {
        Objects.requireNonNull(options, "options");
        boolean ownsRoot = options.root() == null;
        Path root = ownsRoot
                ? Files.createTempDirectory("capstan-testkit-host-")
                : Files.createDirectories(options.root());
        // The real path, so that `pwd` on the host prints exactly root().
        SshTestHost host = new SshTestHost(options, root.toRealPath(), ownsRoot, Ed25519.generate());
        try {
            host.configure();
            host.server.start();
        } catch (IOException | RuntimeException e) {
            host.close();
            throw e;
        }
        host.name = options.name() != null ? options.name() : "sandbox-" + host.port();
        return host;
    }

    private void configure() {
        server.setHost(ADDRESS);
        server.setPort(0);
        List<KeyPair> all = new ArrayList<>();
        all.add(hostKeys);
        all.addAll(extraHostKeys);
        server.setKeyPairProvider(KeyPairProvider.wrap(all));
        if (certificate != null) {
            server.setHostKeyCertificateProvider(session -> List.of(certificate));
        }
        // Off: a deploy step may run silently for minutes, and a test host must not hang up on it.
        CoreModuleProperties.IDLE_TIMEOUT.set(server, Duration.ZERO);
        CoreModuleProperties.NIO2_READ_TIMEOUT.set(server, Duration.ZERO);
        CoreModuleProperties.TCP_NODELAY.set(server, true);
        // A fleet may hold hundreds of hosts; the default (cores + 1) I/O threads each would be wasteful.
        CoreModuleProperties.NIO_WORKERS.set(server, 2);

        List<UserAuthFactory> auth = new ArrayList<>();
        if (!options.passwordOnly()) {
            auth.add(UserAuthPublicKeyFactory.INSTANCE);
        }
        server.setPublickeyAuthenticator((user, key, session) -> {
            publicKeyChecks.incrementAndGet();
            return KeyUtils.compareKeys(key, authorizedKey.publicKey());
        });
        if (options.allowPassword()) {
            auth.add(UserAuthPasswordFactory.INSTANCE);
            server.setPasswordAuthenticator((user, password, session) -> options.password().equals(password));
        } else {
            server.setPasswordAuthenticator(null);
        }
        server.setKeyboardInteractiveAuthenticator(null);
        server.setUserAuthFactories(auth);

        server.setServiceFactories(List.of(
                ServerUserAuthServiceFactory.INSTANCE,
                new ChannelLimitingConnectionServiceFactory(options.maxChannelsPerConnection())));
        server.setChannelFactories(List.of(
                options.refuseSignals() ? SignalRefusingSessions.INSTANCE : ChannelSessionFactory.INSTANCE,
                DirectTcpipFactory.INSTANCE));
        server.setForwardingFilter(ForwardingFilter.asForwardingFilter(
                AgentForwardingFilter.of(false), X11ForwardingFilter.of(false), new LoopbackOnly()));

        server.setCommandFactory((channel, commandLine) -> {
            commands.add(commandLine);
            history.started(channel, commandLine);
            ProcessCommand command = ProcessCommand.exec(commandLine, root, running::remove);
            if (options.refuseSignals()) {
                command.outliveChannel();
            }
            return new ObservedStreams(track(command), channel, history);
        });
        server.setShellFactory(channel -> track(ProcessCommand.shell(root, running::remove)));
        server.setFileSystemFactory(NativeFileSystemFactory.INSTANCE);
        server.setSubsystemFactories(List.of(new HomeSftpSubsystemFactory(root)));

        server.setReservedSessionMessagesHandler(new ReservedSessionMessagesHandler() {
            @Override
            public void handleIgnoreMessage(Session session, Buffer buffer) {
                ignoreMessages.incrementAndGet();
            }
        });
        server.addSessionListener(stats);
        server.addChannelListener(stats);
        server.addChannelListener(history);
    }

    private ProcessCommand track(ProcessCommand command) {
        running.add(command);
        return command;
    }

    /** @return the host's name, e.g. {@code "host1"}; {@code "sandbox-" + port} unless set in the options */
    public String name() {
        return name;
    }

    /** @return {@code "127.0.0.1"} */
    public String hostAddress() {
        return ADDRESS;
    }

    /** @return the ephemeral port the host listens on */
    public int port() {
        return server.getPort();
    }

    /**
     * The user name to log in with: the JVM's {@code user.name}, which is who commands really run as. Any other
     * name is accepted too; authentication is by key (or password).
     *
     * @return the login user name
     */
    public String user() {
        return System.getProperty("user.name");
    }

    /** @return {@code "user@127.0.0.1:port"}, usable as a capstan server spec */
    public String spec() {
        return user() + "@" + ADDRESS + ":" + port();
    }

    /** @return the host's own directory: working directory and {@code HOME} of every command, start of SFTP paths */
    public Path root() {
        return root;
    }

    /** @return {@code "[127.0.0.1]:PORT ssh-ed25519 AAAA..."}, the OpenSSH known_hosts line for this host */
    public String knownHostsLine() {
        return "[" + ADDRESS + "]:" + port() + " " + Ed25519.openSsh(hostKey());
    }

    /** @return the host's public ed25519 host key */
    public PublicKey hostKey() {
        return hostKeys.getPublic();
    }

    /** @return every public host key of the host: the ed25519 one, then those of {@link Options#extraHostKeyTypes()} */
    public List<PublicKey> hostKeys() {
        List<PublicKey> keys = new ArrayList<>();
        keys.add(hostKeys.getPublic());
        extraHostKeys.forEach(pair -> keys.add(pair.getPublic()));
        return keys;
    }

    /**
     * @param key one of {@link #hostKeys()}
     * @return {@code "[127.0.0.1]:PORT TYPE AAAA..."}, the OpenSSH known_hosts line for that key of this host
     */
    public String knownHostsLine(PublicKey key) {
        return "[" + ADDRESS + "]:" + port() + " " + PublicKeyEntry.toString(key);
    }

    /**
     * @return the certificate the host presents for its ed25519 key (principal {@code 127.0.0.1}, valid for a day), or
     *         {@code null} unless {@link Options#hostCertificate()}
     */
    public OpenSshCertificate hostCertificate() {
        return certificate;
    }

    /** @return the public key of the authority that signed {@link #hostCertificate()}, or {@code null} */
    public PublicKey certificateAuthority() {
        return certificateAuthority == null ? null : certificateAuthority.getPublic();
    }

    /** @return the TCP connections (SSH sessions) this host accepted since start or {@link #resetCounters()} */
    public int connectionsAccepted() {
        return stats.connectionsAccepted();
    }

    /**
     * @return how often a client's public key was checked since start or {@link #resetCounters()}: once for each
     *         unsigned query ("would this key do?") and once for each signed login request
     */
    public int publicKeyChecks() {
        return publicKeyChecks.get();
    }

    /** @return the SSH_MSG_IGNORE messages clients sent since start or {@link #resetCounters()} */
    public int ignoreMessagesReceived() {
        return ignoreMessages.get();
    }

    /** @return the connections open right now */
    public int openConnections() {
        return stats.openConnections();
    }

    /** @return the most session channels (exec, shell, sftp) that were open at once on any single connection */
    public int peakChannels() {
        return stats.peakChannels();
    }

    /** @return the most session channels that were open at once across all connections of this host */
    public int peakChannelsTotal() {
        return stats.peakChannelsTotal();
    }

    /**
     * Starts counting afresh: zeroes {@link #connectionsAccepted()}, {@link #publicKeyChecks()} and
     * {@link #ignoreMessagesReceived()}, clears
     * {@link #commandsRun()} and {@link #channelsServed()}, and restarts both peaks from the channels open right
     * now.
     */
    public void resetCounters() {
        stats.reset();
        commands.clear();
        history.clear();
        publicKeyChecks.set(0);
        ignoreMessages.set(0);
    }

    /**
     * Simulates connection loss: closes every open connection at once, without any SSH goodbye, and kills what the
     * connections were running. Waits (briefly) until the host has let go of them; new connections are still
     * accepted afterwards.
     */
    public void dropConnections() {
        List<CloseFuture> closing = server.getActiveSessions().stream().map(s -> s.close(true)).toList();
        for (CloseFuture f : closing) {
            try {
                f.await(DROP_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (IOException e) {
                // Interrupted while waiting: the sessions are closing anyway.
            }
        }
    }

    /** @return every session channel served since start or {@link #resetCounters()}, in order of opening */
    public List<ServedChannel> channelsServed() {
        return history.served();
    }

    /** @return every exec command line received, in order of arrival */
    public List<String> commandsRun() {
        return List.copyOf(commands);
    }

    /**
     * Stops the server, kills every process still running, and deletes the root if the host created it. Safe to call
     * more than once.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            server.stop(true);
        } catch (IOException e) {
            // Closing a listener we own; nothing useful to report to a test.
        } finally {
            List.copyOf(running).forEach(ProcessCommand::kill);
            if (ownsRoot) {
                deleteTree(root);
            }
        }
    }

    @Override
    public String toString() {
        return "SshTestHost[" + name + " " + spec() + "]";
    }

    /** Best effort: a test's leftovers must not fail its teardown. */
    private static void deleteTree(Path dir) {
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    deleteQuietly(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) {
                    deleteQuietly(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // Left for the OS to clean out of the temp directory.
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // Skip it and carry on with the rest of the tree.
        }
    }

    /** Allows {@code direct-tcpip} (jump-host style) connections to this machine's loopback addresses only. */
    private static final class LoopbackOnly implements TcpForwardingFilter {
        @Override
        public boolean canListen(SshdSocketAddress address, Session session) {
            return false;
        }

        @Override
        public boolean canConnect(Type type, SshdSocketAddress address, Session session) {
            if (type != Type.Direct) {
                return false;
            }
            String host = address.getHostName();
            try {
                return "localhost".equalsIgnoreCase(host) || InetAddress.getByName(host).isLoopbackAddress();
            } catch (IOException e) {
                return false;
            }
        }
    }
}
