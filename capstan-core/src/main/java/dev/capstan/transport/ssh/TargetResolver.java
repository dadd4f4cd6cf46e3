package dev.capstan.transport.ssh;

import dev.capstan.Server;
import dev.capstan.transport.TransportException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.sshd.client.config.hosts.HostConfigEntry;
import org.apache.sshd.client.config.hosts.HostConfigEntryResolver;
import org.apache.sshd.common.util.OsUtils;

/**
 * Turns a server into its {@link SshTarget}: applies {@code ~/.ssh/config} (HostName, User, Port, IdentityFile,
 * IdentitiesOnly, ProxyJump; read as {@link SshConfigFile} says), {@code ssh_user} and {@code gateway}. The user named in the server spec beats
 * {@code ssh_user}, which beats the config's {@code User}; {@code gateway} beats the config's {@code ProxyJump},
 * as {@code ssh -J} does. The config file is read once per run, by the first lookup, while any others wait for it.
 */
final class TargetResolver {

    /** Guards against ProxyJump loops in ssh config. */
    private static final int MAX_JUMPS = 8;

    private final Path configFile;
    private final Path sshDir;
    private final EventLog log;
    /** The config as read, or why it could not be: set once, by the first lookup. */
    private HostConfigEntryResolver config;
    private IOException configFailure;
    private final String defaultUser;
    private final Server gateway;
    private final ConcurrentMap<Endpoint, SshTarget> resolved = new ConcurrentHashMap<>();

    TargetResolver(SshSettings settings, EventLog log) {
        this.configFile = settings.configFile();
        this.sshDir = settings.userSshDir();
        this.log = log;
        this.defaultUser = settings.user();
        this.gateway = settings.gateway();
    }

    /**
     * @throws TransportException when ssh config cannot be read or its jump hosts loop
     */
    SshTarget resolve(Server server) {
        Endpoint endpoint = Endpoint.of(server);
        SshTarget target = resolved.get(endpoint);
        if (target != null) {
            return target;
        }
        try {
            target = gateway != null ? behindGateway(endpoint) : withConfiguredJumps(endpoint, 0);
        } catch (IOException | IllegalArgumentException e) {
            throw new TransportException(server, TransportException.Reason.OTHER,
                    "cannot work out how to reach " + server.label() + " from ssh config: " + e.getMessage(), e);
        }
        SshTarget raced = resolved.putIfAbsent(endpoint, target);
        return raced != null ? raced : target;
    }

    private SshTarget behindGateway(Endpoint endpoint) throws IOException {
        SshTarget bastion = withConfiguredJumps(Endpoint.of(gateway), 0);
        SshTarget direct = lookup(endpoint).target(null);
        boolean isTheGateway = direct.host().equals(bastion.host()) && direct.port() == bastion.port();
        return isTheGateway ? bastion : direct.viaJump(bastion);
    }

    /** The target reached the way its ssh config says: directly, or through its ProxyJump hosts. */
    private SshTarget withConfiguredJumps(Endpoint endpoint, int depth) throws IOException {
        if (depth > MAX_JUMPS) {
            throw new IllegalArgumentException("more than " + MAX_JUMPS + " jump hosts; does ProxyJump loop?");
        }
        Lookup lookup = lookup(endpoint);
        String proxyJump = lookup.entry().getProxyJump();
        if (proxyJump == null || proxyJump.isBlank() || proxyJump.trim().equalsIgnoreCase("none")) {
            return lookup.target(null);
        }
        // "a,b": connect to a (as its own config says), from a to b, from b to the target.
        SshTarget jump = null;
        for (String hop : proxyJump.split(",")) {
            Endpoint hopEndpoint = Endpoint.of(Server.parse(hop.trim().replaceFirst("^ssh://", "")));
            jump = jump == null
                    ? withConfiguredJumps(hopEndpoint, depth + 1)
                    : lookup(hopEndpoint).target(jump);
        }
        return lookup.target(jump);
    }

    private Lookup lookup(Endpoint endpoint) throws IOException {
        String user = endpoint.user() != null ? endpoint.user() : defaultUser;
        HostConfigEntry entry = config().resolveEffectiveHost(endpoint.host(), endpoint.port(), null, user, null,
                null);
        if (entry == null) {
            entry = new HostConfigEntry(endpoint.host(), endpoint.host(),
                    endpoint.port() > 0 ? endpoint.port() : SshTarget.DEFAULT_PORT,
                    user != null ? user : OsUtils.getCurrentUser());
        }
        return new Lookup(entry);
    }

    /**
     * The ssh config, read on first use. MINA's own file-watching resolver answered "no entry" to every caller that came
     * while another was reading the file, and an alias was then looked up in DNS as a host name. A failed read fails
     * every lookup alike, never silently.
     */
    private synchronized HostConfigEntryResolver config() throws IOException {
        if (config == null && configFailure == null) {
            try {
                config = configFile == null
                        ? HostConfigEntryResolver.EMPTY
                        : SshConfigFile.read(configFile, sshDir, log);
            } catch (IOException e) {
                configFailure = e;
            } catch (RuntimeException e) {
                configFailure = new IOException(e.getMessage(), e);
            }
        }
        if (configFailure != null) {
            throw new IOException(configFailure.getMessage(), configFailure);
        }
        return config;
    }

    /** The identity of a server as far as connecting goes. */
    private record Endpoint(String user, String host, int port) {
        static Endpoint of(Server server) {
            return new Endpoint(server.user(), server.host(), server.port());
        }

        // Written out, as in SshTarget: a record's own equals and hashCode are linked through method handles on first
        // use, and this is the first record hashed in a run, on the way to the first connection (~5 ms).
        @Override
        public boolean equals(Object other) {
            return other instanceof Endpoint that && Objects.equals(user, that.user) && Objects.equals(host, that.host)
                    && port == that.port;
        }

        @Override
        public int hashCode() {
            return (Objects.hashCode(user) * 31 + Objects.hashCode(host)) * 31 + port;
        }
    }

    /** One resolved ssh config entry. */
    private record Lookup(HostConfigEntry entry) {
        SshTarget target(SshTarget jump) {
            List<Path> identities = entry.getIdentities().stream().map(Path::of).toList();
            return new SshTarget(entry.getUsername(), entry.getHostName(), entry.getPort(), identities,
                    entry.isIdentitiesOnly(), jump);
        }
    }
}
