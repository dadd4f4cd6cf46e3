package dev.capstan.testkit.fleet;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.FileSystem;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;

import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.file.FileSystemFactory;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionContext;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.common.util.threads.SshThreadPoolExecutor;
import org.apache.sshd.common.util.threads.ThreadUtils;
import org.apache.sshd.core.CoreModuleProperties;
import org.apache.sshd.scp.server.ScpCommandFactory;
import org.apache.sshd.server.ServerBuilder;
import org.apache.sshd.server.auth.pubkey.UserAuthPublicKeyFactory;
import org.apache.sshd.server.channel.ChannelSessionFactory;
import org.apache.sshd.server.command.CommandFactory;
import org.apache.sshd.server.forward.RejectAllForwardingFilter;
import org.apache.sshd.server.session.ServerUserAuthServiceFactory;

import dev.capstan.testkit.ChannelLimitingConnectionServiceFactory;
import dev.capstan.testkit.ClientKey;
import dev.capstan.testkit.fleet.sh.DiskFs;
import dev.capstan.testkit.fleet.sh.HostFs;
import dev.capstan.testkit.fleet.sh.MemoryFs;

/**
 * Many simulated SSH hosts served by one process, for scale benchmarks: every host has its own address, ed25519 host
 * key and file system, accepts the fleet's one client key, and runs commands in an emulated shell
 * ({@link dev.capstan.testkit.fleet.sh.Shell}) instead of forking processes. Optionally every message is delayed, so
 * that round trips cost what they cost over a WAN.
 *
 * <pre>{@code
 * try (SimulatedFleet fleet = SimulatedFleet.start(SimulatedFleet.Options.defaults().withHosts(1000)
 *         .withLatency(Duration.ofMillis(25)))) {
 *     // servers: fleet.hosts().get(i).spec(); trust fleet.knownHostsFile(); log in with fleet.identityFile()
 * }
 * }</pre>
 *
 * <p>How it stays light: one MINA {@code SshServer} whose single acceptor listens on all the hosts' addresses (one
 * listening socket each, one I/O thread pool for all); the host a connection is for is told by the local address it
 * arrived at, which picks the host key and the file system. Commands run on virtual threads. Files live in memory
 * ({@link Storage#MEMORY}), or, when SFTP or SCP is needed, in a directory per host ({@link Storage#DISK}).
 */
public final class SimulatedFleet implements AutoCloseable {

    /** The most hosts one fleet may have. */
    public static final int MAX_HOSTS = 10_000;

    /** Where hosts keep their files. */
    public enum Storage {
        /** In memory: cheap for thousands of hosts; no SFTP or SCP. */
        MEMORY,
        /** A real directory per host under {@code dir/hosts}: SFTP and SCP work, and what they write the shell sees. */
        DISK
    }

    /**
     * How to set up a fleet; start from {@link #defaults()}.
     *
     * @param hosts       how many hosts, 1 to {@link #MAX_HOSTS}
     * @param latency     one-way delay added to every message in each direction; zero for none
     * @param dir         where to write {@code known_hosts}, {@code hosts.txt}, {@code ssh_config} and the client
     *                    key; null for a temporary directory that {@link #close()} deletes
     * @param basePort    0 for ephemeral ports; else host {@code i} listens on {@code basePort + i} (or, with
     *                    {@code spread}, every host on {@code basePort})
     * @param spread      give each host its own loopback address, {@code 127.0.1.1}, {@code 127.0.1.2}, ...
     *                    (254 per {@code /24}), instead of all on {@code 127.0.0.1}
     * @param storage     where hosts keep files
     * @param maxSessions session channels open at once per connection before opens are refused, like OpenSSH's
     *                    MaxSessions (default 10); 0 for no limit
     * @param user        the user name in {@link FleetHost#spec()}; any name is accepted when logging in
     * @param clientKey   the key every host authorizes; null to generate one into {@code dir}
     * @param namePrefix  hosts are named {@code namePrefix1} ... {@code namePrefixN}
     */
    public record Options(int hosts, Duration latency, Path dir, int basePort, boolean spread, Storage storage,
            int maxSessions, String user, ClientKey clientKey, String namePrefix) {

        public Options {
            if (hosts < 1 || hosts > MAX_HOSTS) {
                throw new IllegalArgumentException("hosts must be 1 to " + MAX_HOSTS + ": " + hosts);
            }
            Objects.requireNonNull(latency, "latency");
            if (latency.isNegative()) {
                throw new IllegalArgumentException("latency must not be negative: " + latency);
            }
            if (basePort < 0 || basePort > 65535 || (!spread && basePort > 0 && basePort + hosts - 1 > 65535)) {
                throw new IllegalArgumentException("ports " + basePort + ".." + (basePort + hosts - 1) + " out of range");
            }
            if (spread && hosts > 254 * 254) {
                throw new IllegalArgumentException("too many hosts to spread");
            }
            Objects.requireNonNull(storage, "storage");
            if (maxSessions < 0) {
                throw new IllegalArgumentException("maxSessions must be >= 0: " + maxSessions);
            }
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(namePrefix, "namePrefix");
        }

        /** @return 1 host, no latency, a temporary directory, ephemeral ports on 127.0.0.1, in memory, MaxSessions 10 */
        public static Options defaults() {
            return new Options(1, Duration.ZERO, null, 0, false, Storage.MEMORY, 10, System.getProperty("user.name"),
                    null, "host");
        }

        public Options withHosts(int n) {
            return new Options(n, latency, dir, basePort, spread, storage, maxSessions, user, clientKey, namePrefix);
        }

        public Options withLatency(Duration oneWay) {
            return new Options(hosts, oneWay, dir, basePort, spread, storage, maxSessions, user, clientKey, namePrefix);
        }

        public Options withDir(Path d) {
            return new Options(hosts, latency, d, basePort, spread, storage, maxSessions, user, clientKey, namePrefix);
        }

        public Options withBasePort(int port) {
            return new Options(hosts, latency, dir, port, spread, storage, maxSessions, user, clientKey, namePrefix);
        }

        public Options withSpread(boolean s) {
            return new Options(hosts, latency, dir, basePort, s, storage, maxSessions, user, clientKey, namePrefix);
        }

        public Options withStorage(Storage s) {
            return new Options(hosts, latency, dir, basePort, spread, s, maxSessions, user, clientKey, namePrefix);
        }

        public Options withMaxSessions(int max) {
            return new Options(hosts, latency, dir, basePort, spread, storage, max, user, clientKey, namePrefix);
        }

        public Options withUser(String u) {
            return new Options(hosts, latency, dir, basePort, spread, storage, maxSessions, u, clientKey, namePrefix);
        }

        public Options withClientKey(ClientKey key) {
            return new Options(hosts, latency, dir, basePort, spread, storage, maxSessions, user, key, namePrefix);
        }

        public Options withNamePrefix(String prefix) {
            return new Options(hosts, latency, dir, basePort, spread, storage, maxSessions, user, clientKey, prefix);
        }
    }

    private static final AttributeKey<FleetHost> HOST = new AttributeKey<>();

    private final Options options;
    private final Path dir;
    private final boolean ownsDir;
    private final ClientKey clientKey;
    private final List<FleetHost> hosts = new ArrayList<>();
    private final Map<SocketAddress, FleetHost> byAddress = new ConcurrentHashMap<>();
    private final Map<Integer, FleetHost> byPort = new ConcurrentHashMap<>();
    private final LatencyInjector latency;
    private final FleetServer server;
    private final SshThreadPoolExecutor sftpThreads;
    private final AtomicBoolean closed = new AtomicBoolean();
    private Path knownHostsFile;
    private Path hostsFile;
    private Path sshConfigFile;

    private SimulatedFleet(Options options, Path dir, boolean ownsDir, ClientKey clientKey) {
        this.options = options;
        this.dir = dir;
        this.ownsDir = ownsDir;
        this.clientKey = clientKey;
        this.latency = options.latency().isZero() ? null : new LatencyInjector(options.latency());
        this.server = (FleetServer) ServerBuilder.builder().factory(() -> new FleetServer(latency)).build();
        this.sftpThreads = new SshThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS,
                new SynchronousQueue<>(), Thread.ofVirtual().name("capstan-fleet-sftp-", 0).factory());
    }

    /**
     * Starts {@code hosts} hosts with default options.
     *
     * @throws IOException if the fleet cannot start (nothing is left running)
     */
    public static SimulatedFleet start(int hosts) throws IOException {
        return start(Options.defaults().withHosts(hosts));
    }

    /**
     * Starts a fleet; when this returns, every host accepts connections and the files in {@link #dir()} are written.
     *
     * @throws IOException if the fleet cannot start, e.g. a port is taken (nothing is left running)
     */
    public static SimulatedFleet start(Options options) throws IOException {
        Objects.requireNonNull(options, "options");
        boolean ownsDir = options.dir() == null;
        Path dir = ownsDir ? Files.createTempDirectory("capstan-fleet-") : Files.createDirectories(options.dir());
        deleteTree(dir.resolve("hosts")); // left over by a fleet that did not get to close
        SimulatedFleet fleet = null;
        try {
            ClientKey key = options.clientKey() != null ? options.clientKey() : ClientKey.generate(dir);
            fleet = new SimulatedFleet(options, dir, ownsDir, key);
            fleet.launch();
            return fleet;
        } catch (IOException | RuntimeException e) {
            if (fleet != null) {
                fleet.close();
            } else if (ownsDir) {
                deleteTree(dir);
            }
            throw e;
        }
    }

    private void launch() throws IOException {
        int n = options.hosts();
        List<KeyPair> keys = IntStream.range(0, n).parallel().mapToObj(i -> generateHostKey()).toList();
        configure();
        List<InetSocketAddress> wanted = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            wanted.add(wantedAddress(i));
        }
        List<InetSocketAddress> bound = bind(wanted);
        long boot = System.currentTimeMillis();
        for (int i = 0; i < n; i++) {
            String name = options.namePrefix() + (i + 1);
            HostFs fs = options.storage() == Storage.DISK ? new DiskFs(dir.resolve("hosts").resolve(name)) : new MemoryFs();
            FleetHost host = new FleetHost(i, name, bound.get(i), options.user(), keys.get(i), fs, boot);
            hosts.add(host);
            byAddress.put(bound.get(i), host);
            byPort.put(bound.get(i).getPort(), host);
        }
        writeFiles();
    }

    private static KeyPair generateHostKey() {
        try {
            return KeyUtils.generateKeyPair(KeyPairProvider.SSH_ED25519, 256);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate an ed25519 host key (is Bouncy Castle missing?)", e);
        }
    }

    private InetSocketAddress wantedAddress(int i) throws IOException {
        if (options.spread()) {
            byte[] ip = {127, 0, (byte) (1 + i / 254), (byte) (1 + i % 254)};
            return new InetSocketAddress(InetAddress.getByAddress(ip), options.basePort());
        }
        InetAddress loopback = InetAddress.getByAddress(new byte[] {127, 0, 0, 1});
        return new InetSocketAddress(loopback, options.basePort() == 0 ? 0 : options.basePort() + i);
    }

    /** Binds every address on the one acceptor; returns what each host got, in host order. */
    private List<InetSocketAddress> bind(List<InetSocketAddress> wanted) throws IOException {
        InetSocketAddress first = wanted.get(0);
        server.setHost(first.getAddress().getHostAddress());
        server.setPort(first.getPort());
        try {
            server.start();
        } catch (IOException e) {
            throw new IOException("cannot listen on " + describe(first) + ": " + e.getMessage(), e);
        }
        boolean ephemeralOnOneAddress = !options.spread() && options.basePort() == 0;
        List<InetSocketAddress> result = new ArrayList<>();
        result.add((InetSocketAddress) server.getBoundAddresses().iterator().next());
        if (ephemeralOnOneAddress) {
            // all at once; which host gets which port does not matter, so hand them out in port order
            server.acceptor().bind(wanted.subList(1, wanted.size()));
            List<InetSocketAddress> all = new ArrayList<>();
            server.getBoundAddresses().forEach(a -> all.add((InetSocketAddress) a));
            all.sort(Comparator.comparingInt(InetSocketAddress::getPort));
            return all;
        }
        for (InetSocketAddress address : wanted.subList(1, wanted.size())) {
            Set<SocketAddress> before = address.getPort() == 0 ? new HashSet<>(server.getBoundAddresses()) : null;
            try {
                server.acceptor().bind(address);
            } catch (IOException e) {
                throw new IOException("cannot listen on " + describe(address) + ": " + e.getMessage(), e);
            }
            if (before == null) {
                result.add(address);
            } else {
                Set<SocketAddress> now = new HashSet<>(server.getBoundAddresses());
                now.removeAll(before);
                result.add((InetSocketAddress) now.iterator().next());
            }
        }
        return result;
    }

    private static String describe(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + (a.getPort() == 0 ? "(any port)" : a.getPort());
    }

    private void configure() {
        CoreModuleProperties.IDLE_TIMEOUT.set(server, Duration.ZERO);
        CoreModuleProperties.NIO2_READ_TIMEOUT.set(server, Duration.ZERO);
        CoreModuleProperties.TCP_NODELAY.set(server, true);
        CoreModuleProperties.NIO_WORKERS.set(server, Math.max(2, Runtime.getRuntime().availableProcessors()));
        CoreModuleProperties.SOCKET_BACKLOG.set(server, 128);

        server.setKeyPairProvider(new KeyPairProvider() {
            @Override
            public Iterable<KeyPair> loadKeys(SessionContext session) {
                FleetHost host = hostOf(session);
                return host == null ? List.of() : List.of(host.keyPair());
            }
        });
        server.setUserAuthFactories(List.of(UserAuthPublicKeyFactory.INSTANCE));
        server.setPublickeyAuthenticator((user, key, session) -> KeyUtils.compareKeys(key, clientKey.publicKey()));
        server.setPasswordAuthenticator(null);
        server.setKeyboardInteractiveAuthenticator(null);
        server.setServiceFactories(List.of(ServerUserAuthServiceFactory.INSTANCE,
                new ChannelLimitingConnectionServiceFactory(options.maxSessions())));
        server.setChannelFactories(List.of(ChannelSessionFactory.INSTANCE));
        server.setForwardingFilter(RejectAllForwardingFilter.INSTANCE);
        CommandFactory emulated = (channel, command) -> new EmulatedCommand(hostOf(channel.getSession()), command);
        server.setCommandFactory(emulated);
        server.setShellFactory(channel -> new EmulatedCommand(hostOf(channel.getSession()), null));
        if (options.storage() == Storage.DISK) {
            // `scp -t` (Capistrano's upload!, parallel-scp) by MINA's SCP server on the host's files, like SFTP
            server.setCommandFactory(new ScpCommandFactory.Builder()
                    .withDelegate(emulated)
                    .withExecutorServiceProvider(() -> ThreadUtils.noClose(sftpThreads))
                    .build());
            FleetSftpFactory sftp = new FleetSftpFactory();
            // one virtual-thread pool for all subsystems; each gets its own no-close view, which it marks shut down
            sftp.setExecutorServiceProvider(() -> ThreadUtils.noClose(sftpThreads));
            server.setSubsystemFactories(List.of(sftp));
            server.setFileSystemFactory(new FileSystemFactory() {
                @Override
                public Path getUserHomeDir(SessionContext session) {
                    FleetHost host = hostOf(session);
                    return host == null ? null : host.root().resolve("home").resolve(session.getUsername());
                }

                @Override
                public FileSystem createFileSystem(SessionContext session) throws IOException {
                    FleetHost host = hostOf(session);
                    if (host == null) {
                        throw new IOException("no host for " + session);
                    }
                    return host.sftpView();
                }
            });
        } else {
            server.setSubsystemFactories(List.of()); // SFTP needs Storage.DISK
        }
        server.addSessionListener(new SessionListener() {
            @Override
            public void sessionCreated(Session session) {
                FleetHost host = hostOf(session);
                if (host != null) {
                    host.connected();
                }
            }

            @Override
            public void sessionClosed(Session session) {
                FleetHost host = session.getAttribute(HOST);
                if (host != null) {
                    host.disconnected();
                }
            }
        });
    }

    /** The host a session is for, by the local address its connection arrived at; cached on the session. */
    private FleetHost hostOf(SessionContext context) {
        if (!(context instanceof Session session)) {
            return null;
        }
        FleetHost host = session.getAttribute(HOST);
        if (host == null) {
            SocketAddress local = session.getIoSession().getLocalAddress();
            host = byAddress.get(local);
            if (host == null && !options.spread() && local instanceof InetSocketAddress inet) {
                host = byPort.get(inet.getPort());
            }
            if (host != null) {
                session.setAttribute(HOST, host);
            }
        }
        return host;
    }

    private void writeFiles() throws IOException {
        knownHostsFile = Files.write(dir.resolve("known_hosts"), hosts.stream().map(FleetHost::knownHostsLine).toList());
        hostsFile = Files.write(dir.resolve("hosts.txt"), hosts.stream().map(FleetHost::spec).toList());
        Files.writeString(dir.resolve("id_ed25519.pub"), clientKey.authorizedKeysLine() + "\n");
        sshConfigFile = Files.writeString(dir.resolve("ssh_config"), String.join("\n",
                "# " + hosts.size() + " simulated hosts: ssh -F " + dir.resolve("ssh_config") + " -p PORT ADDRESS",
                "Host *",
                "    User " + options.user(),
                "    IdentityFile " + clientKey.privateKeyFile().toAbsolutePath(),
                "    IdentitiesOnly yes",
                "    UserKnownHostsFile " + knownHostsFile.toAbsolutePath(),
                "    GlobalKnownHostsFile /dev/null",
                "    StrictHostKeyChecking yes",
                "    LogLevel ERROR",
                ""));
    }

    /** @return the hosts, in order {@code host1} to {@code hostN} */
    public List<FleetHost> hosts() {
        return List.copyOf(hosts);
    }

    /** @return the host at a 0-based index */
    public FleetHost host(int index) {
        return hosts.get(index);
    }

    /** @return the directory holding the files below */
    public Path dir() {
        return dir;
    }

    /** @return an OpenSSH known_hosts file with every host's key */
    public Path knownHostsFile() {
        return knownHostsFile;
    }

    /** @return the private key every host authorizes (unencrypted OpenSSH format, mode 600) */
    public Path identityFile() {
        return clientKey.privateKeyFile();
    }

    /** @return one {@code user@address:port} per line, in host order */
    public Path hostsFile() {
        return hostsFile;
    }

    /** @return an OpenSSH client config using the two files above, for {@code ssh -F} / {@code pssh -x -F} */
    public Path sshConfigFile() {
        return sshConfigFile;
    }

    /** @return the key every host authorizes */
    public ClientKey clientKey() {
        return clientKey;
    }

    /** @return the options the fleet was started with */
    public Options options() {
        return options;
    }

    /** @return connections open now, over all hosts */
    public int openConnections() {
        return hosts.stream().mapToInt(FleetHost::openConnections).sum();
    }

    /** @return exec and shell channels started so far, over all hosts */
    public long commandsRun() {
        return hosts.stream().mapToLong(FleetHost::commandsRun).sum();
    }

    /**
     * Stops every host and drops their connections; deletes the hosts' disk files, and the whole directory when the
     * fleet made it. Safe to call more than once.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            server.stop(true);
        } catch (IOException e) {
            // closing our own listeners
        }
        if (latency != null) {
            latency.close();
        }
        sftpThreads.shutdownNow();
        deleteTree(dir.resolve("hosts"));
        if (ownsDir) {
            deleteTree(dir);
        }
    }

    @Override
    public String toString() {
        return "SimulatedFleet[" + hosts.size() + " hosts, latency " + options.latency().toMillis() + " ms, " + dir + "]";
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // best effort: a leftover temp file is not worth failing over
        }
    }
}
