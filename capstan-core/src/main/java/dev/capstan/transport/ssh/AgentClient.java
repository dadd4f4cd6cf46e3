package dev.capstan.transport.ssh;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.sshd.agent.common.AbstractAgentProxy;
import org.apache.sshd.common.SshException;
import org.apache.sshd.common.util.buffer.Buffer;
import org.apache.sshd.common.util.buffer.ByteArrayBuffer;

/**
 * Talks to ssh-agent over its Unix domain socket with plain JDK channels; MINA's own agent client needs the
 * tomcat-apr native library. MINA's {@link AbstractAgentProxy} encodes the requests (list identities 11/12, sign
 * 13/14); this class only moves the length-prefixed messages, one request at a time, each with a timeout so that a
 * stuck agent cannot hang a login.
 */
final class AgentClient extends AbstractAgentProxy {

    /** Generous: an agent may ask its user to confirm a signature ({@code ssh-add -c}). */
    static final Duration REPLY_TIMEOUT = Duration.ofSeconds(30);
    private static final int MAX_REPLY_BYTES = 256 * 1024;

    private final SocketChannel channel;
    private final Selector selector;

    AgentClient(Path socket) throws IOException {
        super(null);
        channel = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        try {
            channel.configureBlocking(false);
            selector = Selector.open();
        } catch (IOException e) {
            channel.close();
            throw e;
        }
    }

    @Override
    protected synchronized Buffer request(Buffer buffer) throws IOException {
        long deadline = System.nanoTime() + REPLY_TIMEOUT.toNanos();
        ByteBuffer out = ByteBuffer.wrap(buffer.array(), buffer.rpos(), buffer.available());
        while (out.hasRemaining()) {
            if (channel.write(out) == 0) {
                await(SelectionKey.OP_WRITE, deadline);
            }
        }
        ByteBuffer length = readFully(ByteBuffer.allocate(Integer.BYTES), deadline);
        int size = length.getInt(0);
        if (size <= 0 || size > MAX_REPLY_BYTES) {
            throw new SshException("ssh-agent sent a reply of " + size + " bytes");
        }
        return new ByteArrayBuffer(readFully(ByteBuffer.allocate(size), deadline).array());
    }

    private ByteBuffer readFully(ByteBuffer into, long deadline) throws IOException {
        while (into.hasRemaining()) {
            int n = channel.read(into);
            if (n < 0) {
                throw new EOFException("ssh-agent closed the connection");
            }
            if (n == 0) {
                await(SelectionKey.OP_READ, deadline);
            }
        }
        return into;
    }

    private void await(int operation, long deadline) throws IOException {
        long millis = (deadline - System.nanoTime()) / 1_000_000;
        if (millis <= 0) {
            throw new SocketTimeoutException("no answer from ssh-agent within " + REPLY_TIMEOUT.toSeconds() + " s");
        }
        SelectionKey key = channel.register(selector, operation);
        try {
            selector.select(millis);
        } finally {
            key.interestOps(0);
            selector.selectedKeys().clear();
        }
    }

    @Override
    public boolean isOpen() {
        return channel.isOpen();
    }

    @Override
    public void close() throws IOException {
        try {
            selector.close();
        } finally {
            channel.close();
        }
    }
}
