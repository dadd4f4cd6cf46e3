package dev.capstan.transport.ssh;

import dev.capstan.Server;
import dev.capstan.transport.TransportException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.IntSupplier;
import org.apache.sshd.client.session.ClientSession;

/**
 * Every connection of a run, one {@link HostConnections} per {@link SshTarget}, shared by all threads. A target
 * behind a jump host is reached through the jump host's own pooled connection, so one bastion connection carries
 * the tunnels to all the targets behind it.
 */
final class ConnectionPool {

    private static final Duration GOODBYE = Duration.ofSeconds(1);

    private final ConcurrentMap<SshTarget, HostConnections> hosts = new ConcurrentHashMap<>();
    private final Connector connector;
    private final int maxConnectionsPerHost;
    private final EventLog log;
    private final Duration quietAfterTimeout;

    /** @param quietAfterTimeout see {@link HostConnections}: the connect timeout */
    ConnectionPool(Connector connector, int maxConnectionsPerHost, EventLog log, Duration quietAfterTimeout) {
        this.connector = connector;
        this.maxConnectionsPerHost = maxConnectionsPerHost;
        this.log = log;
        this.quietAfterTimeout = quietAfterTimeout;
    }

    HostConnections host(SshTarget target) {
        return hosts.computeIfAbsent(target,
                t -> new HostConnections(t, maxConnectionsPerHost, (server, wanted) -> open(t, server, wanted), log,
                        quietAfterTimeout));
    }

    private Connection open(SshTarget target, Server server, IntSupplier channelsWanted) throws InterruptedException {
        return connector.connect(target, target.jump() == null ? null : jumpSession(target, server), server,
                channelsWanted);
    }

    private ClientSession jumpSession(SshTarget target, Server server) throws InterruptedException {
        try {
            return host(target.jump()).connection(target.jump().asServer()).session();
        } catch (TransportException e) {
            throw new TransportException(server, e.reason(), "cannot reach " + target.address() + " through jump host "
                    + target.jump().address() + ": " + e.getMessage(), e);
        }
    }

    /** The hosts with an open connection, in the order of their names. */
    List<HeldConnections> held() {
        return hosts.values().stream().map(HostConnections::held).filter(h -> h.connections() > 0)
                .sorted(Comparator.comparing(HeldConnections::target)).toList();
    }

    /**
     * Closes every connection: targets first, then the jump hosts their tunnels run through, so that each can say
     * goodbye; each wave waits at most {@link #GOODBYE} in all.
     */
    void close() {
        Map<Integer, List<Connection>> byDepth = new TreeMap<>(Comparator.reverseOrder());
        hosts.forEach((target, host) ->
                byDepth.computeIfAbsent(jumps(target), d -> new ArrayList<>()).addAll(host.shutDown()));
        byDepth.values().forEach(wave -> Connection.closeAll(wave, GOODBYE));
    }

    private static int jumps(SshTarget target) {
        int n = 0;
        for (SshTarget t = target.jump(); t != null; t = t.jump()) {
            n++;
        }
        return n;
    }
}
