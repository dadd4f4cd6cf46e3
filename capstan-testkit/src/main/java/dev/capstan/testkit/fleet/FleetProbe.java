package dev.capstan.testkit.fleet;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.sshd.client.SshClient;
import org.apache.sshd.client.channel.ChannelExec;
import org.apache.sshd.client.channel.ClientChannelEvent;
import org.apache.sshd.client.keyverifier.KnownHostsServerKeyVerifier;
import org.apache.sshd.client.keyverifier.RejectAllServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.kex.BuiltinDHFactories;
import org.apache.sshd.common.kex.KeyExchangeFactory;
import org.apache.sshd.common.keyprovider.FileKeyPairProvider;
import org.apache.sshd.core.CoreModuleProperties;

/**
 * Measures a running fleet from the outside, with a MINA client set up the way capstan sets up its own (TCP_NODELAY,
 * fast key exchange first, strict known_hosts):
 *
 * <pre>
 * java -cp ... dev.capstan.testkit.fleet.FleetProbe --dir /tmp/fleet [--hosts N] [--command true] [--repeat 10]
 * </pre>
 *
 * Connects to the first N hosts of {@code hosts.txt} at once, then runs the command {@code repeat} times in sequence
 * on each connection (all hosts in parallel), and prints connect time and per-command latency. Exit status 1 if any
 * connection or command failed.
 */
public final class FleetProbe {

    private FleetProbe() {
    }

    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.out));
    }

    private record Target(String user, String host, int port) {
        static Target parse(String spec) {
            int at = spec.indexOf('@');
            int colon = spec.lastIndexOf(':');
            return new Target(spec.substring(0, at), spec.substring(at + 1, colon),
                    Integer.parseInt(spec.substring(colon + 1)));
        }
    }

    static int run(String[] args, PrintStream out) throws Exception {
        Path dir = null;
        int hosts = Integer.MAX_VALUE;
        String command = "true";
        int repeat = 10;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--dir" -> dir = Path.of(args[++i]);
                case "--hosts" -> hosts = Integer.parseInt(args[++i]);
                case "--command" -> command = args[++i];
                case "--repeat" -> repeat = Integer.parseInt(args[++i]);
                default -> {
                    out.println("usage: FleetProbe --dir DIR [--hosts N] [--command CMD] [--repeat K]");
                    return 2;
                }
            }
        }
        if (dir == null) {
            out.println("usage: FleetProbe --dir DIR [--hosts N] [--command CMD] [--repeat K]");
            return 2;
        }
        List<Target> targets = Files.readAllLines(dir.resolve("hosts.txt")).stream().filter(l -> !l.isBlank())
                .limit(hosts).map(Target::parse).toList();
        SshClient client = SshClient.setUpDefaultClient();
        client.setServerKeyVerifier(new KnownHostsServerKeyVerifier(RejectAllServerKeyVerifier.INSTANCE,
                dir.resolve("known_hosts")));
        client.setKeyIdentityProvider(new FileKeyPairProvider(dir.resolve("id_ed25519")));
        client.setKeyExchangeFactories(fastKexFirst(client.getKeyExchangeFactories()));
        CoreModuleProperties.TCP_NODELAY.set(client, true);
        CoreModuleProperties.IDLE_TIMEOUT.set(client, Duration.ZERO);
        CoreModuleProperties.NIO2_READ_TIMEOUT.set(client, Duration.ZERO);
        client.start();
        AtomicInteger failures = new AtomicInteger();
        ConcurrentLinkedQueue<Long> connectNanos = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Long> commandNanos = new ConcurrentLinkedQueue<>();
        List<ClientSession> sessions = Collections.synchronizedList(new ArrayList<>());
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            long start = System.nanoTime();
            List<Future<ClientSession>> connecting = new ArrayList<>();
            for (Target t : targets) {
                connecting.add(pool.submit(() -> {
                    long s = System.nanoTime();
                    ClientSession session = client.connect(t.user(), t.host(), t.port()).verify(Duration.ofMinutes(2))
                            .getSession();
                    session.auth().verify(Duration.ofMinutes(2));
                    connectNanos.add(System.nanoTime() - s);
                    sessions.add(session);
                    return session;
                }));
            }
            List<ClientSession> ready = new ArrayList<>();
            for (Future<ClientSession> f : connecting) {
                try {
                    ready.add(f.get());
                } catch (Exception e) {
                    failures.incrementAndGet();
                    out.println("connect failed: " + e.getCause());
                }
            }
            double connectWall = (System.nanoTime() - start) / 1e9;
            out.printf(Locale.ROOT, "connected %d of %d hosts in %.2f s (per host: %s)%n", ready.size(),
                    targets.size(), connectWall, summary(connectNanos));
            String cmd = command;
            int times = repeat;
            long runStart = System.nanoTime();
            List<Future<?>> running = new ArrayList<>();
            for (ClientSession session : ready) {
                running.add(pool.submit(() -> {
                    for (int k = 0; k < times; k++) {
                        long s = System.nanoTime();
                        try (ChannelExec channel = session.createExecChannel(cmd)) {
                            ByteArrayOutputStream sink = new ByteArrayOutputStream();
                            channel.setOut(sink);
                            channel.setErr(sink);
                            channel.open().verify(Duration.ofMinutes(1));
                            channel.waitFor(EnumSet.of(ClientChannelEvent.CLOSED), Duration.ofMinutes(10));
                            Integer status = channel.getExitStatus();
                            if (status == null || status != 0) {
                                failures.incrementAndGet();
                            }
                        } catch (IOException e) {
                            failures.incrementAndGet();
                        }
                        commandNanos.add(System.nanoTime() - s);
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get();
            }
            double runWall = (System.nanoTime() - runStart) / 1e9;
            out.printf(Locale.ROOT, "ran `%s` %d x on each of %d connections in %.2f s (per command: %s); failures %d%n",
                    cmd, times, ready.size(), runWall, summary(commandNanos), failures.get());
        } finally {
            for (ClientSession s : sessions) {
                s.close(true);
            }
            client.stop();
        }
        return failures.get() == 0 ? 0 : 1;
    }

    private static String summary(ConcurrentLinkedQueue<Long> nanos) {
        List<Long> sorted = new ArrayList<>(nanos);
        if (sorted.isEmpty()) {
            return "none";
        }
        sorted.sort(Comparator.naturalOrder());
        return String.format(Locale.ROOT, "min %.1f ms, median %.1f ms, p90 %.1f ms, max %.1f ms", sorted.get(0) / 1e6,
                sorted.get(sorted.size() / 2) / 1e6, sorted.get((int) (sorted.size() * 0.9)) / 1e6,
                sorted.get(sorted.size() - 1) / 1e6);
    }

    private static List<KeyExchangeFactory> fastKexFirst(List<KeyExchangeFactory> factories) {
        List<String> preferred = List.of(BuiltinDHFactories.mlkem768x25519.getName(),
                BuiltinDHFactories.curve25519.getName());
        List<KeyExchangeFactory> ordered = new ArrayList<>(factories);
        ordered.sort(Comparator.comparingInt(f -> {
            int rank = preferred.indexOf(f.getName());
            return rank < 0 ? preferred.size() : rank;
        }));
        return ordered;
    }
}
