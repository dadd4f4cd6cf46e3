package dev.capstan.transport.ssh;

import dev.capstan.Server;
import dev.capstan.Shell;
import dev.capstan.transport.Command;
import dev.capstan.transport.CommandResult;
import dev.capstan.transport.OutputListener;
import dev.capstan.transport.TransportException;
import dev.capstan.transport.TransportException.Reason;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A long-lived shell on one channel of a connection ({@code exec /bin/sh}, no pty, stdin kept open) that runs
 * commands one after another, for {@code ssh_persistent_shell}: a command then costs one round trip (its script out,
 * its output and end marker back) instead of two (channel open, then exec until close).
 *
 * <p>Each command is written to the shell's stdin as one line:
 *
 * <pre>
 * $__capstan_run "$__capstan_sh" -c '&lt;command&gt;' &lt;/dev/null 2&gt;&amp;3 3&gt;&amp;- &amp; __capstan_pid=$!; wait $__capstan_pid; ...
 * printf '%s %d\n' 'MARKER' $__capstan_status; printf '%s %d\n' 'MARKER' $__capstan_status &gt;&amp;3
 * </pre>
 *
 * <p>so the command runs as sshd would run it on its own channel (the login shell's {@code -c}, in the login
 * directory, stdin empty; see {@link #SETUP}) in a process of its own, whose {@code cd}, {@code exit} and exports
 * end with it. Once it
 * has exited, the shell prints the marker and the exit status on both streams. The marker is random per shell
 * (128 bits), so no output contains it by chance; each stream is searched for it anywhere ({@link MarkerScanner}),
 * not at line starts, so output before it is the command's, including a last line without a newline, and the
 * command's output is passed on byte for byte. The command is done when both streams have shown the marker. The
 * shell's own stderr is /dev/null (fd 3 is the channel's), so its job reports never mix with a command's output.
 *
 * <p>The command runs as a background job that the shell waits for, because a shell runs its traps only between
 * commands or during {@code wait}: stopping the shell with SIGTERM (timeout, interrupt) makes its trap pass the
 * signal on to the command, which is what sshd does for a command on its own channel. The channel is then closed
 * and the shell discarded; a shell that dies mid-command (connection lost) fails that command as a lost connection.
 *
 * <p>A new shell costs its first command no round trip more than a channel of its own would: it starts on an exec
 * channel like any command (a connection's channel opened ahead, if it has one), with its set-up, a check that it
 * speaks this protocol (the marker with status 0 on both streams) and the first command in the exec request itself,
 * {@code exec /bin/sh -c '<set-up; check; first command; exec /bin/sh>'}: the last {@code exec} leaves a shell with
 * the same descriptors reading the next commands from stdin, which gets the rest of the set-up with the second
 * command. (OpenSSH lets a channel's stdin flow only once its command has started, a round trip after the exec.) The
 * check must answer within the connect timeout: a shell that does not (a restricted or emulated one) is closed with a
 * clear message instead of leaving a command waiting forever.
 */
final class PersistentShell {

    private static final SecureRandom RANDOM = new SecureRandom();
    /**
     * Run first by every shell: its own stderr goes to /dev/null (shells report jobs killed by a signal there,
     * "Terminated") while commands and the marker use the channel's stderr as fd 3. Descriptors outlive the
     * {@code exec} into the shell that reads stdin; what {@link #SETUP} sets does not, so that one gets it again.
     */
    private static final String DESCRIPTORS = "exec 3>&2 2>/dev/null\n";
    /**
     * Run by the shell that starts a channel and again by the one it becomes to read stdin. SHLVL goes, as sshd never
     * passes it (bash reads its .bashrc for a command from sshd only at level 1). The login shell is run by its base
     * name when PATH finds the same file under it, as sshd does, so that its messages read "bash: line 1: ..." as they
     * would on a channel of their own. Each command runs in a session and process group of its own ({@code setsid},
     * where there is one), as on a channel of its own: what it leaves running is out of reach of a later command's
     * stop, and its {@code kill 0} reaches only itself. SIGTERM (or SIGHUP) ends the running command's process group,
     * as sshd's does for a command on its own channel, then the shell.
     */
    private static final String SETUP = "unset SHLVL\n"
            + "__capstan_sh=${SHELL:-/bin/sh}; __capstan_name=${__capstan_sh##*/}; "
            + "[ \"$(command -v \"$__capstan_name\")\" -ef \"$__capstan_sh\" ] && __capstan_sh=$__capstan_name\n"
            + "__capstan_run=; command -v setsid >/dev/null 2>&1 && __capstan_run=setsid\n"
            + "trap '[ -n \"$__capstan_pid\" ] && { kill -TERM \"-$__capstan_pid\" || kill -TERM \"$__capstan_pid\"; }; exit 143'"
            + " TERM HUP\n";
    /** How long an idle shell told to end (EOF) may take until its channel has closed. */
    private static final long RETIRE_WAIT_MILLIS = 2000;
    /** Longest trailer after a marker: a space, an exit status, the newline. */
    private static final int MAX_TRAILER = 16;

    private final String markerId = HexFormat.of().formatHex(randomBytes());
    /** What ends a command's output; never written whole in a command line (see {@link #printStatus()}). */
    private final String marker = "capstan-" + markerId;
    private final Framer stdout = new Framer(true);
    private final Framer stderr = new Framer(false);
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Duration checkLimit;
    /** Told when a command that was stopped may still be running. */
    private final EventLog log;
    /** The command sent last and where, for what the log is told; null before the first. */
    private volatile Sent sent;
    private ChannelLease<ExecChannel> lease;
    private OutputStream input;
    /** Whether the shell reading stdin has had {@link #SETUP}, which comes with the second command. */
    private boolean setUp;
    /** A new shell's protocol check until it has answered, or null. */
    private volatile Job check;
    /** The command running right now, or null. */
    private volatile Job job;
    /** Set when the shell must not run another command: stopped, cut off, or its framing went wrong. */
    private volatile boolean spent;

    private PersistentShell(Duration checkLimit, EventLog log) {
        this.checkLimit = checkLimit;
        this.log = log;
    }

    /**
     * Most bytes a command may take on its way to a shell. A new shell's first command travels in its exec request,
     * quoted twice (each {@code '} in it grows to 13 bytes), and as one argument of {@code sh -c}: OpenSSH drops a
     * connection whose packet exceeds 256 KiB, and Linux refuses an argument over 128 KiB. A longer command runs on a
     * channel of its own, which reports those limits as it would without the persistent shell.
     */
    static final int MAX_LINE = 64 * 1024;

    /**
     * Whether {@code command} can run on a shell: anything with stdin, a pty or a prompt needs its own channel, and so
     * does a command that takes more than {@link #MAX_LINE} bytes as a new shell's exec request carries it.
     */
    static boolean suits(Command command) {
        return command.stdin() == null && !command.pty() && command.prompt() == null
                && command.shellLine().length() <= MAX_LINE && quotedTwiceBytes(command.shellLine()) <= MAX_LINE;
    }

    private static int quotedTwiceBytes(String line) {
        return Shell.singleQuote(Shell.singleQuote(line)).getBytes(StandardCharsets.UTF_8).length;
    }

    /**
     * Runs {@code command} on an idle shell of {@code host}, or on a new one, and keeps the shell for the next
     * command if it is still good afterwards.
     */
    static CommandResult execute(Server server, Command command, Duration timeout, Duration openTimeout,
            OutputListener listener, HostConnections host) throws InterruptedException {
        boolean retried = false;
        while (true) {
            PersistentShell shell = host.takeIdleShell();
            boolean reused = shell != null;
            if (shell == null) {
                shell = new PersistentShell(openTimeout, host.log());
            }
            try {
                return reused ? shell.run(server, command, timeout, listener)
                        : shell.start(server, host, command, timeout, listener);
            } catch (StaleShell e) {
                // Its channel had gone before the command could be written, so nothing ran: once more, afresh.
                if (!reused || retried) {
                    throw e.failure;
                }
                retried = true;
            } finally {
                if (shell.isOpen()) {
                    host.park(shell);
                } else {
                    shell.close();
                }
            }
        }
    }

    /**
     * Starts the shell on an exec channel leased from {@code host}, with {@code first} in its exec request, and runs
     * {@code first} to its end.
     */
    private CommandResult start(Server server, HostConnections host, Command first, Duration timeout,
            OutputListener listener) throws InterruptedException {
        CommandOutput output = new CommandOutput(server, listener, first.capture());
        // What a new shell prints before the check's marker (a login script's greeting, say) goes nowhere.
        Job checking = new Job();
        stdout.begin(checking, OutputStream.nullOutputStream());
        stderr.begin(checking, OutputStream.nullOutputStream());
        check = checking;
        Job current = begin(output);
        sent = new Sent(first, server);
        String commandLine = "exec /bin/sh -c " + Shell.quote(DESCRIPTORS + SETUP + "__capstan_status=0; "
                + printStatus() + "\n" + script(first) + "exec /bin/sh\n");
        lease = host.leaseExec(server, channel -> {
            // Streams wired before any byte can arrive.
            channel.setUsePty(false);
            channel.setOut(stdout);
            channel.setErr(stderr);
            channel.launch(commandLine);
            RemoteCommand.awaitOpen(channel, channel.opening(), checkLimit);
        }, false);
        long started = System.nanoTime();
        ExecChannel channel = lease.channel();
        channel.addCloseFutureListener(f -> channelClosed());
        input = channel.getInvertedIn();
        awaitCheck(server, checking);
        return finish(server, first, current, output, timeout, started);
    }

    /**
     * Waits, within the connect timeout, for a new shell's answer to the protocol check sent with its first command.
     * A shell that does not answer, or not as expected, is closed, which ends the command sent with the check too.
     */
    private void awaitCheck(Server server, Job sent) throws InterruptedException {
        String failure = null;
        try {
            if (!sent.done.await(checkLimit.toNanos(), TimeUnit.NANOSECONDS)) {
                failure = "no answer within " + RemoteCommand.describe(checkLimit);
            } else if (sent.cutOff) {
                failure = lease.connection().isOpen() ? "its channel closed" : "the connection was lost";
            } else if (sent.status != 0) {
                failure = "the check exited with " + sent.status;
            }
        } catch (InterruptedException e) {
            stop();
            throw e;
        } finally {
            check = null;
        }
        if (failure == null) {
            return;
        }
        close();
        throw new TransportException(server, Reason.OTHER, "the shell on " + server.label()
                + " does not answer capstan's persistent-shell protocol (" + failure
                + "); run without ssh_persistent_shell");
    }

    /** Whether the shell can run a command: its channel is open and it has not been stopped or cut off. */
    boolean isOpen() {
        return lease != null && !spent && closed.getCount() > 0 && lease.channel().isOpen()
                && lease.connection().isOpen();
    }

    /**
     * Ends the shell and frees its slot. An idle shell is sent EOF and ends by itself, so that the server has closed
     * the channel (as it does after an exec command) before the slot is used again; otherwise the channel is closed.
     */
    void close() {
        if (lease == null) {
            spent = true; // never started: no channel to end
            return;
        }
        if (!spent && closed.getCount() > 0) {
            spent = true;
            try {
                input.close();
                // One that does not end by itself is closed with its lease, below: gracefully, so that the server
                // lets go of it too (an immediate close would only forget it here).
                closed.await(RETIRE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
            } catch (InterruptedException | InterruptedIOException e) {
                Thread.currentThread().interrupt();
            } catch (IOException e) {
                // The channel is going away anyway; closing the lease below finishes it.
            }
        }
        spent = true;
        lease.close();
    }

    /** Runs {@code command} on this shell, started before. */
    private CommandResult run(Server server, Command command, Duration timeout, OutputListener listener)
            throws InterruptedException {
        CommandOutput output = new CommandOutput(server, listener, command.capture());
        Job current = begin(output);
        if (closed.getCount() == 0) {
            spent = true;
            throw new StaleShell(lost(server, command, null));
        }
        long started = System.nanoTime();
        try {
            String next = script(command);
            if (!setUp) {
                next = SETUP + next;
                setUp = true;
            }
            sent = new Sent(command, server);
            input.write(next.getBytes(StandardCharsets.UTF_8));
            input.flush();
        } catch (InterruptedIOException e) {
            stop();
            InterruptedException interrupted = new InterruptedException("interrupted while sending a command");
            interrupted.initCause(e);
            throw interrupted;
        } catch (IOException e) {
            spent = true;
            throw new StaleShell(lost(server, command, e));
        }
        return finish(server, command, current, output, timeout, started);
    }

    /** Passes both streams on to {@code output} until the next markers. */
    private Job begin(CommandOutput output) {
        Job current = new Job();
        stdout.begin(current, output.stdout());
        stderr.begin(current, output.stderr());
        job = current;
        return current;
    }

    /** Waits for the command's end and makes its result. */
    private CommandResult finish(Server server, Command command, Job current, CommandOutput output, Duration timeout,
            long started) throws InterruptedException {
        await(server, command, current, timeout);
        job = null;
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        output.finish();
        if (current.cutOff) {
            spent = true;
            output.rethrowListenerFailure();
            throw lost(server, command, null);
        }
        output.rethrowListenerFailure();
        return new CommandResult(server, current.status, output.capturedStdout(), output.stderrTail(), took);
    }

    private void await(Server server, Command command, Job current, Duration timeout) throws InterruptedException {
        try {
            if (timeout == null) {
                current.done.await(); // keepalives end the wait if the connection dies
                return;
            }
            if (!current.done.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                boolean stopped = signalAndClose();
                throw new TransportException(server, Reason.COMMAND_TIMEOUT, "`" + command.line() + "` on "
                        + server.label() + " did not finish within " + RemoteCommand.describe(timeout)
                        + (stopped ? " and was stopped" : "; " + RemoteCommand.notStopped(server)));
            }
        } catch (InterruptedException e) {
            stop();
            throw e;
        }
    }

    /**
     * Ends the running command and the shell as a timeout or interrupt ends a command on its own channel, and says so
     * when the command may still be running.
     */
    private void stop() {
        Sent last = sent;
        if (!signalAndClose() && last != null) {
            log.warn("`" + last.command().line() + "` was stopped here, but " + RemoteCommand.notStopped(last.server()));
        }
    }

    /** @return false when the server refused to signal the shell, whose command may then still be running */
    private boolean signalAndClose() {
        spent = true;
        return RemoteCommand.stop(lease.channel(), closed);
    }

    private TransportException lost(Server server, Command command, Exception cause) {
        if (!lease.connection().isOpen()) {
            return new TransportException(server, Reason.CONNECTION_LOST,
                    "connection to " + server.label() + " lost while running `" + command.line() + "`", cause);
        }
        return new TransportException(server, Reason.OTHER,
                "`" + command.line() + "` on " + server.label() + " ended without an exit status", cause);
    }

    /** The line that runs {@code command} in its own process and then prints the marker and its exit status. */
    private String script(Command command) {
        return "$__capstan_run \"$__capstan_sh\" -c " + Shell.quote(command.shellLine())
                + " </dev/null 2>&3 3>&- & __capstan_pid=$!; wait $__capstan_pid; __capstan_status=$?;"
                + " __capstan_pid=; " + printStatus() + "\n";
    }

    /**
     * Prints the marker and {@code $__capstan_status} on both streams. The marker is put together by printf: a new
     * shell's set-up is part of its command line, which any process listing ({@code ps aux} as the first command)
     * prints, and a marker written out there would end that command's output early.
     */
    private String printStatus() {
        String print = "printf 'capstan-%s %d\\n' '" + markerId + "' $__capstan_status";
        return print + "; " + print + " >&3";
    }

    private void channelClosed() {
        closed.countDown();
        for (Job pending : new Job[] {check, job}) {
            if (pending != null) {
                pending.cutOff();
            }
        }
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[16];
        RANDOM.nextBytes(bytes);
        return bytes;
    }

    /** A command written to the shell, and the server it runs on. */
    private record Sent(Command command, Server server) { }

    /** One command's progress: done once both streams showed the marker, or the channel closed first. */
    private static final class Job {
        final CountDownLatch done = new CountDownLatch(1);
        private int streamsEnded;
        volatile int status;
        volatile boolean cutOff;

        synchronized void streamEnded(boolean isStdout, int exitStatus) {
            if (isStdout) {
                status = exitStatus;
            }
            if (++streamsEnded == 2) {
                done.countDown();
            }
        }

        synchronized void cutOff() {
            if (done.getCount() > 0) {
                cutOff = true;
                done.countDown();
            }
        }
    }

    /**
     * One stream of the shell: passes the running command's bytes on, finds the marker, reads the exit status after
     * it, and drops what arrives between commands (the output of background processes of earlier commands).
     */
    private final class Framer extends OutputStream {
        private final boolean isStdout;
        private final MarkerScanner scanner = new MarkerScanner(marker.getBytes(StandardCharsets.US_ASCII));
        private final StringBuilder trailer = new StringBuilder();
        private boolean inTrailer;
        private Job current;
        private OutputStream sink;
        /** The job after the current one (a new shell's first command, behind its check), or null. */
        private Job next;
        private OutputStream nextSink;

        Framer(boolean isStdout) {
            this.isStdout = isStdout;
        }

        /** Passes the stream on to {@code to} until the job's marker; after the current job's, if one is running. */
        synchronized void begin(Job job, OutputStream to) {
            if (current == null) {
                current = job;
                sink = to;
            } else {
                next = job;
                nextSink = to;
            }
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] bytes, int offset, int count) {
            while (count > 0) {
                if (inTrailer) {
                    byte b = bytes[offset++];
                    count--;
                    if (b == '\n') {
                        inTrailer = false;
                        ended(trailer.toString().trim());
                    } else if (trailer.length() < MAX_TRAILER) {
                        trailer.append((char) b);
                    }
                    continue;
                }
                int used = scanner.scan(bytes, offset, count, this::pass);
                if (used < 0) {
                    return;
                }
                offset += used;
                count -= used;
                inTrailer = true;
                trailer.setLength(0);
            }
        }

        private void ended(String exitStatus) {
            Job job = current;
            current = next;
            sink = nextSink;
            next = null;
            nextSink = null;
            if (job == null) {
                return;
            }
            int status;
            try {
                status = Integer.parseInt(exitStatus);
            } catch (NumberFormatException e) {
                // Not what the shell prints: something is wrong with it, so this command ends it.
                spent = true;
                job.cutOff();
                return;
            }
            job.streamEnded(isStdout, status);
        }

        private void pass(byte[] bytes, int offset, int count) {
            OutputStream to = sink;
            if (to == null) {
                return;
            }
            try {
                to.write(bytes, offset, count);
            } catch (IOException e) {
                throw new UncheckedIOException(e); // CommandOutput's sinks do not throw
            }
        }
    }

    /** The shell's channel was gone before the command could be sent. */
    private static final class StaleShell extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final transient TransportException failure;

        StaleShell(TransportException failure) {
            super(failure.getMessage(), null, false, false);
            this.failure = failure;
        }
    }
}
