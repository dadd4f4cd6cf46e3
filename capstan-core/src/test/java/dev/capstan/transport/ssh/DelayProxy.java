package dev.capstan.transport.ssh;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * A TCP proxy on loopback that holds every byte back for a fixed one-way latency in each direction, so that a round
 * trip to a test host costs what it costs on a WAN (twice the latency). Bandwidth is not limited, and order is kept.
 */
final class DelayProxy implements AutoCloseable {

    private final ServerSocket listener;
    private final InetAddress targetAddress;
    private final int targetPort;
    private final long delayNanos;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private volatile boolean frozen;

    private DelayProxy(ServerSocket listener, InetAddress targetAddress, int targetPort, Duration oneWay) {
        this.listener = listener;
        this.targetAddress = targetAddress;
        this.targetPort = targetPort;
        this.delayNanos = oneWay.toNanos();
    }

    /** Forwards a new port on 127.0.0.1 to {@code targetPort} there, {@code oneWay} late in each direction. */
    static DelayProxy start(int targetPort, Duration oneWay) throws IOException {
        return start(InetAddress.getLoopbackAddress(), targetPort, oneWay);
    }

    /** Forwards a new port on 127.0.0.1 to {@code targetAddress:targetPort}, {@code oneWay} late each way. */
    static DelayProxy start(InetAddress targetAddress, int targetPort, Duration oneWay) throws IOException {
        ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        DelayProxy proxy = new DelayProxy(listener, targetAddress, targetPort, oneWay);
        Thread.ofPlatform().daemon().name("delay-proxy-" + listener.getLocalPort()).start(proxy::accept);
        return proxy;
    }

    int port() {
        return listener.getLocalPort();
    }

    /**
     * From now on reads nothing more, in either direction, and delivers nothing: a host that stopped answering (a hung
     * machine, a black hole), whose TCP windows fill while the connection stays open.
     */
    void freeze() {
        frozen = true;
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket();
                server.connect(new InetSocketAddress(targetAddress, targetPort));
                for (Socket s : List.of(client, server)) {
                    s.setTcpNoDelay(true);
                    sockets.add(s);
                }
                forward(client, server);
                forward(server, client);
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    /** One direction: a reader stamps each chunk with its delivery time, a writer delivers it then. */
    private void forward(Socket from, Socket to) throws IOException {
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        BlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
        Thread.ofPlatform().daemon().start(() -> {
            byte[] buffer = new byte[64 * 1024];
            try {
                for (int n; !frozen && (n = in.read(buffer)) >= 0; ) {
                    if (!frozen) {
                        queue.add(new Chunk(System.nanoTime() + delayNanos, Arrays.copyOf(buffer, n)));
                    }
                }
                while (frozen && !from.isClosed()) {
                    LockSupport.parkNanos(50_000_000L);
                }
            } catch (IOException e) {
                // the other side went away
            }
            queue.add(new Chunk(System.nanoTime() + delayNanos, null));
        });
        Thread.ofPlatform().daemon().start(() -> {
            try {
                while (true) {
                    Chunk chunk = queue.take();
                    for (long wait; (wait = chunk.due - System.nanoTime()) > 0; ) {
                        LockSupport.parkNanos(wait);
                    }
                    if (chunk.bytes == null) {
                        to.shutdownOutput();
                        return;
                    }
                    out.write(chunk.bytes);
                    out.flush();
                }
            } catch (IOException | InterruptedException e) {
                closeQuietly(to);
                closeQuietly(from);
            }
        });
    }

    @Override
    public void close() {
        closeQuietly(listener);
        sockets.forEach(DelayProxy::closeQuietly);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception e) {
            // test teardown
        }
    }

    private record Chunk(long due, byte[] bytes) {
    }
}
