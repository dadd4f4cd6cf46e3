package dev.capstan.transport.ssh;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.AsynchronousChannelGroup;
import java.nio.channels.AsynchronousSocketChannel;
import java.nio.channels.CompletionHandler;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import org.apache.sshd.common.AttributeRepository;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.FactoryManager;
import org.apache.sshd.common.PropertyResolver;
import org.apache.sshd.common.io.AbstractIoWriteFuture;
import org.apache.sshd.common.io.DefaultIoConnectFuture;
import org.apache.sshd.common.io.IoConnectFuture;
import org.apache.sshd.common.io.IoConnector;
import org.apache.sshd.common.io.IoHandler;
import org.apache.sshd.common.io.IoServiceFactory;
import org.apache.sshd.common.io.IoWriteFuture;
import org.apache.sshd.common.io.nio2.Nio2Connector;
import org.apache.sshd.common.io.nio2.Nio2ServiceFactory;
import org.apache.sshd.common.io.nio2.Nio2ServiceFactoryFactory;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionContext;
import org.apache.sshd.common.session.helpers.ReservedSessionMessagesHandlerAdapter;
import org.apache.sshd.common.util.threads.CloseableExecutorService;
import org.apache.sshd.common.util.threads.ThreadUtils;

/**
 * Connects to a server and sends the client's identification line while MINA's client is still being built, then
 * hands the connected socket to MINA. The SSH client's set-up (JCA providers, MINA's tables and thread pools: tens of
 * milliseconds of CPU on a cold JVM) used to come before the TCP connect; now it overlaps the connect and the server's
 * answer to the identification (sshd sends its key-exchange offer only once it has the client's line), which is a
 * round trip on a distant link.
 *
 * <p>Every client socket, early or not, lives in this object's channel group: MINA's sessions run their reads there.
 * {@link #close()} closes them all, those no session took included.
 */
final class EarlyConnects implements AutoCloseable {

    /** The connected socket (identification sent) for MINA to take, in the connect context of its session. */
    static final AttributeKey<CompletableFuture<AsynchronousSocketChannel>> SOCKET = new AttributeKey<>();

    /**
     * What follows {@code SSH-2.0-} in the identification line: MINA's own, {@code APACHE-SSHD-<version>}, which the
     * client is also told to use ({@link ClientSetup}). Written out rather than read from MINA's version resource as
     * MINA does: that read took 2-3 ms of a cold start, right before the first connect. EarlyConnectsTest fails when
     * the two differ (a MINA upgrade).
     */
    static final String IDENTIFICATION = "APACHE-SSHD-2.20.0";
    /** The identification line as MINA's session would send it, without its line end. */
    private static final String LINE = SessionContext.DEFAULT_SSH_VERSION_PREFIX + IDENTIFICATION;

    private final AsynchronousChannelGroup group;

    private EarlyConnects(AsynchronousChannelGroup group) {
        this.group = group;
    }

    /** A new channel group for a transport's sockets. */
    static EarlyConnects open() {
        try {
            return new EarlyConnects(AsynchronousChannelGroup.withFixedThreadPool(
                    Math.max(2, Runtime.getRuntime().availableProcessors()),
                    // daemon threads, so that a forgotten socket never keeps the JVM alive; all of one name, since a
                    // numbered name is counted through a VarHandle that is linked on first use (~2 ms of a start)
                    Thread.ofPlatform().daemon().name("capstan-ssh-io").factory()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start the SSH client's I/O threads", e);
        }
    }

    /**
     * Starts connecting to {@code address}; the future completes once the identification line is written. A socket
     * that no session takes is closed by {@link #close()}.
     */
    CompletableFuture<AsynchronousSocketChannel> start(InetSocketAddress address) {
        CompletableFuture<AsynchronousSocketChannel> connected = new CompletableFuture<>();
        AsynchronousSocketChannel socket;
        try {
            socket = newSocket();
        } catch (IOException e) {
            connected.completeExceptionally(e);
            return connected;
        }
        ByteBuffer line = ByteBuffer.wrap((LINE + "\r\n").getBytes(StandardCharsets.US_ASCII));
        try {
            connect(socket, address, line, connected);
        } catch (RuntimeException e) {
            // an address that no longer resolves, a group already shut down: reported as the connect's failure
            closeQuietly(socket);
            connected.completeExceptionally(e);
        }
        return connected;
    }

    private static void connect(AsynchronousSocketChannel socket, InetSocketAddress address, ByteBuffer line,
            CompletableFuture<AsynchronousSocketChannel> connected) {
        socket.connect(address, null, new CompletionHandler<Void, Void>() {
            @Override
            public void completed(Void result, Void attachment) {
                socket.write(line, null, new CompletionHandler<Integer, Void>() {
                    @Override
                    public void completed(Integer written, Void attachment) {
                        if (line.hasRemaining()) {
                            socket.write(line, null, this);
                        } else if (!connected.complete(socket)) {
                            closeQuietly(socket); // cancelled meanwhile
                        }
                    }

                    @Override
                    public void failed(Throwable e, Void attachment) {
                        fail(e);
                    }
                });
            }

            @Override
            public void failed(Throwable e, Void attachment) {
                fail(e);
            }

            private void fail(Throwable e) {
                closeQuietly(socket);
                connected.completeExceptionally(e);
            }
        });
    }

    /** A new socket in this object's group, with TCP_NODELAY (capstan's commands are small messages). */
    private AsynchronousSocketChannel newSocket() throws IOException {
        AsynchronousSocketChannel socket = AsynchronousSocketChannel.open(group);
        socket.setOption(StandardSocketOptions.TCP_NODELAY, true);
        return socket;
    }

    /** MINA's I/O with {@link Adopting} as its connector. */
    Nio2ServiceFactoryFactory ioFactories() {
        return new Nio2ServiceFactoryFactory() {
            @Override
            public IoServiceFactory create(FactoryManager manager) {
                // MINA's factory shuts this pool down with itself.
                CloseableExecutorService resuming = ThreadUtils.newFixedThreadPool(manager + "-nio2-resume", 1);
                return new Nio2ServiceFactory(manager, null, resuming) {
                    @Override
                    public IoConnector createConnector(IoHandler handler) {
                        return autowireCreatedService(new Adopting(this, getFactoryManager(), handler, resuming));
                    }
                };
            }
        };
    }

    /**
     * Tells MINA that a session on an early socket has sent its identification already, so that it does not send it
     * twice; any other session sends it as usual.
     */
    ReservedSessionMessagesHandlerAdapter identificationSent() {
        return new ReservedSessionMessagesHandlerAdapter() {
            @Override
            public IoWriteFuture sendIdentification(Session session, String version, List<String> extraLines) {
                AttributeRepository context = session instanceof org.apache.sshd.client.session.ClientSession client
                        ? client.getConnectionContext() : null;
                if (context == null || context.getAttribute(SOCKET) == null) {
                    return null;
                }
                if (!version.equals(LINE) || !extraLines.isEmpty()) {
                    throw new IllegalStateException("sent " + LINE + " early, but MINA would send " + version);
                }
                return AbstractIoWriteFuture.fulfilled(session, Boolean.TRUE);
            }
        };
    }

    /** Closes every socket of the group, sessions' and untaken ones alike: call it once the client has stopped. */
    @Override
    public void close() {
        try {
            group.shutdownNow();
        } catch (IOException e) {
            // closing: nothing left to do with it
        }
    }

    /**
     * Closes an early socket, now or once it has connected: one that no session took, or whose session is gone. A
     * {@code null} socket is left alone.
     */
    static void abandon(CompletableFuture<AsynchronousSocketChannel> socket) {
        if (socket != null) {
            socket.cancel(false);
            socket.thenAccept(EarlyConnects::closeQuietly);
        }
    }

    private static void closeQuietly(AsynchronousSocketChannel socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // closing: nothing left to do with it
        }
    }

    /**
     * MINA's connector, which takes a session's socket from {@link #SOCKET} when its connect context has one and
     * otherwise opens it in the same group.
     */
    private final class Adopting extends Nio2Connector {

        Adopting(Nio2ServiceFactory factory, PropertyResolver properties, IoHandler handler, ExecutorService resuming) {
            super(factory, properties, handler, group, resuming);
        }

        @Override
        public IoConnectFuture connect(SocketAddress address, AttributeRepository context, SocketAddress localAddress) {
            CompletableFuture<AsynchronousSocketChannel> early = context == null ? null : context.getAttribute(SOCKET);
            if (early == null) {
                return super.connect(address, context, localAddress);
            }
            IoConnectFuture future = new DefaultIoConnectFuture(address, null);
            future.addListener(f -> {
                if (f.isCanceled()) {
                    abandon(early);
                }
            });
            early.whenComplete((socket, error) -> {
                if (error != null) {
                    future.setException(error instanceof CompletionException ? error.getCause() : error);
                } else if (future.isCanceled()) {
                    closeQuietly(socket);
                } else {
                    // What MINA does once a socket it opened has connected: the session, then its reads.
                    createConnectionCompletionHandler(future, socket, context, propertyResolver, getIoHandler())
                            .completed(null, null);
                }
            });
            return future;
        }

        @Override
        protected AsynchronousSocketChannel openAsynchronousSocketChannel(SocketAddress address,
                AsynchronousChannelGroup ignored) throws IOException {
            return newSocket();
        }
    }
}
