package dev.capstan.transport.kept;

import dev.capstan.Server;
import dev.capstan.event.Event;
import dev.capstan.event.EventSink;
import dev.capstan.transport.Command;
import dev.capstan.transport.CommandResult;
import dev.capstan.transport.Prompt;
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
import dev.capstan.transport.kept.KeeperMessage.Inquire;
import dev.capstan.transport.kept.KeeperMessage.Interrupted;
import dev.capstan.transport.kept.KeeperMessage.Line;
import dev.capstan.transport.kept.KeeperMessage.Note;
import dev.capstan.transport.kept.KeeperMessage.Operation;
import dev.capstan.transport.kept.KeeperMessage.Progress;
import dev.capstan.transport.kept.KeeperMessage.Put;
import dev.capstan.transport.kept.KeeperMessage.Refused;
import dev.capstan.transport.kept.KeeperMessage.Report;
import dev.capstan.transport.kept.KeeperMessage.Result;
import dev.capstan.transport.kept.KeeperMessage.Stop;
import dev.capstan.transport.kept.KeeperMessage.Upload;
import dev.capstan.transport.ssh.HeldConnections;
import dev.capstan.transport.ssh.PassphrasePrompt;
import dev.capstan.transport.ssh.SshSettings;
import dev.capstan.transport.ssh.SshTransport;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The background process that keeps a run's SSH connections open for the next run ({@code ssh_keep_connections}).
 * It holds one {@link SshTransport}, so one connection per host (and, with {@code ssh_persistent_shell}, its shells)
 * for every run with the same settings; each of a run's calls arrives on a Unix socket of its own and is done by that
 * transport exactly as the run would have done it. It ends once no call has been open for {@code ssh_keep_connections}
 * seconds, closing the connections.
 *
 * <p>Started by {@link KeptConnections}, in a session of its own so that the terminal's Ctrl-C and hang-up reach the
 * run, not the keeper; it reads its settings from standard input, never from its command line, where {@code ps} would
 * show a password.
 */
public final class ConnectionKeeper {
    /** How often an open call hears from the keeper, so that a run can tell a stuck keeper from a long command. */
    static final Duration ALIVE_INTERVAL = Duration.ofSeconds(5);

    /**
     * A run that has read nothing for this long while more than {@link #STALL_BACKLOG} bytes wait for it (stopped with
     * Ctrl-Z) loses its call, and its command is stopped, rather than hold up the connection's other channels or fill
     * the keeper's memory; {@link #BACKLOG_LIMIT} waiting bytes cut a call off at once.
     */
    static final Duration STALL_LIMIT = ALIVE_INTERVAL;
    static final long STALL_BACKLOG = 1024 * 1024;
    static final long BACKLOG_LIMIT = 512L * 1024 * 1024;

    private final KeeperAddress address;
    /** Held while the keeper takes calls: a keeper that has stopped taking them lets the next one start. */
    private final FileLock lock;
    private final SshTransport transport;
    private final long idleLimitMillis;
    private final Set<OpenCall> open = ConcurrentHashMap.newKeySet();
    private final Map<Thread, OpenCall> workers = new ConcurrentHashMap<>();
    private final NoteBoard notes = new NoteBoard();
    private final Object lifecycle = new Object();
    private int running;
    private long idleSince = System.nanoTime();
    private boolean closing;
    private ServerSocketChannel server;

    private ConnectionKeeper(KeeperAddress address, SshSettings settings, FileLock lock) {
        this.address = address;
        this.lock = lock;
        this.idleLimitMillis = settings.keepConnections().toMillis();
        // No terminal to ask on: an encrypted key is used only through ssh-agent.
        this.transport = new SshTransport(settings, notes, PassphrasePrompt.NONE);
    }

    /**
     * {@code ConnectionKeeper DIRECTORY}, its address and settings on standard input ({@link KeeperAddress#keeperInput}).
     * Exits 0 when another keeper already serves them, or once idle.
     */
    public static void main(String[] args) throws Exception {
        ignoreTerminalSignals();
        KeeperAddress address = KeeperAddress.fromKeeperInput(java.nio.file.Path.of(args[0]), System.in.readAllBytes());
        SshSettings settings = KeeperWire.settings(address.settings());
        try (FileChannel lockFile = FileChannel.open(address.lock(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = awaitLock(lockFile, address, settings.connectTimeout())) {
            if (lock == null) {
                return; // another keeper serves these settings
            }
            new ConnectionKeeper(address, settings, lock).serve();
        }
        // The transport's I/O threads are not daemons.
        System.exit(0);
    }

    /**
     * The lock, held for the keeper's life; {@code null} when another keeper holds it and answers. A keeper that is
     * closing still holds it for a moment after it stopped answering, hence the wait.
     */
    private static FileLock awaitLock(FileChannel file, KeeperAddress address, Duration patience) throws Exception {
        long deadline = System.nanoTime() + patience.toNanos();
        while (true) {
            FileLock lock = file.tryLock();
            if (lock != null) {
                return lock;
            }
            if (answers(address) || System.nanoTime() > deadline) {
                return null;
            }
            Thread.sleep(20);
        }
    }

    private static boolean answers(KeeperAddress address) {
        try (SocketChannel probe = address.connect()) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Ctrl-C and hang-up are for the run that started the keeper, not for the keeper. */
    private static void ignoreTerminalSignals() {
        for (String name : new String[] {"INT", "HUP"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), sun.misc.SignalHandler.SIG_IGN);
            } catch (IllegalArgumentException e) {
                // not a signal on this system
            }
        }
    }

    private void serve() throws IOException {
        Files.deleteIfExists(address.socket()); // a keeper that died left it; the lock says none lives
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(address.socket()));
        Files.setPosixFilePermissions(address.socket(), PosixFilePermissions.fromString("rw-------"));
        Thread.ofVirtual().name("keeper-watch").start(this::watch);
        try {
            while (true) {
                SocketChannel client;
                try {
                    client = server.accept();
                } catch (IOException e) {
                    synchronized (lifecycle) {
                        if (!closing) { // not closed by the keeper itself (idle, told to stop): it cannot take calls
                            System.err.println(java.time.Instant.now() + " cannot take calls any more: " + e);
                            stopListening();
                        }
                    }
                    break;
                }
                Thread.ofVirtual().name("keeper-call").start(() -> handle(client));
            }
            awaitRunningCalls();
        } finally {
            transport.close();
        }
    }

    /** Once told to stop, the calls under way end as they would have; none starts any more. */
    private void awaitRunningCalls() {
        synchronized (lifecycle) {
            while (running > 0) {
                try {
                    lifecycle.wait();
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }

    /** Says that every open call is alive, and closes the keeper once it has been idle for its limit. */
    private void watch() {
        while (true) {
            try {
                Thread.sleep(Math.min(ALIVE_INTERVAL.toMillis(), Math.max(50, idleLimitMillis / 4)));
            } catch (InterruptedException e) {
                return;
            }
            for (OpenCall call : open) {
                call.send(new Alive());
            }
            synchronized (lifecycle) {
                if (!closing && running == 0 && (System.nanoTime() - idleSince) / 1_000_000 >= idleLimitMillis) {
                    stopListening();
                }
            }
        }
    }

    /**
     * Takes no more calls: the socket and the lock go, so that the next run starts a keeper of its own at once, while
     * this one ends the calls under way and closes its connections. Holds the lifecycle.
     */
    private void stopListening() {
        closing = true;
        try {
            Files.deleteIfExists(address.socket());
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        try {
            if (lock.isValid()) {
                lock.release();
            }
        } catch (IOException e) {
            // released when the process ends
        }
    }

    /** Answers {@code capstan keepers}: what this keeper holds, and, when asked to, stops taking calls. */
    private void inquire(Inquire inquire, SocketChannel channel) throws IOException {
        List<HeldConnections> held = transport.heldConnections(); // outside the monitor: it takes each host's lock
        Report report;
        boolean stopping = false;
        synchronized (lifecycle) {
            Duration idle = running > 0 ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - idleSince);
            report = new Report(ProcessHandle.current().pid(), Duration.ofMillis(idleLimitMillis), idle, running, held);
            if (inquire.stop() && !closing) {
                System.err.println(java.time.Instant.now() + " told to stop (capstan keepers --stop) with " + running
                        + " calls under way");
                stopListening(); // no run reaches it once the answer is out
                running++; // the answer itself, so that the keeper does not end before it is out
                stopping = true;
            }
        }
        try {
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel)));
            KeeperWire.send(out, report);
        } finally {
            if (stopping) {
                synchronized (lifecycle) {
                    running--;
                    lifecycle.notifyAll();
                }
            }
        }
    }

    private void handle(SocketChannel channel) {
        try (channel) {
            DataInputStream in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(channel)));
            KeeperMessage first = KeeperWire.read(in);
            if (first instanceof Inquire inquire) {
                inquire(inquire, channel);
                return;
            }
            if (!(first instanceof Call call)) {
                return;
            }
            OpenCall opened = new OpenCall(channel);
            boolean counted = false;
            try {
                if (!MessageDigest.isEqual(call.identity(), address.identity())) {
                    opened.send(new Refused("this keeper has other settings or another build of capstan"));
                    return;
                }
                synchronized (lifecycle) {
                    if (closing) {
                        opened.send(new Refused("this keeper is closing"));
                        return;
                    }
                    running++;
                    counted = true;
                }
                opened.send(new Accepted());
                notes.opening(opened, call.operation());
                run(call.operation(), opened, in);
            } finally {
                open.remove(opened);
                opened.finish();
                if (counted) { // only once the run has every message: a stopped keeper may exit when none runs
                    synchronized (lifecycle) {
                        running--;
                        idleSince = System.nanoTime();
                        lifecycle.notifyAll();
                    }
                }
            }
        } catch (IOException e) {
            // the run went away before its call began
        }
    }

    /** Does the call on a thread of its own while this one reads the run's answers and its Stop. */
    private void run(Operation operation, OpenCall call, DataInputStream in) {
        BlockingQueue<Answer> answers = new LinkedBlockingQueue<>();
        Thread worker = Thread.ofVirtual().name("keeper-work").unstarted(() -> {
            try {
                call.send(perform(operation, call, answers));
            } catch (Throwable t) {
                call.send(new Failed(TransportException.Reason.OTHER, "the connection keeper failed: " + t));
            } finally {
                workers.remove(Thread.currentThread());
            }
        });
        workers.put(worker, call);
        worker.start();
        try {
            while (worker.isAlive()) {
                switch (KeeperWire.read(in)) {
                    case Answer answer -> answers.add(answer);
                    case Stop stop -> worker.interrupt();
                    default -> { }
                }
            }
        } catch (IOException e) {
            // The run is gone (killed, or dropped for not reading): stop the command as it would have.
            answers.add(new Answer(null));
            worker.interrupt();
        }
        try {
            worker.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private KeeperMessage perform(Operation operation, OpenCall call, BlockingQueue<Answer> answers) {
        try {
            switch (operation) {
                case Execute(var server, var command) -> {
                    Command asked = command.prompt() == null ? command : command.withPrompt(
                            new Prompt(command.prompt().marker(), () -> ask(call, answers)));
                    CommandResult r = transport.execute(server, asked, (s, stream, line) -> call.send(new Line(stream, line)));
                    return new Result(r.exitStatus(), r.stdout(), r.stderrTail(), r.duration());
                }
                case Upload(var server, var local, var remote, var mode) -> transport.upload(server, local, remote, mode,
                        (s, path, done, total) -> call.send(new Progress(path, done, total)));
                case Put(var server, var content, var remote, var mode) -> transport.put(server, content, remote, mode);
                case Download(var server, var remote, var local) -> transport.download(server, remote, local,
                        (s, path, done, total) -> call.send(new Progress(path, done, total)));
            }
            return new Done();
        } catch (InterruptedException e) {
            return new Interrupted();
        } catch (TransportException e) {
            return new Failed(e.reason(), e.getMessage());
        } catch (RuntimeException e) {
            return new Failed(TransportException.Reason.OTHER, String.valueOf(e.getMessage()));
        }
    }

    private static String ask(OpenCall call, BlockingQueue<Answer> answers) {
        call.send(new Ask());
        try {
            return answers.take().answer();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /**
     * One call's way back to its run. Output comes from MINA's I/O threads and must never wait for a run that reads
     * slowly, so messages queue and a thread of the call's own writes them; a run that stops reading is cut off
     * ({@link #STALL_LIMIT}).
     */
    private static final class OpenCall {
        private static final KeeperMessage END = new Done();
        private final SocketChannel channel;
        private final BlockingQueue<KeeperMessage> outbox = new LinkedBlockingQueue<>();
        private final AtomicLong backlog = new AtomicLong();
        /** When the write under way began (it blocks while the run reads nothing), or 0. */
        private volatile long writingSince;
        private final Thread writer;
        private final java.util.concurrent.CountDownLatch written = new java.util.concurrent.CountDownLatch(1);
        private volatile Server server;

        OpenCall(SocketChannel channel) {
            this.channel = channel;
            this.writer = Thread.ofVirtual().name("keeper-write").start(this::write);
        }

        void send(KeeperMessage message) {
            long waiting = backlog.addAndGet(size(message));
            long since = writingSince;
            if (waiting > BACKLOG_LIMIT || (waiting > STALL_BACKLOG && since != 0
                    && System.nanoTime() - since > STALL_LIMIT.toNanos())) {
                cutOff();
                return;
            }
            outbox.add(message);
        }

        private static long size(KeeperMessage message) {
            // a Result is the last message, however big its capture: never the reason to cut a call off
            return message instanceof Line line ? line.weight() : 0;
        }

        /** Waits (briefly) until the writer has written everything, so that closing the socket loses nothing. */
        void finish() {
            outbox.offer(END);
            try {
                written.await(ALIVE_INTERVAL.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void cutOff() {
            if (channel.isOpen()) {
                System.err.println(java.time.Instant.now() + " cut off a call to " + (server == null ? "?" : server.label())
                        + ": its run read none of " + backlog.get() + " bytes of output for " + STALL_LIMIT.toSeconds()
                        + " s (or more than " + BACKLOG_LIMIT + " bytes waited)");
            }
            try {
                channel.close(); // the reader sees the end and stops the work
            } catch (IOException e) {
                // closed anyway
            }
        }

        private void write() {
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel)));
            try {
                while (true) {
                    KeeperMessage message = outbox.take();
                    if (message == END) {
                        break;
                    }
                    writingSince = System.nanoTime();
                    KeeperWire.write(out, message);
                    if (outbox.isEmpty()) {
                        out.flush();
                    }
                    writingSince = 0;
                    backlog.addAndGet(-size(message));
                }
                out.flush();
            } catch (IOException | InterruptedException e) {
                cutOff();
            } finally {
                written.countDown();
            }
        }
    }

    /**
     * The SSH layer's events, to the calls they concern: an event on a call's own thread (a refused stop) to that call,
     * a connection's opening to the calls for that server, anything else (a host key added by an I/O thread) to every
     * open call; a run shows each once, by its sequence number. What comes before the first call (the settings'
     * warnings as the transport starts) goes to the first; what comes while no call is open is dropped. A warning
     * raised off any call's thread is the transport's own, given once for its life ("host key checking is off", a
     * missing identity file): every later call gets it again, so that every run shows it, as every run would without a
     * keeper.
     */
    private final class NoteBoard implements EventSink {
        private static final int EARLY_LIMIT = 100;
        private static final int STANDING_LIMIT = 20;
        private final AtomicLong sequence = new AtomicLong();
        private final Deque<Note> early = new ArrayDeque<>();
        private final Deque<Note> standing = new ArrayDeque<>();
        private boolean called;

        @Override
        public void emit(Event event) {
            Note note = new Note(sequence.incrementAndGet(), event);
            OpenCall own = workers.get(Thread.currentThread());
            if (own != null) {
                own.send(note);
                return;
            }
            synchronized (early) {
                if (event instanceof Event.Log log && log.level() == Event.Level.WARN
                        && standing.size() < STANDING_LIMIT) {
                    standing.addLast(note);
                }
                if (!called) {
                    if (early.size() < EARLY_LIMIT) {
                        early.addLast(note);
                    }
                    return;
                }
            }
            for (OpenCall call : open) {
                if (!(event instanceof Event.ConnectionOpened opened)
                        || (call.server != null && opened.server().sameAs(call.server))) {
                    call.send(note);
                }
            }
        }

        void opening(OpenCall call, Operation operation) {
            call.server = switch (operation) {
                case Execute e -> e.server();
                case Upload u -> u.server();
                case Put p -> p.server();
                case Download d -> d.server();
            };
            synchronized (early) {
                called = true;
                early.forEach(call::send);
                early.clear();
                standing.forEach(call::send); // those early sent twice: the run shows each sequence number once
            }
            open.add(call);
        }
    }
}
