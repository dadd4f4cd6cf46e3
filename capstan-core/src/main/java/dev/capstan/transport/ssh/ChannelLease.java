package dev.capstan.transport.ssh;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.sshd.client.channel.ClientChannel;

/**
 * An open channel (exec channel, SFTP client) holding one of its connection's channel slots. Closing the lease
 * closes the channel if still open, waits briefly until the server has closed it too, and frees the slot, once.
 *
 * @param <C> what was opened on the channel
 */
final class ChannelLease<C extends AutoCloseable> implements AutoCloseable {

    /** Long enough for a CLOSE round trip; a dead connection frees the slot anyway. */
    private static final long CLOSE_WAIT_MILLIS = 2000;

    private final C opened;
    private final ClientChannel channel;
    private final Connection connection;
    private final Runnable release;
    private final AtomicBoolean closed = new AtomicBoolean();

    ChannelLease(C opened, ClientChannel channel, Connection connection, Runnable release) {
        this.opened = opened;
        this.channel = channel;
        this.connection = connection;
        this.release = release;
    }

    /** What was opened: the exec channel, or the SFTP client. */
    C channel() {
        return opened;
    }

    /** The connection the channel runs on. */
    Connection connection() {
        return connection;
    }

    /**
     * Closes the channel at once, from any thread, for work stuck on it: a write waiting for a server that stopped
     * answering does not see its thread's interrupt, and ends only when its channel does. {@link #close()} still
     * frees the slot.
     */
    void abort() {
        channel.close(true);
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            if (opened != channel) {
                opened.close(); // an SFTP client ends its channel its own way
            }
            // Gracefully: MINA's plain close() drops a channel without telling the server, which then keeps it (a
            // channel opened ahead and never used, say) and counts it against MaxSessions until the connection ends.
            // And a slot freed before the server has seen the CLOSE would let the next open be refused.
            channel.close(false).await(CLOSE_WAIT_MILLIS);
        } catch (InterruptedIOException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            // Closing fails only when the connection is gone, which frees the server's slot as well.
        } finally {
            release.run();
        }
    }
}
