package dev.capstan.engine;

import dev.capstan.Server;
import dev.capstan.transport.Transport;
import dev.capstan.transport.dryrun.DryRunTransport;
import dev.capstan.transport.local.LocalTransport;
import java.util.function.Supplier;

/**
 * Picks the transport for a server: the dry-run printer under {@code -n}, local processes for servers
 * marked {@code local}, else the remote transport, created on first use only.
 */
public final class TransportRouter implements AutoCloseable {
    private final boolean dryRun;
    private final Supplier<Transport> remoteFactory;
    private final Transport local = new LocalTransport();
    private final Transport dry = new DryRunTransport();
    private volatile Transport remote;

    public TransportRouter(boolean dryRun, Supplier<Transport> remoteFactory) {
        this.dryRun = dryRun;
        this.remoteFactory = remoteFactory;
    }

    public Transport forServer(Server server) {
        if (dryRun) {
            return dry;
        }
        return server.isLocal() ? local : remote();
    }

    /** The transport of {@code runLocally}: real local processes, also under {@code -n} it is the dry one. */
    public Transport local() {
        return dryRun ? dry : local;
    }

    private Transport remote() {
        Transport current = remote;
        if (current == null) {
            synchronized (this) {
                if (remote == null) {
                    remote = remoteFactory.get();
                }
                current = remote;
            }
        }
        return current;
    }

    @Override
    public void close() {
        Transport current = remote;
        if (current != null) {
            current.close();
        }
    }
}
