package dev.capstan.transport.ssh;

import dev.capstan.Server;
import dev.capstan.transport.TransportException;
import dev.capstan.transport.TransportException.Reason;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntSupplier;
import org.apache.sshd.client.channel.ClientChannel;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.channel.exception.SshChannelOpenException;

/**
 * Every connection to one {@link SshTarget}, shared by all threads. The first is opened on first use, by one thread
 * while the others wait for it; another is opened only when every open connection has all its channel slots in use,
 * up to {@code max_connections_per_host}. Channels are leased from the connections; a channel open the server
 * refuses is retried with backoff (for up to {@link #REFUSAL_BUDGET}) so that OpenSSH's MaxSessions churn never
 * becomes a failure.
 *
 * <p>Each connection keeps one exec channel opened ahead of need (a spare, holding a channel slot): opened while a
 * command runs, it spares the next command the round trip of its channel open. A new connection to OpenSSH brings
 * its first spares with it, one for each command that waited for it, opened in the login's flight
 * ({@link SignedFirstLogin}). A spare yields like an idle shell.
 *
 * <p>Idle {@link PersistentShell}s are parked here, each still holding its channel slot. They yield: a lease that
 * finds no free slot closes the least recently used idle shell rather than wait or open another connection, and a
 * shell finished with while anyone waits for a slot is closed rather than parked.
 */
final class HostConnections {

    /** Opens and authenticates one more connection to the target. */
    @FunctionalInterface
    interface Opener {
        /**
         * @param commandsWaiting how many commands wait for an exec channel on this host, asked when the login goes out
         * @throws TransportException naming why the target cannot be reached
         */
        Connection open(Server server, IntSupplier commandsWaiting) throws InterruptedException;
    }

    /** Opens something that occupies one channel (an exec channel, an SFTP client) on a session. */
    interface ChannelOpener<C extends AutoCloseable> {
        C open(ClientSession session) throws IOException;

        /** The SSH channel {@code opened} runs on. */
        ClientChannel channelOf(C opened);
    }

    /** Starts a command on an exec channel, fresh or a spare: sets its streams, launches, waits for the open. */
    @FunctionalInterface
    interface ExecStart {
        void start(ExecChannel channel) throws IOException;
    }

    /** A spare exec channel and the connection whose slot it holds. */
    private record Spare(Connection connection, ExecChannel channel) {
    }

    static final Duration REFUSAL_BUDGET = Duration.ofSeconds(10);
    /** How long an unused spare's open may take before it is closed anyway: a round trip, on a live connection. */
    private static final Duration SPARE_OPEN_WAIT = Duration.ofSeconds(5);
    private static final long FIRST_BACKOFF_MILLIS = 5;
    private static final long MAX_BACKOFF_MILLIS = 320;

    private final SshTarget target;
    private final int maxConnections;
    private final Opener opener;
    private final EventLog log;
    private final Duration quietAfterTimeout;
    /** The last connection attempt, if it timed out, and when. */
    private volatile TimedOut lastTimeout;

    private record TimedOut(long atNanos, TransportException failure) {
    }

    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled whenever a slot frees up or a connection opens, fails or closes. */
    private final Condition changed = lock.newCondition();
    private final List<Connection> connections = new ArrayList<>();
    /** Idle persistent shells, most recently used first. */
    private final Deque<PersistentShell> idleShells = new ArrayDeque<>();
    /** Spare exec channels, oldest first: one per connection at most, but for those opened with its login. */
    private final Deque<Spare> spares = new ArrayDeque<>();
    /** Threads waiting for a channel slot right now. */
    private int waiting;
    /** Commands in {@link #leaseExec} that have no channel yet: how many channels a new connection's login opens. */
    private final AtomicInteger commandsWaiting = new AtomicInteger();
    /** The connection being opened right now, if any: at most one at a time. */
    private CompletableFuture<Connection> opening;
    /** {@code max_connections_per_host}, lowered when the server refuses one more connection. */
    private int connectionLimit;
    private boolean closed;

    /**
     * @param quietAfterTimeout how long after a connection attempt that timed out a new one fails at once: a frozen or
     *                          cut-off host would otherwise cost a whole connect_timeout again for every command and
     *                          rollback handler that runs one after another (a rollback of 40 parallelize blocks)
     */
    HostConnections(SshTarget target, int maxConnections, Opener opener, EventLog log, Duration quietAfterTimeout) {
        this.target = target;
        this.maxConnections = maxConnections;
        this.connectionLimit = maxConnections;
        this.opener = opener;
        this.log = log;
        this.quietAfterTimeout = quietAfterTimeout;
    }

    /** Where this host's notes go. */
    EventLog log() {
        return log;
    }

    /**
     * Opens a channel on a connection with a free slot, connecting first if needed.
     *
     * @throws TransportException when the target cannot be reached, the connection is lost, or the server keeps
     *                            refusing channels for longer than {@link #REFUSAL_BUDGET}
     */
    <C extends AutoCloseable> ChannelLease<C> lease(Server server, ChannelOpener<C> channels)
            throws InterruptedException {
        long firstRefusal = 0;
        long backoff = FIRST_BACKOFF_MILLIS;
        int refusals = 0;
        boolean retriedStale = false;
        while (true) {
            Connection connection = connection(server, true);
            C channel;
            try {
                channel = channels.open(connection.session());
            } catch (IOException | RuntimeException e) {
                boolean refused = isRefusal(e);
                release(connection, refused);
                if (e instanceof InterruptedIOException) {
                    throw interrupted(e);
                }
                if (refused) {
                    firstRefusal = refusals++ == 0 ? System.nanoTime() : firstRefusal;
                    if (System.nanoTime() - firstRefusal > REFUSAL_BUDGET.toNanos()) {
                        throw new TransportException(server, Reason.OTHER, target.address() + " kept refusing new"
                                + " channels for " + REFUSAL_BUDGET.toSeconds() + " s (" + refusals + " refusals, "
                                + connection.limiter() + "): is the server's MaxSessions lower than max_sessions?", e);
                    }
                    Thread.sleep(backoff);
                    backoff = Math.min(2 * backoff, MAX_BACKOFF_MILLIS);
                    continue;
                }
                if (!connection.isOpen() && !retriedStale) {
                    // The connection died before the channel opened, so nothing ran: try once on a fresh one.
                    retriedStale = true;
                    continue;
                }
                throw channelFailure(server, connection, e);
            }
            opened(connection);
            return leaseOf(connection, channel, channels.channelOf(channel));
        }
    }

    /**
     * Starts a command on an exec channel: the connection's spare if it has one, else a new channel (connecting first
     * if needed). Either way, a new spare is opened ahead for the next command. A spare that never opened, or whose
     * connection is known gone, is passed over; but a command sent on a spare whose connection then turns out lost
     * is not sent again: unlike a refused open, it may have run.
     *
     * @throws TransportException as {@link #lease}
     */
    ChannelLease<ExecChannel> leaseExec(Server server, ExecStart start) throws InterruptedException {
        return leaseExec(server, start, true);
    }

    /**
     * As {@link #leaseExec(Server, ExecStart)}, but opens no spare for the next command unless {@code openAhead}: a
     * persistent shell runs the next commands itself.
     */
    ChannelLease<ExecChannel> leaseExec(Server server, ExecStart start, boolean openAhead)
            throws InterruptedException {
        commandsWaiting.incrementAndGet();
        try {
            connection(server); // a new connection may bring channels opened with its login (SignedFirstLogin)
        } finally {
            commandsWaiting.decrementAndGet();
        }
        for (Spare spare; (spare = takeSpare()) != null; ) {
            Connection connection = spare.connection();
            try {
                start.start(spare.channel());
            } catch (IOException | RuntimeException e) {
                spare.channel().close(false);
                release(connection, isRefusal(e));
                if (e instanceof InterruptedIOException) {
                    throw interrupted(e);
                }
                if (neverOpened(spare.channel()) || !connection.isOpen()) {
                    continue; // nothing ran on it: the next spare, or a new channel
                }
                throw channelFailure(server, connection, e);
            }
            if (openAhead) {
                openSpare(connection);
            }
            return leaseOf(connection, spare.channel(), spare.channel());
        }
        ChannelLease<ExecChannel> lease = lease(server, new ChannelOpener<>() {
            @Override
            public ExecChannel open(ClientSession session) throws IOException {
                ExecChannel channel = ExecChannel.openOn(session);
                start.start(channel);
                return channel;
            }

            @Override
            public ClientChannel channelOf(ExecChannel opened) {
                return opened;
            }
        });
        if (openAhead) {
            openSpare(lease.connection());
        }
        return lease;
    }

    /**
     * An open connection to the target without taking a channel slot (what a jump host's forwards need),
     * connecting first if there is none.
     */
    Connection connection(Server server) throws InterruptedException {
        return connection(server, false);
    }

    /** The most recently used idle shell that is still open, or null; dead ones met on the way are closed. */
    PersistentShell takeIdleShell() {
        List<PersistentShell> dead = new ArrayList<>();
        PersistentShell found = null;
        lock.lock();
        try {
            for (PersistentShell shell; found == null && (shell = idleShells.pollFirst()) != null; ) {
                if (shell.isOpen()) {
                    found = shell;
                } else {
                    dead.add(shell);
                }
            }
        } finally {
            lock.unlock();
        }
        dead.forEach(PersistentShell::close);
        return found;
    }

    /**
     * Keeps a shell that has finished a command for the next one, unless its slot is wanted now: then the shell ends
     * in the background (a round trip), so that the caller does not wait for that.
     */
    void park(PersistentShell shell) {
        boolean kept;
        lock.lock();
        try {
            kept = !closed && waiting == 0 && shell.isOpen();
            if (kept) {
                idleShells.addFirst(shell);
            }
        } finally {
            lock.unlock();
        }
        if (!kept) {
            Thread.ofVirtual().name("capstan-shell-retire").start(shell::close);
        }
    }

    /** How many of this host's connections are open, and how many idle persistent shells they hold. */
    HeldConnections held() {
        lock.lock();
        try {
            int open = (int) connections.stream().filter(Connection::isOpen).count();
            return new HeldConnections(target.toString(), open, idleShells.size());
        } finally {
            lock.unlock();
        }
    }

    /** Refuses new leases from now on and hands over the open connections for the caller to close. */
    List<Connection> shutDown() {
        lock.lock();
        try {
            closed = true;
            idleShells.clear(); // they end with their connections
            spares.clear();
            List<Connection> all = List.copyOf(connections);
            connections.clear();
            changed.signalAll();
            return all;
        } finally {
            lock.unlock();
        }
    }

    private Connection connection(Server server, boolean takeSlot) throws InterruptedException {
        while (true) {
            CompletableFuture<Connection> pending;
            Runnable freeSlot; // closes a spare or an idle shell, which gives its slot back
            boolean mine = false;
            lock.lock();
            try {
                if (closed) {
                    throw new TransportException(server, Reason.OTHER, "the SSH transport is closed");
                }
                dropDead();
                for (Connection c : connections) {
                    if (!takeSlot || c.limiter().tryAcquire()) {
                        return c;
                    }
                }
                freeSlot = idleSlotHolder(takeSlot);
                if (freeSlot == null && opening == null && connections.size() < connectionLimit) {
                    opening = new CompletableFuture<>();
                    mine = true;
                }
                pending = freeSlot == null ? opening : null;
                if (freeSlot == null && pending == null) {
                    waiting++;
                    try {
                        changed.await(); // every slot of every allowed connection is busy
                    } finally {
                        waiting--;
                    }
                    continue;
                }
            } finally {
                lock.unlock();
            }
            if (freeSlot != null) {
                freeSlot.run(); // the slot is free (and signalled) once the server has let go of the channel
                continue;
            }
            if (mine) {
                open(server, pending);
            }
            awaitOpening(server, pending);
        }
    }

    private void open(Server server, CompletableFuture<Connection> pending) throws InterruptedException {
        Connection opened = null;
        RuntimeException failure = null;
        TimedOut last = lastTimeout;
        long ago = last == null ? Long.MAX_VALUE : System.nanoTime() - last.atNanos();
        try {
            if (ago < quietAfterTimeout.toNanos()) {
                failure = new TransportException(server, Reason.CONNECT_TIMEOUT, last.failure().getMessage() + ", "
                        + (ago < TimeUnit.SECONDS.toNanos(1) ? "just now" : TimeUnit.NANOSECONDS.toSeconds(ago) + " s ago")
                        + ": not tried again within connect_timeout");
            } else {
                opened = opener.open(server, commandsWaiting::get);
                lastTimeout = null;
            }
        } catch (TransportException e) {
            if (e.reason() == Reason.CONNECT_TIMEOUT) {
                lastTimeout = new TimedOut(System.nanoTime(), e);
            }
            failure = e;
        } catch (RuntimeException e) {
            failure = e;
        } finally {
            lock.lock();
            try {
                opening = null;
                if (opened != null && closed) {
                    opened.close();
                } else if (opened != null) {
                    connections.add(opened);
                    adoptFirstChannels(opened);
                }
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            // Interrupted (no connection, no failure): the waiters loop and one of them opens instead.
            if (failure != null) {
                pending.completeExceptionally(failure);
            } else {
                pending.complete(opened);
            }
        }
    }

    /** Waits for a connection attempt; its failure is the caller's too unless another connection still serves. */
    private void awaitOpening(Server server, CompletableFuture<Connection> pending) throws InterruptedException {
        try {
            pending.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            lock.lock();
            try {
                dropDead();
                if (!connections.isEmpty()) {
                    // One more connection failed while others serve: make do with those, and stop trying.
                    lowerConnectionLimit(cause);
                    return;
                }
            } finally {
                lock.unlock();
            }
            if (cause instanceof TransportException t) {
                // A fresh exception per caller: one instance must not be thrown on many threads.
                throw new TransportException(server, t.reason(), t.getMessage(), t);
            }
            throw new TransportException(server, Reason.OTHER, "cannot connect to " + target + ": " + cause, cause);
        }
    }

    /** Caller holds the lock. */
    private void lowerConnectionLimit(Throwable cause) {
        if (connectionLimit > connections.size()) {
            connectionLimit = connections.size();
            log.debug("staying with " + connectionLimit + " connection(s) to " + target.address()
                    + ": another one failed (" + cause.getMessage() + ")");
        }
    }

    private <C extends AutoCloseable> ChannelLease<C> leaseOf(Connection connection, C opened, ClientChannel channel) {
        return new ChannelLease<>(opened, channel, connection, () -> release(connection, false));
    }

    /**
     * Something idle that holds a slot, to be closed so that a lease can have the slot: a spare (when the lease
     * takes a slot), else the least recently used idle shell; null if there is nothing. Caller holds the lock.
     */
    private Runnable idleSlotHolder(boolean takeSlot) {
        Spare spare = takeSlot ? pollSpare() : null;
        if (spare != null) {
            return () -> retire(spare);
        }
        PersistentShell shell = idleShells.pollLast();
        return shell == null ? null : shell::close;
    }

    /**
     * Closes an unused spare and frees its slot once the server has let go of it. An open still under way is waited
     * for first: closed before the server's confirmation, MINA would forget the channel without telling the server,
     * which would keep it (and count it against MaxSessions) until the connection ends.
     */
    private void retire(Spare spare) {
        try {
            spare.channel().opening().await(SPARE_OPEN_WAIT.toMillis());
        } catch (InterruptedIOException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // The open failed: nothing to tell the server.
        }
        leaseOf(spare.connection(), spare.channel(), spare.channel()).close();
    }

    /** A spare to start a command on, or null; spares of dead connections met on the way are dropped. */
    private Spare takeSpare() {
        List<Spare> dead = new ArrayList<>();
        Spare found = null;
        lock.lock();
        try {
            for (Spare spare; found == null && (spare = pollSpare()) != null; ) {
                if (spare.connection().isOpen() && !spare.channel().isClosing()) {
                    found = spare;
                } else {
                    dead.add(spare);
                }
            }
        } finally {
            lock.unlock();
        }
        for (Spare spare : dead) {
            spare.channel().close(false);
            release(spare.connection(), false);
        }
        return found;
    }

    /** Caller holds the lock. */
    private boolean hasSpare(Connection connection) {
        return spares.stream().anyMatch(spare -> spare.connection() == connection);
    }

    /** Removes the oldest spare, still holding its slot. Caller holds the lock. */
    private Spare pollSpare() {
        return spares.pollFirst();
    }

    /**
     * Opens a spare on {@code connection} unless it has one, a slot is not free, or someone waits for a slot. Does
     * not wait for the server's answer; a refused or failed open simply leaves the connection without a spare.
     */
    private void openSpare(Connection connection) {
        lock.lock();
        try {
            if (closed || waiting > 0 || hasSpare(connection) || !connection.isOpen()
                    || !connection.limiter().tryAcquire()) {
                return;
            }
            ExecChannel spare;
            try {
                spare = ExecChannel.openOn(connection.session());
            } catch (IOException | RuntimeException e) {
                connection.limiter().release();
                return;
            }
            keepSpare(connection, spare);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Keeps the channels opened with the connection's login as its spares, each holding a slot. Caller holds the lock.
     * An open that fails is dropped like any spare's; the server answers them with the login's success.
     */
    private void adoptFirstChannels(Connection connection) {
        List<ExecChannel> first = connection.session().removeAttribute(SignedFirstLogin.FIRST_CHANNELS);
        for (ExecChannel channel : first == null ? List.<ExecChannel>of() : first) {
            if (connection.limiter().tryAcquire()) {
                keepSpare(connection, channel);
            } else {
                // No slot for it: closed once open, so that the server lets go of it too.
                channel.opening().addListener(f -> channel.close(false));
            }
        }
    }

    /** Keeps {@code spare}, whose slot is taken, until a command takes it or its open fails. Caller holds the lock. */
    private void keepSpare(Connection connection, ExecChannel spare) {
        spares.addLast(new Spare(connection, spare));
        spare.opening().addListener(f -> {
            if (!f.isOpened()) {
                dropSpare(connection, spare, isRefusal(f.getException()));
            }
        });
    }

    /** Forgets a spare whose open failed, if no command has taken it meanwhile. */
    private void dropSpare(Connection connection, ExecChannel spare, boolean refused) {
        lock.lock();
        try {
            if (!spares.removeIf(s -> s.channel() == spare)) {
                return; // taken: its taker saw the failure and released the slot
            }
        } finally {
            lock.unlock();
        }
        spare.close(true);
        release(connection, refused);
    }

    private static boolean neverOpened(ExecChannel channel) {
        return channel.opening().isDone() && !channel.opening().isOpened();
    }

    private void opened(Connection connection) {
        lock.lock();
        try {
            connection.limiter().opened();
        } finally {
            lock.unlock();
        }
    }

    private void release(Connection connection, boolean refused) {
        int lowered = 0;
        lock.lock();
        try {
            ChannelLimiter limiter = connection.limiter();
            limiter.release();
            if (refused) {
                int before = limiter.limit();
                limiter.refused();
                lowered = limiter.limit() < before ? limiter.limit() : 0;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (lowered > 0) {
            log.debug(target.address() + " refused a channel: using at most " + lowered
                    + " channels at once on that connection for now");
        }
    }

    /** Forgets connections that died; the next lease reconnects. Caller holds the lock. */
    private void dropDead() {
        connections.removeIf(c -> {
            if (c.isOpen()) {
                return false;
            }
            c.close();
            return true;
        });
    }

    /** Whether the server answered the channel open with a refusal (MaxSessions), as opposed to a broken link. */
    private static boolean isRefusal(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SshChannelOpenException) {
                return true;
            }
        }
        return false;
    }

    private TransportException channelFailure(Server server, Connection connection, Exception e) {
        if (!connection.isOpen()) {
            return new TransportException(server, Reason.CONNECTION_LOST,
                    "connection to " + target.address() + " lost", e);
        }
        return new TransportException(server, Reason.OTHER,
                "cannot open a channel on " + target.address() + ": " + e.getMessage(), e);
    }

    private static InterruptedException interrupted(Exception cause) {
        InterruptedException e = new InterruptedException("interrupted while opening an SSH channel");
        e.initCause(cause);
        return e;
    }

    @Override
    public String toString() {
        return "HostConnections[" + target + ", up to " + maxConnections + " connections]";
    }
}
