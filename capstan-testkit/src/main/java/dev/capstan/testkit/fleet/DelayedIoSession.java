package dev.capstan.testkit.fleet;

import java.io.IOException;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.sshd.common.future.CloseFuture;
import org.apache.sshd.common.future.DefaultCloseFuture;
import org.apache.sshd.common.future.SshFutureListener;
import org.apache.sshd.common.io.AbstractIoWriteFuture;
import org.apache.sshd.common.io.IoService;
import org.apache.sshd.common.io.IoSession;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;

/**
 * The server's view of a TCP connection with a one-way delay in each direction. Writes are copied and put on the wire
 * after the delay (the write itself completes at once, as a write into a socket buffer does); a graceful close and an
 * output shutdown travel the same lane, after the data written before them. {@link LatencyInjector} delays the
 * inbound direction.
 *
 * <p>Attributes live here rather than on the real session: MINA clears those while it reports the close, which this
 * session delivers only after the delay.
 */
final class DelayedIoSession implements IoSession {

    private final IoSession real;
    final DelayLane inbound;
    private final DelayLane outbound;
    private final Map<Object, Object> attributes = new ConcurrentHashMap<>();
    private final AtomicBoolean closing = new AtomicBoolean();

    DelayedIoSession(IoSession real, DelayLane inbound, DelayLane outbound) {
        this.real = real;
        this.inbound = inbound;
        this.outbound = outbound;
    }

    @Override
    public IoWriteFuture writeBuffer(Buffer buffer) throws IOException {
        Buffer copy = new ByteArrayBuffer(buffer.getCompactData());
        outbound.submit(() -> {
            try {
                real.writeBuffer(copy);
            } catch (IOException e) {
                // the connection is gone; the real session reports that itself
            }
        });
        return AbstractIoWriteFuture.fulfilled(this, Boolean.TRUE);
    }

    @Override
    public CloseFuture close(boolean immediately) {
        closing.set(true);
        if (immediately) {
            return real.close(true);
        }
        DefaultCloseFuture future = new DefaultCloseFuture(this, null);
        outbound.submit(() -> real.close(false).addListener(f -> future.setClosed()));
        return future;
    }

    @Override
    public void shutdownOutputStream() {
        outbound.submit(() -> {
            try {
                real.shutdownOutputStream();
            } catch (IOException e) {
                // already closed
            }
        });
    }

    @Override
    public boolean isClosing() {
        return closing.get() || real.isClosing();
    }

    @Override
    public boolean isClosed() {
        return real.isClosed();
    }

    @Override
    public void addCloseFutureListener(SshFutureListener<CloseFuture> listener) {
        real.addCloseFutureListener(listener);
    }

    @Override
    public void removeCloseFutureListener(SshFutureListener<CloseFuture> listener) {
        real.removeCloseFutureListener(listener);
    }

    @Override
    public long getId() {
        return real.getId();
    }

    @Override
    public SocketAddress getAcceptanceAddress() {
        return real.getAcceptanceAddress();
    }

    @Override
    public SocketAddress getRemoteAddress() {
        return real.getRemoteAddress();
    }

    @Override
    public SocketAddress getLocalAddress() {
        return real.getLocalAddress();
    }

    @Override
    public Object getAttribute(Object key) {
        return attributes.get(key);
    }

    @Override
    public Object setAttribute(Object key, Object value) {
        return attributes.put(key, value);
    }

    @Override
    public Object setAttributeIfAbsent(Object key, Object value) {
        return attributes.putIfAbsent(key, value);
    }

    @Override
    public Object removeAttribute(Object key) {
        return attributes.remove(key);
    }

    @Override
    public IoService getService() {
        return real.getService();
    }

    @Override
    public void suspendRead() {
        real.suspendRead();
    }

    @Override
    public void resumeRead() {
        real.resumeRead();
    }

    @Override
    public String toString() {
        return "Delayed" + real;
    }
}
