package dev.capstan.transport.kept;

import dev.capstan.transport.kept.KeeperMessage.Inquire;
import dev.capstan.transport.kept.KeeperMessage.Report;
import dev.capstan.transport.ssh.HeldConnections;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.SocketException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.SocketChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The user's connection keepers ({@code ssh_keep_connections}), as {@code capstan keepers} shows and stops them, the
 * way {@code ssh -O check} and {@code ssh -O stop} do for OpenSSH's master connections.
 *
 * <pre>{@code
 * for (Keepers.Keeper keeper : Keepers.stop(Keepers.directory())) {
 *     System.out.println(keeper);
 * }
 * }</pre>
 */
public final class Keepers {

    /** How long a keeper may take to answer: it answers at once unless the machine is stalled. */
    private static final Duration ANSWER_WAIT = Duration.ofSeconds(5);

    private Keepers() {
    }

    /** One keeper, as it answered or failed to. */
    public sealed interface Keeper {
        /** Its socket. */
        Path socket();

        /**
         * A keeper that answered.
         *
         * @param socket  where it listens
         * @param pid     its process
         * @param keep    how long it stays once no run uses it
         * @param idle    how long no run has used it; zero while a call runs
         * @param running the calls it is doing for runs right now
         * @param held    the connections it holds, a host each
         */
        record Answered(Path socket, long pid, Duration keep, Duration idle, int running, List<HeldConnections> held)
                implements Keeper {
            public Answered {
                held = List.copyOf(held);
            }
        }

        /**
         * A socket that takes the question but gives no answer that can be read: a keeper of another build of capstan
         * (which a stop does not reach: it ends once idle), one that was ending just then, or one that did not answer
         * in time.
         */
        record Unreadable(Path socket, String reason) implements Keeper { }
    }

    /** Where this user's keepers listen: {@code $XDG_RUNTIME_DIR/capstan}, else {@code ~/.capstan/kept}. */
    public static Path directory() {
        return KeeperAddress.defaultDirectory();
    }

    /** Every keeper listening in {@code directory}; a socket nobody listens on (its keeper died) is left out. */
    public static List<Keeper> list(Path directory) throws IOException {
        return askAll(directory, false);
    }

    /**
     * Tells every keeper in {@code directory} to stop: it takes no call from then on, lets the calls under way end,
     * closes its connections and exits. A run that wants a kept connection afterwards starts a new keeper.
     *
     * @return the keepers as they were when told
     */
    public static List<Keeper> stop(Path directory) throws IOException {
        return askAll(directory, true);
    }

    private static List<Keeper> askAll(Path directory, boolean stop) throws IOException {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        KeeperAddress.checkPrivate(directory); // as for a run: one others can enter is not used
        List<Keeper> keepers = new ArrayList<>();
        try (DirectoryStream<Path> sockets = Files.newDirectoryStream(directory, "*.sock")) {
            for (Path socket : sockets) {
                Keeper keeper = ask(socket, stop);
                if (keeper != null) {
                    keepers.add(keeper);
                }
            }
        }
        keepers.sort(Comparator.comparing(Keeper::socket));
        return keepers;
    }

    private static final String HUNG_UP =
            "it hung up without an answer (a keeper of another build of capstan, or one that was ending)";

    /** The keeper's answer; null when nothing listens there. */
    private static Keeper ask(Path socket, boolean stop) {
        SocketChannel channel;
        try {
            channel = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            return null;
        }
        try (channel) {
            // buffered, so that the question goes in one write: a keeper of another build hangs up after its first byte
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel)));
            try {
                KeeperWire.send(out, new Inquire(stop));
            } catch (IOException e) {
                return new Keeper.Unreadable(socket, HUNG_UP);
            }
            // The socket's blocking reads have no timeout of their own: a watchdog closes it.
            Thread watchdog = Thread.ofVirtual().start(() -> {
                try {
                    Thread.sleep(ANSWER_WAIT.toMillis());
                    channel.close();
                } catch (InterruptedException | IOException e) {
                    // answered in time, or closed anyway
                }
            });
            try {
                DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel)));
                if (KeeperWire.read(in) instanceof Report r) {
                    return new Keeper.Answered(socket, r.pid(), r.keep(), r.idle(), r.running(), r.held());
                }
                return new Keeper.Unreadable(socket, "it answered with something else than a report");
            } finally {
                watchdog.interrupt();
            }
        } catch (EOFException | SocketException e) { // the end of the stream, or a reset
            return new Keeper.Unreadable(socket, HUNG_UP);
        } catch (ClosedChannelException e) { // closed by the watchdog
            return new Keeper.Unreadable(socket, "it did not answer within " + ANSWER_WAIT.toSeconds() + " s");
        } catch (IOException e) {
            return new Keeper.Unreadable(socket, "its answer is unreadable (" + e.getMessage()
                    + "): a keeper of another build of capstan");
        }
    }
}
