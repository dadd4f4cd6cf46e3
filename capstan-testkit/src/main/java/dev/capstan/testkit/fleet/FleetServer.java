package dev.capstan.testkit.fleet;

import org.apache.sshd.common.io.IoAcceptor;
import org.apache.sshd.common.io.IoHandler;
import org.apache.sshd.server.SshServer;

/**
 * The one MINA server behind a whole fleet: a single acceptor listening on every host's address, one I/O thread pool,
 * one set of factories. Which host a connection is for is told by the local address it arrived at. With a latency,
 * the acceptor's handler is wrapped so that every message is delayed.
 */
final class FleetServer extends SshServer {

    private final LatencyInjector latency;

    /** @param latency the WAN simulation, or null for none */
    FleetServer(LatencyInjector latency) {
        this.latency = latency;
    }

    @Override
    protected IoAcceptor createAcceptor() {
        IoHandler handler = getSessionFactory();
        return getIoServiceFactory().createAcceptor(latency == null ? handler : latency.wrap(handler));
    }

    /** @return the acceptor, to bind the other hosts' addresses once {@link #start()} has bound the first */
    IoAcceptor acceptor() {
        return acceptor;
    }
}
