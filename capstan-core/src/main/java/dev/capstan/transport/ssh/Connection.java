package dev.capstan.transport.ssh;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.future.CloseFuture;

/**
 * One authenticated SSH connection and the channel limit it carries.
 *
 * @param session the authenticated session
 * @param limiter its channel slots, guarded by the owning {@link HostConnections}
 * @param tunnel  what carries it through a jump host (the local port forward), closed with it; or {@code null}
 */
record Connection(ClientSession session, ChannelLimiter limiter, AutoCloseable tunnel) {

    boolean isOpen() {
        return session.isOpen() && !session.isClosing();
    }

    /** Starts closing without waiting; running channels end with the connection. */
    void close() {
        session.close(true);
        if (tunnel != null) {
            try {
                tunnel.close();
            } catch (Exception e) {
                // The forward dies with the jump session anyway; nothing to report on teardown.
            }
        }
    }

    /**
     * Closes connections politely, all at once, waiting at most {@code wait} in all before closing the rest hard:
     * shutting down must not take a timeout per unreachable host.
     */
    static void closeAll(Collection<Connection> connections, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        List<CloseFuture> closing = connections.stream().map(c -> c.session().close(false)).toList();
        try {
            for (CloseFuture f : closing) {
                f.await(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            }
        } catch (InterruptedIOException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // Failed to say goodbye: the hard close below ends it anyway.
        }
        connections.forEach(Connection::close);
    }
}
