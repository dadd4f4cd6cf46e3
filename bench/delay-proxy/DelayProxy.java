// DelayProxy — a TCP proxy that delays every chunk by a fixed one-way latency, in both directions,
// preserving order. Used by capstan's benchmarks to put WAN-like round trips in front of loopback sshd.
//
//   java DelayProxy.java --delay 25ms --listen 127.0.0.21:2222 --target 127.0.0.11:2222 \
//                                     [--listen 127.0.0.22:2222 --target 127.0.0.12:2222 ...] \
//                        [--stats FILE] [--buffer 4MiB]
//
// Every chunk read from one side is stamped with its arrival time; a writer thread per direction sends
// it to the other side when arrival + delay has come. TCP_NODELAY is set on both sockets, so the proxy
// adds no Nagle delay of its own. At most --buffer bytes are in flight per direction (the reader
// blocks beyond that), which plays the part of a TCP window on a long path.
//
// --stats FILE is rewritten (atomically) whenever a connection closes and at exit, one line per pair:
//   <listen> <target> connections=<n> up=<bytes client->target> down=<bytes target->client>
// It prints "READY" on stdout when every listener is bound. Loopback only: it refuses other addresses.
//
// Needs JDK 21 or newer (virtual threads); started from source, no build step.

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

public final class DelayProxy {

    /** One listen address forwarded to one target, with its counters. */
    record Pair(InetSocketAddress listen, InetSocketAddress target, AtomicLong connections, AtomicLong up,
                AtomicLong down) {
        Pair(InetSocketAddress listen, InetSocketAddress target) {
            this(listen, target, new AtomicLong(), new AtomicLong(), new AtomicLong());
        }

        String line() {
            return hostPort(listen) + " " + hostPort(target) + " connections=" + connections.get()
                    + " up=" + up.get() + " down=" + down.get();
        }
    }

    /** A chunk of bytes and the time it may leave; {@code data == null} marks end of stream. */
    record Chunk(long due, byte[] data) { }

    private static final int READ_SIZE = 64 * 1024;

    private static long delayNanos = 25_000_000L;
    private static int bufferBytes = 4 * 1024 * 1024;
    private static Path statsFile;
    private static final List<Pair> PAIRS = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        parse(args);
        List<ServerSocket> servers = new ArrayList<>();
        for (Pair pair : PAIRS) {
            ServerSocket server = new ServerSocket();
            server.setReuseAddress(true);
            server.bind(pair.listen(), 512);
            servers.add(server);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(DelayProxy::writeStats));
        writeStats();
        for (int i = 0; i < PAIRS.size(); i++) {
            Pair pair = PAIRS.get(i);
            ServerSocket server = servers.get(i);
            Thread.ofPlatform().name("accept-" + hostPort(pair.listen())).start(() -> acceptLoop(server, pair));
        }
        System.out.println("READY delay=" + (delayNanos / 1_000_000.0) + "ms pairs=" + PAIRS.size());
        System.out.flush();
        Thread.currentThread().join();
    }

    private static void acceptLoop(ServerSocket server, Pair pair) {
        while (true) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                System.err.println("delay-proxy: accept on " + hostPort(pair.listen()) + " failed: " + e.getMessage());
                return;
            }
            Thread.ofVirtual().start(() -> connect(client, pair));
        }
    }

    private static void connect(Socket client, Pair pair) {
        Socket target = new Socket();
        try {
            client.setTcpNoDelay(true);
            target.setTcpNoDelay(true);
            target.connect(pair.target(), 10_000);
        } catch (IOException e) {
            System.err.println("delay-proxy: cannot reach " + hostPort(pair.target()) + ": " + e.getMessage());
            closeQuietly(client);
            closeQuietly(target);
            return;
        }
        pair.connections().incrementAndGet();
        Connection connection = new Connection(client, target, pair);
        connection.start();
    }

    /** Both directions of one proxied connection. */
    static final class Connection {
        private final Socket client;
        private final Socket target;
        private final Pair pair;
        private int writersLeft = 2;

        Connection(Socket client, Socket target, Pair pair) {
            this.client = client;
            this.target = target;
            this.pair = pair;
        }

        void start() {
            direction(client, target, pair.up());
            direction(target, client, pair.down());
        }

        private void direction(Socket from, Socket to, AtomicLong counter) {
            LinkedBlockingQueue<Chunk> queue = new LinkedBlockingQueue<>();
            Semaphore window = new Semaphore(bufferBytes);
            Thread.ofVirtual().start(() -> read(from, to, queue, window));
            Thread.ofVirtual().start(() -> write(to, from, queue, window, counter));
        }

        private void read(Socket from, Socket to, LinkedBlockingQueue<Chunk> queue, Semaphore window) {
            try {
                InputStream in = from.getInputStream();
                byte[] buffer = new byte[READ_SIZE];
                while (true) {
                    int n = in.read(buffer);
                    long now = System.nanoTime();
                    if (n < 0) {
                        break;
                    }
                    if (n == 0) {
                        continue;
                    }
                    window.acquire(n);
                    byte[] data = new byte[n];
                    System.arraycopy(buffer, 0, data, 0, n);
                    queue.put(new Chunk(now + delayNanos, data));
                }
            } catch (IOException | InterruptedException e) {
                // the connection ended; the writer finishes what it has
            }
            queue.add(new Chunk(System.nanoTime() + delayNanos, null));
        }

        private void write(Socket to, Socket from, LinkedBlockingQueue<Chunk> queue, Semaphore window,
                           AtomicLong counter) {
            try {
                OutputStream out = to.getOutputStream();
                while (true) {
                    Chunk chunk = queue.take();
                    long wait;
                    while ((wait = chunk.due() - System.nanoTime()) > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    if (chunk.data() == null) {
                        to.shutdownOutput();
                        break;
                    }
                    out.write(chunk.data());
                    counter.addAndGet(chunk.data().length);
                    window.release(chunk.data().length);
                }
            } catch (IOException | InterruptedException e) {
                // the other side went away: end both sides, and never leave the reader blocked on the window
                window.release(Integer.MAX_VALUE / 2);
                closeQuietly(to);
                closeQuietly(from);
            }
            finished();
        }

        private void finished() {
            boolean last;
            synchronized (this) {
                last = --writersLeft == 0;
            }
            if (last) {
                closeQuietly(client);
                closeQuietly(target);
                writeStats();
            }
        }
    }

    private static synchronized void writeStats() {
        if (statsFile == null) {
            return;
        }
        StringBuilder text = new StringBuilder();
        for (Pair pair : PAIRS) {
            text.append(pair.line()).append('\n');
        }
        try {
            Path tmp = statsFile.resolveSibling(statsFile.getFileName() + ".tmp");
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, statsFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            System.err.println("delay-proxy: cannot write " + statsFile + ": " + e.getMessage());
        }
    }

    private static void parse(String[] args) throws IOException {
        InetSocketAddress pendingListen = null;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (arg) {
                case "--delay" -> { delayNanos = duration(need(arg, value)); i++; }
                case "--buffer" -> { bufferBytes = (int) size(need(arg, value)); i++; }
                case "--stats" -> { statsFile = Path.of(need(arg, value)); i++; }
                case "--listen" -> {
                    if (pendingListen != null) {
                        usage("--listen " + hostPort(pendingListen) + " has no --target");
                    }
                    pendingListen = address(need(arg, value));
                    i++;
                }
                case "--target" -> {
                    if (pendingListen == null) {
                        usage("--target without a --listen before it");
                    }
                    PAIRS.add(new Pair(pendingListen, address(need(arg, value))));
                    pendingListen = null;
                    i++;
                }
                case "-h", "--help" -> usage(null);
                default -> usage("unknown argument " + arg);
            }
        }
        if (pendingListen != null) {
            usage("--listen " + hostPort(pendingListen) + " has no --target");
        }
        if (PAIRS.isEmpty()) {
            usage("give at least one --listen ADDR:PORT --target ADDR:PORT");
        }
    }

    private static String need(String option, String value) {
        if (value == null) {
            usage(option + " needs a value");
        }
        return value;
    }

    private static InetSocketAddress address(String text) throws IOException {
        int colon = text.lastIndexOf(':');
        if (colon <= 0) {
            usage("not ADDR:PORT: " + text);
        }
        InetAddress host = InetAddress.getByName(text.substring(0, colon));
        if (!host.isLoopbackAddress()) {
            usage("only loopback addresses are allowed: " + text);
        }
        return new InetSocketAddress(host, Integer.parseInt(text.substring(colon + 1)));
    }

    /** "25ms", "0.5s", "250us", "0" (plain numbers are milliseconds). */
    private static long duration(String text) {
        String t = text.strip().toLowerCase();
        double factor = 1_000_000;
        if (t.endsWith("ms")) {
            t = t.substring(0, t.length() - 2);
        } else if (t.endsWith("us")) {
            factor = 1_000;
            t = t.substring(0, t.length() - 2);
        } else if (t.endsWith("s")) {
            factor = 1_000_000_000;
            t = t.substring(0, t.length() - 1);
        }
        return Math.round(Double.parseDouble(t) * factor);
    }

    /** "4MiB", "512KiB", "65536". */
    private static long size(String text) {
        String t = text.strip();
        long factor = 1;
        if (t.endsWith("MiB")) {
            factor = 1 << 20;
            t = t.substring(0, t.length() - 3);
        } else if (t.endsWith("KiB")) {
            factor = 1 << 10;
            t = t.substring(0, t.length() - 3);
        }
        return Long.parseLong(t) * factor;
    }

    private static String hostPort(InetSocketAddress a) {
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing to do
        }
    }

    private static void usage(String problem) {
        if (problem != null) {
            System.err.println("delay-proxy: " + problem);
        }
        System.err.println("usage: java DelayProxy.java [--delay 25ms] [--buffer 4MiB] [--stats FILE]"
                + " --listen ADDR:PORT --target ADDR:PORT [--listen ... --target ...]");
        System.exit(2);
    }
}
