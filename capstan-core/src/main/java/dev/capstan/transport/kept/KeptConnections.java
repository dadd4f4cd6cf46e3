package dev.capstan.transport.kept;

import dev.capstan.Server;
import dev.capstan.event.Event;
import dev.capstan.event.EventSink;
import dev.capstan.transport.Command;
import dev.capstan.transport.CommandResult;
import dev.capstan.transport.OutputListener;
import dev.capstan.transport.Transport;
import dev.capstan.transport.TransferListener;
import dev.capstan.transport.TransportException;
import dev.capstan.transport.kept.KeeperMessage.Accepted;
import dev.capstan.transport.kept.KeeperMessage.Alive;
import dev.capstan.transport.kept.KeeperMessage.Answer;
import dev.capstan.transport.kept.KeeperMessage.Ask;
import dev.capstan.transport.kept.KeeperMessage.Call;
import dev.capstan.transport.kept.KeeperMessage.Done;
import dev.capstan.transport.kept.KeeperMessage.Download;
import dev.capstan.transport.kept.KeeperMessage.Execute;
import dev.capstan.transport.kept.KeeperMessage.Failed;
import dev.capstan.transport.kept.KeeperMessage.Interrupted;
import dev.capstan.transport.kept.KeeperMessage.Line;
import dev.capstan.transport.kept.KeeperMessage.Note;
import dev.capstan.transport.kept.KeeperMessage.Operation;
import dev.capstan.transport.kept.KeeperMessage.Progress;
import dev.capstan.transport.kept.KeeperMessage.Put;
import dev.capstan.transport.kept.KeeperMessage.Refused;
import dev.capstan.transport.kept.KeeperMessage.Result;
import dev.capstan.transport.kept.KeeperMessage.Stop;
import dev.capstan.transport.kept.KeeperMessage.Upload;
import dev.capstan.transport.ssh.PassphrasePrompt;
import dev.capstan.transport.ssh.SshSettings;
import dev.capstan.transport.ssh.SshTransport;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The SSH transport for {@code ssh_keep_connections}: each command and transfer is done by a background process, the
 * {@link ConnectionKeeper}, which keeps the connections open for that many seconds after the run, so that the next run
 * with the same settings finds them logged in (Ansible's ControlPersist, OpenSSH's ControlMaster). The first run starts
 * the keeper; a run that cannot reach or start one says why and connects by itself.
 *
 * <p>What a run sees is what {@link SshTransport} gives it: the same output lines, results, errors and prompts; Ctrl-C
 * stops the command, through the keeper. What differs: an encrypted key is used only through ssh-agent (the keeper has
 * no terminal to ask on), and the keeper's connections were checked against known_hosts when they were opened.
 *
 * <pre>{@code
 * try (Transport ssh = new KeptConnections(SshSettings.from(config::variable), events, prompt)) {
 *     ssh.execute(server, Command.of("uptime"), (s, stream, line) -> System.out.println(line));
 * }
 * }</pre>
 */
public final class KeptConnections implements Transport {
    /** A keeper not heard of for this long, while it has a call open, has stopped answering. */
    static final Duration SILENCE_LIMIT = ConnectionKeeper.ALIVE_INTERVAL.multipliedBy(6);

    /** After a Stop, how long the keeper may take to stop the command and say so. */
    private static final Duration STOP_LIMIT = Duration.ofSeconds(10);

    private static final Object END_OF_CALL = new Object();

    private final SshSettings settings;
    private final EventSink events;
    private final PassphrasePrompt passphrases;
    private final KeeperAddress address;
    private final KeeperLauncher launcher;
    private final Set<Long> shown = ConcurrentHashMap.newKeySet();
    private final Map<String, Server> servers = new ConcurrentHashMap<>();
    private final Object starting = new Object();
    private volatile SshTransport direct;

    /** Keeps connections in the user's own directory for them ({@code $XDG_RUNTIME_DIR/capstan} or {@code ~/.capstan/kept}). */
    public KeptConnections(SshSettings settings, EventSink events, PassphrasePrompt passphrases) {
        this(settings, events, passphrases, KeeperAddress.defaultDirectory());
    }

    /** Keeps connections with their sockets in {@code directory}, made for the user alone if missing. */
    public KeptConnections(SshSettings settings, EventSink events, PassphrasePrompt passphrases, Path directory) {
        if (settings.keepConnections() == null) {
            throw new IllegalArgumentException("kept connections need ssh_keep_connections");
        }
        this.settings = settings;
        this.events = events;
        this.passphrases = passphrases;
        this.address = KeeperAddress.of(directory, settings);
        this.launcher = new KeeperLauncher(address, settings.connectTimeout());
    }

    @Override
    public CommandResult execute(Server server, Command command, OutputListener output) throws InterruptedException {
        KeeperMessage end = call(server, new Execute(server, command), command, output, TransferListener.IGNORE);
        if (end == null) {
            return direct().execute(server, command, output);
        }
        Result r = (Result) end;
        return new CommandResult(server, r.exitStatus(), r.stdout(), r.stderrTail(), r.duration());
    }

    @Override
    public void upload(Server server, Path local, String remote, Integer mode, TransferListener progress)
            throws InterruptedException {
        if (call(server, new Upload(server, local, remote, mode), null, OutputListener.IGNORE, progress) == null) {
            direct().upload(server, local, remote, mode, progress);
        }
    }

    @Override
    public void put(Server server, byte[] content, String remote, Integer mode) throws InterruptedException {
        if (call(server, new Put(server, content, remote, mode), null, OutputListener.IGNORE, TransferListener.IGNORE)
                == null) {
            direct().put(server, content, remote, mode);
        }
    }

    @Override
    public void download(Server server, String remote, Path local, TransferListener progress)
            throws InterruptedException {
        if (call(server, new Download(server, remote, local), null, OutputListener.IGNORE, progress) == null) {
            direct().download(server, remote, local, progress);
        }
    }

    /**
     * Sets up the JDK's Unix-domain sockets (~5 ms the first time in a JVM), for a caller that knows early that a run
     * will keep connections and has a thread to spare.
     */
    public static void warmUp() {
        try {
            SocketChannel.open(java.net.StandardProtocolFamily.UNIX).close();
        } catch (IOException | UnsupportedOperationException e) {
            // the first call will say what is wrong
        }
    }

    /** Closes what this run opened by itself; the keeper's connections stay for the next run. */
    @Override
    public void close() {
        SshTransport own = direct;
        if (own != null) {
            own.close();
        }
    }

    /**
     * Has the keeper do {@code operation}, relaying what it says as it happens.
     *
     * @return the call's last message ({@link Result} or {@link Done}); {@code null} when there is no keeper to do it,
     *         and nothing was done
     */
    private KeeperMessage call(Server server, Operation operation, Command command, OutputListener output,
            TransferListener progress) throws InterruptedException {
        servers.put(server.spec(), server);
        if (Thread.interrupted()) {
            throw new InterruptedException(); // before a socket, which an interrupted thread cannot open
        }
        for (int attempt = 1; direct == null; attempt++) {
            SocketChannel channel = launcher.connect(events);
            if (channel == null) {
                useDirect(launcher.whyUnavailable());
                return null;
            }
            Inbox inbox = new Inbox();
            // A platform thread: a virtual one would start the JDK's I/O poller, a thread in native code that the JVM
            // waits 300 ms for at exit.
            Thread reader = Thread.ofPlatform().daemon().name("kept-read").start(() -> inbox.fill(channel));
            try {
                DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel)));
                Object first;
                try {
                    KeeperWire.send(out, new Call(address.identity(), operation));
                    first = inbox.take(SILENCE_LIMIT.toNanos());
                } catch (IOException e) {
                    first = END_OF_CALL;
                }
                if (first instanceof Accepted) {
                    // From here on the keeper does the call: it is never tried again, by a keeper or directly.
                    try {
                        return relay(server, command, output, progress, out, inbox);
                    } catch (IOException e) {
                        throw new TransportException(server, TransportException.Reason.CONNECTION_LOST,
                                "lost the connection keeper in the middle of the call (" + e.getMessage() + "); its log: "
                                        + address.log());
                    }
                }
                // Nothing was done: a keeper that is closing, or gone between connect and call, is replaced once.
                String why = first instanceof Refused refused ? refused.reason()
                        : first == null ? "the keeper did not answer" : "the keeper ended";
                if (attempt > 1 || first == null || (first instanceof Refused r && !r.reason().contains("closing"))) {
                    useDirect(why);
                    return null;
                }
            } finally {
                try {
                    channel.close();
                } catch (IOException e) {
                    // closed anyway
                }
                reader.interrupt(); // in case it waits for room in the inbox
            }
        }
        return null;
    }

    /**
     * Relays the keeper's messages until the call's last. A listener that throws does not end the call (the command
     * would be stopped): as without a keeper, the command runs to its end, and then the listener's exception is thrown.
     */
    private KeeperMessage relay(Server server, Command command, OutputListener output, TransferListener progress,
            DataOutputStream out, Inbox inbox) throws InterruptedException, IOException {
        RuntimeException listenerFailure = null;
        long stopDeadline = 0;
        while (true) {
            Object next;
            try {
                long wait = stopDeadline == 0 ? SILENCE_LIMIT.toNanos() : stopDeadline - System.nanoTime();
                next = inbox.take(Math.max(0, wait));
            } catch (InterruptedException e) {
                if (stopDeadline != 0) {
                    throw e; // a second interrupt: give up waiting for the keeper
                }
                try {
                    KeeperWire.send(out, new Stop());
                } catch (IOException gone) {
                    throw e; // the keeper has already let go of the call, and stops its command when it does
                }
                stopDeadline = System.nanoTime() + STOP_LIMIT.toNanos();
                continue;
            }
            if (next == null) {
                if (stopDeadline != 0) {
                    throw new InterruptedException("the keeper did not say whether it stopped the command");
                }
                throw new TransportException(server, TransportException.Reason.CONNECTION_LOST,
                        "the connection keeper stopped answering for " + SILENCE_LIMIT.toSeconds() + " s; its log: "
                                + address.log());
            }
            if (next == END_OF_CALL) {
                if (stopDeadline != 0) {
                    throw new InterruptedException("the keeper ended while stopping the command");
                }
                throw new TransportException(server, TransportException.Reason.CONNECTION_LOST,
                        "the connection keeper ended the call before its end (it does so when a run reads none of its"
                                + " output for " + ConnectionKeeper.STALL_LIMIT.toSeconds() + " s) or ended itself; its log: "
                                + address.log());
            }
            boolean last = next instanceof Result || next instanceof Done || next instanceof Failed
                    || next instanceof Interrupted;
            if (last && stopDeadline != 0) {
                throw new InterruptedException(); // whatever ended the call, the run was interrupted
            }
            if (listenerFailure != null && (next instanceof Result || next instanceof Done)) {
                throw listenerFailure;
            }
            switch ((KeeperMessage) next) {
                case Line line -> listenerFailure = deliver(listenerFailure,
                        () -> output.line(server, line.stream(), line.text()));
                case Progress p -> listenerFailure = deliver(listenerFailure,
                        () -> progress.progress(server, p.path(), p.done(), p.total()));
                case Note note -> show(note);
                case Ask ask -> KeeperWire.send(out, new Answer(command == null ? null : command.prompt().answer().get()));
                case Alive alive -> { }
                case Result result -> {
                    return result;
                }
                case Done done -> {
                    return done;
                }
                case Failed failed -> throw new TransportException(server, failed.reason(), failed.message());
                case Interrupted interrupted -> throw new InterruptedException();
                default -> throw new IOException("unexpected " + next + " from the connection keeper");
            }
        }
    }

    /** Gives the run's listener a line or progress, until it has thrown once; returns what it threw. */
    private static RuntimeException deliver(RuntimeException earlier, Runnable delivery) {
        if (earlier != null) {
            return earlier;
        }
        try {
            delivery.run();
            return null;
        } catch (RuntimeException e) {
            return e;
        }
    }

    /** An event of the keeper's SSH layer, once per run, with the run's own server in it. */
    private void show(Note note) {
        if (!shown.add(note.sequence())) {
            return;
        }
        Event event = note.event();
        if (event instanceof Event.ConnectionOpened opened) {
            event = new Event.ConnectionOpened(opened.at(), servers.getOrDefault(opened.server().spec(), opened.server()),
                    opened.took());
        }
        events.emit(event);
    }

    /**
     * What the keeper sent for one call and the run has not handled yet. Output takes room, {@link #ROOM} bytes in
     * all: a run whose listener falls behind (a pager held) stops reading, so that the keeper's own limit on a run that
     * reads nothing applies, instead of the output piling up in the run's memory.
     */
    private static final class Inbox {
        static final int ROOM = 64 * 1024 * 1024;
        private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>();
        private final Semaphore room = new Semaphore(ROOM);

        /** Reads the keeper's messages into the inbox until the call ends. */
        void fill(SocketChannel channel) {
            try {
                DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel)));
                while (true) {
                    KeeperMessage message = KeeperWire.read(in);
                    room.acquire(size(message));
                    queue.add(message);
                }
            } catch (IOException | RuntimeException | InterruptedException e) {
                queue.add(END_OF_CALL);
            }
        }

        /** The next message, {@code null} after {@code nanos}, or {@link #END_OF_CALL}. */
        Object take(long nanos) throws InterruptedException {
            Object next = queue.poll(nanos, TimeUnit.NANOSECONDS);
            if (next instanceof KeeperMessage message) {
                room.release(size(message));
            }
            return next;
        }

        private static int size(KeeperMessage message) {
            return message instanceof Line line ? (int) Math.min(ROOM, line.weight()) : 0;
        }
    }

    private void useDirect(String why) {
        synchronized (starting) {
            if (direct == null) {
                events.emit(new Event.Log(Instant.now(), Event.Level.WARN, null,
                        "not keeping connections (ssh_keep_connections): " + why + "; connecting directly"));
                direct = new SshTransport(settings, events, passphrases);
            }
        }
    }

    private SshTransport direct() {
        useDirect("no keeper");
        return direct;
    }

    /** The keeper's socket, for tests. */
    Path socket() {
        return address.socket();
    }

    /** What a call must carry to be served, for tests. */
    byte[] identity() {
        return address.identity();
    }
}
